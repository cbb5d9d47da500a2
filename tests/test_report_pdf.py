"""The PDF report as a printed document: contents with links and page numbers, "page N of M" on every page, an
outline entry per claim under its source, figures with their claims and no page left mostly empty, formulas as
images, environment and capabilities as tables (no raw JSON), nothing past the frame's right edge.

The results document is synthetic renderer test data (a few real claims per source with evidence written here,
labelled as such): the renderer is under test, not the claims. Each test reads one PDF built once per module.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import impls
import pytest

from verify.catalog import all_claims
from verify.harness import results as results_doc
from verify.harness.claims import ClaimResult, Evidence
from verify.report import content, pdf
from verify.report.math import formula_png
from verify.report.pdf_layout import FRAME_WIDTH, MARGIN, PAGE_SIZE, P, ReportDoc

pypdf = pytest.importorskip("pypdf")

FIGURE = {"title": "renderer test figure", "xlabel": "iteration k", "ylabel": "loss",
          "series": [{"label": "run", "x": [1, 10, 100], "y": [1.0, 0.1, 0.01]}]}
# A formula the fixture gives one claim (renderer test data: the catalog's formulas are math15's).
FORMULA = r"\nabla_W L = \frac{1}{N} X^\top (P - T)"
# One unbroken token as long as the evidence cell that pushed the li2020 table off the page (issue 15).
LONG_TOKEN = "w" * 268
# A page the layout fills less than this share of is "mostly empty" (issue 15: 60 of 84 pages were).
MIN_FILL = 0.30


def _evidence(claim, n: int) -> Evidence:
    """Renderer test data: every second claim with a figure, every fifth with two, one with a counterexample."""
    figures = [dict(FIGURE, title=f"{claim.id} figure {i}") for i in range(2 if n % 5 == 0 else 1 if n % 2 == 0 else 0)]
    counterexample = {"z": [[0.0, 1.5, -2.25]], "y": [[1.0, 0.0, 0.0]]} if n == 3 else None
    return Evidence(verdict=claim.expected, summary=f"renderer test evidence for {claim.id}: " + (LONG_TOKEN if n == 1 else "ok"),
                    examples=7, worst_error=1.5e-16, tolerance=4.4e-15, figures=figures, counterexample=counterexample,
                    found_by_search=False if counterexample else None,
                    construction="built for the renderer test" if counterexample else "")


@pytest.fixture(scope="module")
def results():
    """Three claims of each source, two implementation claims against every registered implementation."""
    chosen, per_source = [], {}
    for c in all_claims():
        key = c.id.split(".")[0]
        if per_source.get(key, 0) < (2 if c.scope == "implementation" else 3):
            per_source[key] = per_source.get(key, 0) + 1
            chosen.append(c)
    registered = [impls.get(name) for name in impls.names()]
    items = []
    for n, c in enumerate(chosen):
        for ce in registered if c.scope == "implementation" else registered[:1]:
            items.append(ClaimResult(c, ce.name, _evidence(c, n)))
    doc = results_doc.build(items, registered, "ci")
    doc["results"][0]["claim"]["formula"] = FORMULA
    return doc


@pytest.fixture(scope="module")
def built(results, tmp_path_factory):
    """(report model, PdfReader, layout, path) of the fixture's PDF, rendered once."""
    report = content.build(results)
    data, layout = pdf.render_with_layout(report)
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(data)
    return report, pypdf.PdfReader(str(path)), layout, path


