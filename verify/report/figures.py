"""Drawing figure specs (plain data from the evidence) with matplotlib, in one style.

A spec is one of

* ``{"title", "xlabel", "ylabel", "xscale"?, "yscale"?, "series": [{"label", "x", "y", "style"?}],
  "hlines"?: [{"y", "label"}], "vlines"?: [{"x", "label"}]}`` -- line plots;
* ``{"kind": "matrix", "title", "rows": [[...]], "row_labels"?, "col_labels"?}`` -- a heat map;
* ``{"kind": "bar", "title", "labels": [...], "values": [...], "ylabel"}``.

Log scales are chosen automatically when positive values span more than three
decades and the spec does not say otherwise.
"""

from __future__ import annotations

import io
import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
}


# Reference lines (bounds, thresholds) in muted colours distinct from the data series.
REFERENCE_COLOURS = ("0.25", "tab:red", "tab:purple", "0.6")


def _finite(values):
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        out.append(f if math.isfinite(f) else math.nan)
    return out


def _auto_scale(values) -> str:
    positive = [v for v in values if v == v and v > 0]
    if positive and all(v == v and v > 0 for v in values) and max(positive) / min(positive) > 1e3:
        return "log"
    return "linear"


def _lines(ax, spec):
    xs_all, ys_all = [], []
    for s in spec.get("series", []):
        x, y = _finite(s.get("x", [])), _finite(s.get("y", []))
        xs_all += x
        ys_all += y
        style = s.get("style", "-o" if len(x) <= 12 else "-")
        ax.plot(x, y, style, label=s.get("label"), markersize=3, linewidth=1.3)
    for h, colour in zip(spec.get("hlines", []), REFERENCE_COLOURS):
        ax.axhline(float(h["y"]), color=colour, linestyle="--", linewidth=1, label=h.get("label"))
        ys_all.append(float(h["y"]))
    for v in spec.get("vlines", []):
        ax.axvline(float(v["x"]), color="0.5", linestyle=":", linewidth=1, label=v.get("label"))
    ax.set_xscale(spec.get("xscale") or _auto_scale(xs_all))
    ax.set_yscale(spec.get("yscale") or _auto_scale(ys_all))
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(spec.get("ylabel", ""))
    if any(s.get("label") for s in spec.get("series", [])) or spec.get("hlines") or spec.get("vlines"):
        ax.legend(loc="best")


def _matrix(fig, ax, spec):
    rows = [_finite(r) for r in spec["rows"]]
    im = ax.imshow(rows, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax, shrink=0.85)
    if spec.get("col_labels"):
        ax.set_xticks(range(len(spec["col_labels"])), spec["col_labels"], rotation=45, ha="right")
    if spec.get("row_labels"):
        ax.set_yticks(range(len(spec["row_labels"])), spec["row_labels"])
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(spec.get("ylabel", ""))
    ax.grid(False)


def _bars(ax, spec):
    labels, values = spec["labels"], _finite(spec["values"])
    ax.bar(range(len(values)), values, color="tab:blue")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(spec.get("ylabel", ""))
    if spec.get("yscale"):
        ax.set_yscale(spec["yscale"])
    for h, colour in zip(spec.get("hlines", []), REFERENCE_COLOURS):
        ax.axhline(float(h["y"]), color=colour, linestyle="--", linewidth=1, label=h.get("label"))
        ax.legend(loc="best")


# PNGs already drawn, by figure: the HTML and the PDF draw every figure, so
# a report draws each once instead of twice (matplotlib's layout and
# savefig are most of a report's time: 0.2-0.4 s a figure).
_PNG_CACHE: dict[str, bytes] = {}
_PNG_CACHE_SIZE = 512


def render_png(spec: dict) -> bytes:
    """The figure as PNG bytes (drawn once per figure: a second call with an equal spec returns the same bytes)."""
    import json

    key = json.dumps(spec, sort_keys=True, default=repr)
    png = _PNG_CACHE.get(key)
    if png is None:
        png = _draw_png(spec)
        if len(_PNG_CACHE) >= _PNG_CACHE_SIZE:
            _PNG_CACHE.pop(next(iter(_PNG_CACHE)))
        _PNG_CACHE[key] = png
    return png


def png_or_reason(spec) -> tuple[bytes, str]:
    """(the figure's PNG, '') or (b'', why it could not be drawn): a malformed figure in a results file costs its
    picture, not the report. The HTML and the PDF both use this, so they say the same thing."""
    try:
        return render_png(spec), ""
    except Exception as exc:  # noqa: BLE001 - matplotlib raises many types for bad data (ValueError, TypeError...)
        return b"", f"the figure could not be drawn ({type(exc).__name__}: {exc})"


def _draw_png(spec: dict) -> bytes:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        try:
            kind = spec.get("kind", "lines")
            if kind == "matrix":
                _matrix(fig, ax, spec)
            elif kind == "bar":
                _bars(ax, spec)
            else:
                _lines(ax, spec)
            ax.set_title("\n".join(textwrap.wrap(spec.get("title", ""), 80)), fontsize=9)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            return buf.getvalue()
        finally:
            plt.close(fig)
