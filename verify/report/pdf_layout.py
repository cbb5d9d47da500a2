"""The PDF's page machinery (ReportLab Platypus): page templates, the footer's "page N of M", the outline and the
contents entries, and the bookkeeping of how full each page is.

Nothing here knows what a claim is: :mod:`verify.report.pdf` builds the story from the report's model, and marks
the paragraphs that start an outline entry with :func:`heading`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (BaseDocTemplate, Frame, Image, PageTemplate, Paragraph, Table, TableStyle)
from reportlab.platypus.tableofcontents import TableOfContents

PAGE_SIZE = landscape(A4)
MARGIN = 1.3 * cm
FOOTER_HEIGHT = 0.5 * cm  # the band under the frame that holds the page number
COLUMN_GAP = 0.8 * cm  # between the two columns of the contents pages
# Frames without inner padding: the margins are the only white border, and FRAME_WIDTH is the width a flowable has.
NO_PADDING = dict(leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
# The main frame (ReportDoc's 'main' page template): what every table and image is sized to.
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
FRAME_HEIGHT = PAGE_SIZE[1] - 2 * MARGIN - FOOTER_HEIGHT

_base = getSampleStyleSheet()
STYLES = {
    "title": _base["Title"],
    "h1": ParagraphStyle("h1", parent=_base["Heading1"], fontSize=15, leading=18, spaceBefore=10, spaceAfter=6,
                         keepWithNext=1),
    "h2": ParagraphStyle("h2", parent=_base["Heading2"], fontSize=12, leading=15, spaceBefore=6, spaceAfter=4),
    "claim": ParagraphStyle("claim", parent=_base["Heading3"], fontSize=10, leading=12.5, spaceBefore=8, spaceAfter=2,
                            keepWithNext=1),
    "claim-meta": ParagraphStyle("claim-meta", parent=_base["BodyText"], fontSize=8, leading=10,
                                 textColor=colors.HexColor("#444444"), keepWithNext=1),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=9, leading=11.5),
    "meta": ParagraphStyle("meta", parent=_base["BodyText"], fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontSize=7, leading=8.6),
    # values a reader copies (arrays, commands): break anywhere, never run past the cell's edge
    "code": ParagraphStyle("code", parent=_base["Code"], fontSize=6.5, leading=7.8, wordWrap="CJK", leftIndent=0),
    "caption": ParagraphStyle("caption", parent=_base["Italic"], fontSize=7.5, leading=9, alignment=1),
    # contents lines: the right indent leaves room for the page number after a line that fills the column
    "toc0": ParagraphStyle("toc0", parent=_base["BodyText"], fontName="Helvetica-Bold", fontSize=9, leading=11,
                           spaceBefore=3, spaceAfter=1, rightIndent=24),
    "toc1": ParagraphStyle("toc1", parent=_base["BodyText"], fontSize=6.5, leading=7.6, spaceBefore=0, spaceAfter=0,
                           leftIndent=10, firstLineIndent=0, rightIndent=24),
}
TABLE_STYLE = [
    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]


def P(text: str, style: str = "cell") -> Paragraph:
    return Paragraph(text, STYLES[style])


def heading(text: str, style: str, key: str, level: int, outline_text: str | None = None) -> Paragraph:
    """A paragraph that starts an outline entry and a contents line at ``level`` (0: a section, 1: a claim),
    and is the destination ``key`` the contents and the in-text links point to."""
    paragraph = Paragraph(f'<a name="{key}"/>{text}', STYLES[style])
    paragraph.outline = (level, outline_text if outline_text is not None else paragraph.getPlainText(), key)
    return paragraph


def table(rows, widths, style=(), header: bool = True, grid: bool = True) -> Table:
    """A table with the given column widths (sized by its caller to fit the frame); ``header``: the first row is
    shaded and repeated on each page; ``grid``: lines between the cells (a layout table, holding figures or
    other tables, has none)."""
    # splitInRow: a row of text taller than a page (a long evidence cell) breaks inside the row rather than failing
    # the build; a layout row (a figure and its caption, a claim beside its figure) stays whole
    t = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, splitInRow=1 if grid else 0)
    base = [c for c in TABLE_STYLE if (grid or c[0] != "GRID") and (header or c[0] != "BACKGROUND")]
    t.setStyle(TableStyle(base + list(style)))
    return t


def png_image(png: bytes, dpi: float, max_width: float, max_height: float | None = None) -> Image:
    """A PNG at its natural size (``dpi`` pixels an inch), scaled down, never up, to fit ``max_width`` x ``max_height``."""
    from reportlab.lib.utils import ImageReader

    pixels_w, pixels_h = ImageReader(io.BytesIO(png)).getSize()
    w, h = pixels_w * 72.0 / dpi, pixels_h * 72.0 / dpi
    scale = min(1.0, max_width / w, (max_height / h) if max_height else 1.0)
    return LaidOutImage(io.BytesIO(png), width=w * scale, height=h * scale)


class LaidOutImage(Image):
    """An image that a sketch pass (ReportDoc.sketch: a layout pass that is never saved) lays out but does not
    encode: encoding a figure into the PDF is most of a pass's time, and only the saved pass needs it."""

    def draw(self):
        if getattr(getattr(self.canv, "_doctemplate", None), "sketch", False):
            return
        super().draw()