def _page_texts(reader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _outline(reader):
    """[(title, page number, [(child title, page number), ...]), ...] of the outline's top level."""
    out = []
    for item in reader.outline:
        if isinstance(item, list):
            out[-1][2].extend((c.title, reader.get_destination_page_number(c) + 1) for c in item if not isinstance(c, list))
        else:
            out.append((item.title, reader.get_destination_page_number(item) + 1, []))
    return out


def test_outline_has_one_entry_per_claim_under_its_source(built):
    report, reader, _, _ = built
    outline = {title: children for title, _, children in _outline(reader)}
    for section in report.sections:
        children = [title.split()[0] for title, _ in outline[section.title]]
        assert children == section.claim_ids, section.key
    assert {"Summary", "Benchmarks", "Environment"} <= set(outline)


def test_every_page_says_page_n_of_m(built):
    """... from two layout passes: the contents seeded, the first a sketch that is not saved (its images unencoded;
    the tests of figures and formulas find them in the saved file)."""
    _, reader, layout, _ = built
    assert layout.passes == 2
    texts = _page_texts(reader)
    total = len(texts)
    assert total > 3
    for n, text in enumerate(texts, start=1):
        assert f"page {n} of {total}" in text, f"page {n}: no 'page {n} of {total}'"


def _link_targets(reader, page) -> list[int]:
    """The page numbers (1-based) the internal links of ``page`` go to (a /Dest name or array, or a /GoTo action)."""
    names = reader.named_destinations
    targets = []
    for ref in page.get("/Annots") or []:
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Link":
            continue
        dest = annot.get("/Dest")
        if dest is None and (annot.get("/A") or {}).get("/S") == "/GoTo":
            dest = annot["/A"]["/D"]
        if dest is None:
            continue
        dest = dest.get_object() if hasattr(dest, "get_object") else dest
        if isinstance(dest, str):
            targets.append(reader.get_destination_page_number(names[dest]) + 1)
        else:
            targets.append(reader.get_page_number(dest[0].get_object()) + 1)
    return targets


def _lines(page) -> str:
    """The page's text line by line, top to bottom (pypdf's own order puts a contents line's page number,
    drawn after its title, before the title); each column of a two-column page in turn."""
    pieces = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            pieces.append((x >= PAGE_SIZE[0] / 2, -round(y), x, text))

    page.extract_text(visitor_text=visit)
    lines, current = [], None
    for column, y, x, text in sorted(pieces):
        if (column, y) != current:
            lines.append("")
            current = (column, y)
        lines[-1] += text
    return " ".join(" ".join(line.split()) for line in lines)


def test_contents_list_the_sources_with_page_numbers_and_links(built):
    report, reader, _, _ = built
    texts = _page_texts(reader)
    contents_pages = [n for n, t in enumerate(texts) if t.startswith("Contents")]
    contents_pages += [n for n in range(contents_pages[0] + 1, len(texts)) if ". . . . ." in texts[n]] if contents_pages else []
    assert contents_pages, "no page starts with 'Contents'"
    listing = " ".join(_lines(reader.pages[n]) for n in contents_pages)
    targets = [p for n in contents_pages for p in _link_targets(reader, reader.pages[n])]
    where = {title: page for title, page, _ in _outline(reader)}
    for section in report.sections:
        page = where[section.title]
        assert re.search(re.escape(section.title) + r"[ .]*" + str(page) + r"\b", listing), (section.title, page)
        assert page in targets, f"no link on the contents page to page {page} ({section.title})"


def test_environment_and_capabilities_are_tables_of_words(built, results):
    _, reader, _, _ = built
    text = " ".join(_page_texts(reader))
    env = results["environment"]
    for label, key in (("git commit of the claims", "commit"), ("Python", "python"), ("NumPy", "numpy"), ("CPU", "cpu"),
                       ("platform", "platform")):
        assert label in text
        assert env[key] is None or " ".join(str(env[key]).split()) in text.replace("- ", "-"), key
    assert "Hypothesis profile ci" in text and "examples per search" in text
    for header in ("implementation", "sample weights", "Hessian-vector product", "writes into its arguments", "methods"):
        assert header in text
    for i in results["implementations"]:
        assert i["name"] in text


def test_no_raw_json_in_the_text(built):
    """No JSON object (a brace before a quoted key, a quoted key before a colon) anywhere; the counterexample's
    entries are tables, its exact values written as name = [...] (a NumPy literal)."""
    _, reader, _, _ = built
    text = " ".join(_page_texts(reader))
    json_object = r"\{\s*\"|\"\s*:\s"
    assert not re.search(json_object, text), re.search(".{40}(" + json_object + ").{40}", text)
    assert "Counterexample" in text and "shape 1 × 3" in text and "z = [[0.0, 1.5, -2.25]]" in text


def test_formula_is_an_image_at_its_natural_size_on_its_claims_page(built, results):
    report, reader, _, _ = built
    claim_id = results["results"][0]["claim"]["id"]
    page = next(p for title, _, children in _outline(reader) for t, p in children if t.split()[0] == claim_id)
    from PIL import Image
    import io

    expected = Image.open(io.BytesIO(formula_png(FORMULA, dpi=pdf.FORMULA_DPI))).size
    sizes = [(im.image.width, im.image.height) for im in reader.pages[page - 1].images]
    assert expected in sizes, f"page {page}: images {sizes}, formula {expected}"


def test_figures_stand_on_their_claims_page(built):
    """Every figure's caption is on the page of its claim's outline entry or the next one."""
    report, reader, _, _ = built
    texts = _page_texts(reader)
    pages = {t.split()[0]: p for _, _, children in _outline(reader) for t, p in children}
    for section in report.sections:
        for f in section.figures:
            page = pages[f.claim_id]
            assert any(f.spec["title"] in texts[n - 1] for n in (page, page + 1)), (f.claim_id, page)


def test_no_page_is_mostly_empty_except_a_sections_last(built):
    _, _, layout, _ = built
    ends = layout.last_pages_of_sections()
    thin = [(p.number, round(p.filled, 2)) for p in layout.pages if p.number not in ends and p.filled < MIN_FILL]
    assert not thin, f"pages under {MIN_FILL:.0%} filled: {thin}"
    assert len(ends) < len(layout.pages)


def test_the_fill_measure_sees_an_empty_page():
    """The bookkeeping that test above trusts reports a page holding one line as nearly empty."""
    import io

    from reportlab.platypus import PageBreak

    doc = ReportDoc(io.BytesIO())
    doc.build([P("one line", "body"), PageBreak(), P("another", "body")])
    assert [round(p.filled, 2) < 0.05 for p in doc.layout.pages] == [True, True]


def test_no_table_is_wider_than_the_frame(built):
    _, _, layout, _ = built
    assert layout.tables
    wide = [(page, w, f) for page, w, f in layout.tables if w > f + 1e-6]
    assert not wide, wide
    assert all(f <= FRAME_WIDTH + 1e-6 for _, _, f in layout.tables)


@pytest.fixture(scope="module")
def poppler():
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed: apt-get install -y poppler-utils")


def test_no_word_runs_past_the_right_margin_and_the_long_token_wraps_whole(built, poppler, tmp_path):
    """pdftotext's word boxes: nothing beyond the frame's right edge; the 268-character token is all there."""
    _, _, _, path = built
    out = tmp_path / "words.html"
    subprocess.run(["pdftotext", "-bbox", str(path), str(out)], check=True, timeout=60)
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                       out.read_text(encoding="utf-8"))
    right_edge = PAGE_SIZE[0] - MARGIN + 0.5  # half a point: pdftotext rounds the boxes
    past = [(w, float(x1)) for x0, x1, w in words if float(x1) > right_edge]
    assert not past, past[:5]
    assert LONG_TOKEN in "".join(w for _, _, w in words)


