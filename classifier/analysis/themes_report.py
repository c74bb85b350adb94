"""The report's section "What no category covers": the top themes of `classify discover`.

Kept apart from report.py so the driver report and the themes change independently;
`report.render_html(..., themes=...)` adds the section before "How to read this".
"""

from __future__ import annotations

from html import escape

import pandas as pd

from .report import _html_table, _pct, _section

N_THEMES = 5  # themes shown, emerging ones first, then the largest
N_QUOTES = 2  # example comments per theme
N_TERMS = 6


def themes_section(themes: pd.DataFrame, limit: int = N_THEMES) -> str:
    """HTML for the top themes of a themes table (`Discovery.themes`, or `discover.read_themes`)."""
    intro = (
        "<p>Comments the codebook does not cover: those with no category or a low-confidence one, and "
        "those that share words the training data never uses even where the model gave them a category. "
        "<code>classify discover</code> groups them into themes; each may be a new cause worth a category.</p>"
    )
    if themes.empty:
        return _section("What no category covers", intro + "<p>No theme was found among them.</p>", "")
    shown = _top(themes, limit)
    emerging = "emerging" in shown.columns
    head = ["Theme", "Comments", "Share", "Detractors", "Words new to the training data", "Tagged by the model as"]
    if emerging:
        head.append("Since the earlier file")
    rows, quotes = [], []
    for r in shown.itertuples(index=False):
        name = _name(r)
        cells = [
            f"<strong>{escape(str(r.theme))}</strong> {escape(name)}",
            escape(str(int(r.size))),
            _pct(float(r.share)),
            _pct(float(r.detractor_share)),
            escape(_text(r.new_words)),
            escape(_text(r.categories)),
        ]
        if emerging:
            badge = ' <span class="badge" style="background:#D55E00">emerging</span>' if r.emerging else ""
            cells.append(f"{escape(str(int(r.size_since)))} ({_pct(float(r.share_since))}){badge}")
        rows.append(cells)
        examples = [_text(getattr(r, f"example_{i}", "")) for i in range(1, N_QUOTES + 1)]
        blocks = "".join(f"<blockquote>{escape(e)}</blockquote>" for e in examples if e)
        if blocks:
            quotes.append(f"<h3>{escape(str(r.theme))}: {escape(name)}</h3>{blocks}")
    more = (
        f"<p class=\"muted\">{len(themes) - len(shown)} smaller themes are in the themes table.</p>"
        if len(themes) > len(shown)
        else ""
    )
    table = _html_table(head, rows, text_columns=(0, 4, 5, 6))
    return _section("What no category covers", intro + more, table + "".join(quotes))


def _top(themes: pd.DataFrame, limit: int) -> pd.DataFrame:
    order = themes.assign(_emerging=themes["emerging"].astype(bool) if "emerging" in themes.columns else False)
    order = order.assign(_size=pd.to_numeric(order["size"], errors="coerce"))
    return order.sort_values(["_emerging", "_size"], ascending=[False, False], kind="stable").head(limit)


def _name(row) -> str:
    terms = [t.strip() for t in _text(row.top_terms).split(",") if t.strip()]
    return ", ".join(terms[:N_TERMS])


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