@dataclass
class PageRecord:
    """How one page was filled: the fraction of its frames' height that flowables used, and whether a section
    (a level-0 heading) starts on it."""

    number: int
    filled: float
    starts_section: bool = False


@dataclass
class Layout:
    """What the last pass of a document's build did: its pages (in order), every table's width against the width
    its frame had, and how many passes the build took."""

    pages: list = field(default_factory=list)
    tables: list = field(default_factory=list)  # (page, table width, width the frame had for it)
    passes: int = 0  # how many layout passes the document took (set by build)

    def last_pages_of_sections(self) -> set:
        """The page numbers that end a section: the page before each section start, and the last page."""
        starts = {p.number for p in self.pages if p.starts_section}
        return {n - 1 for n in starts} | ({self.pages[-1].number} if self.pages else set())


class ReportDoc(BaseDocTemplate):
    """Landscape A4 with two page templates ('main': one frame; 'contents': two columns), a footer with
    "page N of M" on every page, outline entries and contents lines for the paragraphs made by :func:`heading`.

    M is the page count of the previous pass: :func:`build` runs passes until contents and M are stable. How full
    a page is: the height its frames' flowables took, over the height of all the frames of its template (a
    two-column page with one column used is half full).
    """

    def __init__(self, buffer, **kwargs):
        super().__init__(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                         bottomMargin=MARGIN + FOOTER_HEIGHT, **kwargs)
        self.page_total = 0  # the previous pass's page count, for the footer
        self.passes = 0
        # the first pass lays out without encoding images (LaidOutImage): with the contents seeded (build), it is
        # never the pass that is saved
        self.first_pass_is_sketch = True
        self.sketch = False
        self.totals_drawn = set()  # the M each footer of this pass showed
        self.layout = Layout()
        self._counted_frames = []
        self._section_pages = set()
        column = (self.width - COLUMN_GAP) / 2
        self.addPageTemplates([
            PageTemplate("main", [Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                                        **NO_PADDING)], onPageEnd=self._footer),
            PageTemplate("contents", [
                Frame(self.leftMargin, self.bottomMargin, column, self.height, id="left", **NO_PADDING),
                Frame(self.leftMargin + column + COLUMN_GAP, self.bottomMargin, column, self.height, id="right",
                      **NO_PADDING),
            ], onPageEnd=self._footer),
        ])

    # -- footer: "page N of M" -------------------------------------------------------------------------------
    def _footer(self, canv, doc):
        canv.saveState()
        canv.setFont("Helvetica", 8)
        canv.setFillColor(colors.HexColor("#444444"))
        total = self.page_total or "?"
        self.totals_drawn.add(total)
        canv.drawString(self.leftMargin, MARGIN, "lossproof report")
        canv.drawRightString(self.leftMargin + self.width, MARGIN, f"page {canv.getPageNumber()} of {total}")
        canv.restoreState()

    # -- page bookkeeping ------------------------------------------------------------------------------------
    def _count_frame(self):
        f = self.frame
        if f is None or any(f is seen for seen in self._counted_frames):
            return
        self._counted_frames.append(f)

    def handle_pageBegin(self):
        self._counted_frames = []
        super().handle_pageBegin()

    def handle_frameEnd(self, resume=0):
        self._count_frame()
        super().handle_frameEnd(resume)

    def handle_pageEnd(self):
        self._count_frame()
        capacity = sum(f._height - f._topPadding - f._bottomPadding for f in self.pageTemplate.frames)
        used = sum(f._y2 - f._topPadding - f._y for f in self._counted_frames)
        number = self.canv.getPageNumber()
        self.layout.pages.append(PageRecord(number, used / capacity if capacity else 0.0, number in self._section_pages))
        super().handle_pageEnd()

    def afterFlowable(self, flowable):
        """Outline entries and contents lines for the headings, and the width of every table drawn."""
        if isinstance(flowable, Table):
            self.layout.tables.append((self.page, flowable._width, self.frame._aW))
        outline = getattr(flowable, "outline", None)
        if outline is None:
            return
        level, text, key = outline
        if level == 0:
            self._section_pages.add(self.page)
        self.canv.addOutlineEntry(text, key, level=level, closed=False)
        self.notify("TOCEntry", (level, escape(text), self.page, key))  # the contents line is markup

    def build(self, flowables, **kwargs):
        self.passes += 1
        self.sketch = self.passes == 1 and self.first_pass_is_sketch
        self.layout = Layout()
        self._section_pages = set()
        self.totals_drawn = set()
        super().build(flowables, **kwargs)
        self.page_total = self.layout.pages[-1].number if self.layout.pages else 0