def test_pages_render_to_png(built, poppler, tmp_path):
    """Pages render (pdftoppm) and are not blank; the PNGs stay in the tmp dir for a person to look at."""
    _, reader, _, path = built
    last = len(reader.pages)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "3", str(path), str(tmp_path / "page")],
                   check=True, timeout=120)
    from PIL import Image

    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == min(3, last)
    for png in pngs:
        extrema = Image.open(png).convert("L").getextrema()
        assert extrema[0] < 128 < extrema[1], f"{png.name} looks blank: {extrema}"


def _uri_links(page) -> list[str]:
    return [ref.get_object()["/A"]["/URI"] for ref in page.get("/Annots") or []
            if ref.get_object().get("/Subtype") == "/Link" and "/URI" in (ref.get_object().get("/A") or {})]


def test_each_source_opens_with_its_record_and_each_claim_shows_its_place(built):
    """Title, authors, year, venue, arXiv id with its link at the section's start; 'In the source: <where>' by each claim."""
    report, reader, _, _ = built
    texts = _page_texts(reader)
    outline = _outline(reader)
    start = {title: page for title, page, _ in outline}
    pages = {t.split()[0]: p for _, _, children in outline for t, p in children}
    records = 0
    for section in report.sections:
        page = start[section.title]
        opening = texts[page - 1]
        for src in section.sources:
            if src.title == src.paper:
                continue
            records += 1
            assert " ".join(src.title.split()) in opening
            for author in src.authors:
                assert author in opening
            if src.year:
                assert str(src.year) in opening
            if src.arxiv:
                assert f"arXiv:{src.arxiv}" in opening
                assert f"https://arxiv.org/abs/{src.arxiv}" in _uri_links(reader.pages[page - 1])
        for row in section.rows:
            where = " ".join((row.claim["source"].get("where") or "").split())
            if where:
                near = " ".join(texts[pages[row.id] - 1:pages[row.id] + 1])
                assert "In the source: " + where[:40] in near, row.id
    assert records, "no source in the fixture has a bibliographic record: the test checked nothing"


def test_glossary_is_rendered_when_the_module_exists(results, monkeypatch):
    """verify/report/glossary.py's GLOSSARY (math15's) becomes a section with every term; without it, no section."""
    import sys
    import types

    fake = types.ModuleType("verify.report.glossary")
    fake.GLOSSARY = (("holds-under", "renderer test: the statement holds once the added hypothesis is assumed"),
                     ("reconstructed statement", "renderer test: <our> reading & wording"))
    monkeypatch.setitem(sys.modules, "verify.report.glossary", fake)
    small = dict(results, results=results["results"][:2])
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf.render(content.build(small))))
    text = " ".join(_page_texts(reader))
    for term, meaning in fake.GLOSSARY:
        assert term in text and meaning in text
    assert "Glossary" in [title for title, _, _ in _outline(reader)]


def test_each_figure_and_its_caption_share_a_page(built):
    """On every page, as many figure images drawn (the figure module's pixel size; an image drawn twice, such as
    two implementations' equal figures, is stored once and drawn twice) as 'Figure N.' captions."""
    from verify.report.figures import STYLE

    _, reader, _, _ = built
    size = tuple(round(v * STYLE["figure.dpi"]) for v in STYLE["figure.figsize"])
    total = 0
    for n, page in enumerate(reader.pages, start=1):
        stream = page.get_contents().get_data() if page.get_contents() is not None else b""
        names = [im.name.rsplit(".", 1)[0] for im in page.images if (im.image.width, im.image.height) == size]
        images = sum(len(re.findall(rb"/" + re.escape(name.encode()) + rb"\s+Do\b", stream)) for name in names)
        captions = len(re.findall(r"Figure \d+\. ", " ".join(page.extract_text().split())))
        assert images == captions, f"page {n}: {images} figures, {captions} captions"
        total += images
    assert total == sum(len(s.figures) for s in built[0].sections)


def test_a_figure_row_near_the_page_foot_moves_whole_to_the_next_page():
    """A figure row that does not fit where it falls goes to the next page with its caption (never split)."""
    import io

    from reportlab.platypus import Spacer

    from verify.report.content import Figure
    from verify.report.pdf_layout import FRAME_HEIGHT

    rows = pdf.figure_rows([Figure("x.1", FIGURE, "renderer test caption")], FRAME_WIDTH)
    _, height = rows[0].wrap(FRAME_WIDTH, FRAME_HEIGHT)
    story = [Spacer(1, FRAME_HEIGHT - height + 8)] + rows  # room for the image, not for its caption too
    data, _ = __import__("verify.report.pdf_layout", fromlist=["build"]).build(story)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert not reader.pages[0].images and "renderer test caption" not in reader.pages[0].extract_text()
    assert len(reader.pages[1].images) == 1 and "renderer test caption" in reader.pages[1].extract_text()


def test_markup_in_the_results_is_text(results):
    """Strings from the results that look like ReportLab markup (a colleague's file, a plug-in's name) are printed
    as they are, never parsed: the build does not fail and the text reads back whole."""
    import copy
    import io

    payload = "<font size=40>&amp; <b>x</i> & <a href='javascript:alert(1)'>"
    doc = copy.deepcopy(results)
    doc["results"] = doc["results"][:3] + [r for r in doc["results"] if r["claim"]["scope"] == "implementation"][:1]
    for r in doc["results"]:
        r["claim"]["title"] += " " + payload
        r["claim"]["source"]["where"] = payload
        r["evidence"]["summary"] += "; " + payload
    doc["results"][-1]["implementation"] = payload
    doc["environment"]["cpu"] = payload
    reader = pypdf.PdfReader(io.BytesIO(pdf.render(content.build(doc))))
    text = " ".join(_page_texts(reader))
    assert text.count(" ".join(payload.split())) >= 5
    assert not [u for page in reader.pages for u in _uri_links(page) if u.startswith("javascript")]


def test_a_figure_that_cannot_be_drawn_says_why_in_its_place(results):
    import copy
    import io

    doc = copy.deepcopy(results)
    doc["results"] = doc["results"][:1]
    doc["results"][0]["evidence"]["figures"] = [{"title": "broken", "series": [{"x": [1, 2], "y": [1]}]}]  # x, y unequal
    reader = pypdf.PdfReader(io.BytesIO(pdf.render(content.build(doc))))
    text = " ".join(_page_texts(reader))
    assert "the figure could not be drawn" in text and "Figure 1." in text


def test_the_fill_measure_counts_an_unused_column():
    """A contents page whose right column stays empty is at most half full."""
    import io

    from reportlab.platypus import NextPageTemplate, PageBreak

    doc = ReportDoc(io.BytesIO())
    doc.build([NextPageTemplate("contents"), PageBreak(), P("one line " * 300, "body"), NextPageTemplate("main"), PageBreak(),
               P("end", "body")])
    contents_page = doc.layout.pages[1]
    assert 0.05 < contents_page.filled <= 0.5