def contents() -> TableOfContents:
    toc = TableOfContents(dotsMinLevel=0, tableStyle=TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.3)]))
    toc.levelStyles = [STYLES["toc0"], STYLES["toc1"]]
    return toc


def _headings(flowables):
    for f in flowables:
        if getattr(f, "outline", None) is not None:
            yield f.outline
        yield from _headings(getattr(f, "_content", None) or [])  # inside a KeepTogether


def seed_contents(story: list) -> None:
    """Give each contents flowable of ``story`` its lines before the first pass (page 0: not known yet), so that
    the first pass lays the contents out at their final size; the page numbers take no room on a line."""
    lines = [(level, escape(text), 0, key) for level, text, key in _headings(story)]
    for f in story:
        if isinstance(f, TableOfContents):
            f._entries = list(lines)


def build(story: list, **info) -> tuple[bytes, Layout]:
    """The PDF of ``story`` and the layout of its final pass.

    ReportLab's multiBuild repeats passes until the contents are stable; the footer's M is then the page count
    of the pass before the last, which is the last pass's count when the contents did not move. The contents are
    seeded with their lines (page numbers unknown) so that the first pass already has the final layout: two
    passes, the first a sketch. Where M still differs (or the sketch was the last pass), another round of passes
    starts from the last one's M and contents.
    """
    buffer = io.BytesIO()
    doc = ReportDoc(buffer, **info)
    seed_contents(story)
    doc.multiBuild(story)
    if doc.totals_drawn != {doc.page_total} or doc.sketch:  # another round, from this one's M and contents
        buffer.seek(0)
        buffer.truncate()
        for flowable in story:  # the mark of a flowable moved to the next page, which multiBuild clears only between passes
            flowable.__dict__.pop("_postponed", None)
        doc.first_pass_is_sketch = False
        doc.multiBuild(story)
    if doc.totals_drawn != {doc.page_total}:
        raise RuntimeError(f"the page count did not settle: footers showed {sorted(map(str, doc.totals_drawn))}, "
                           f"the document has {doc.page_total} pages")
    doc.layout.passes = doc.passes
    return buffer.getvalue(), doc.layout
