"""One self-contained HTML page for a driver analysis: inline CSS, inline SVG, no scripts, no network.

Charts are hand-written SVG so the page opens offline, prints well and needs no plotting library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from .drivers import DriverAnalysis, DriverSettings, NpsSummary

GROUP_COLOURS = {"promoters": "#009E73", "passives": "#BDBDBD", "detractors": "#D55E00"}
ROLE_COLOURS = {"detractor driver": "#D55E00", "strength": "#009E73", "neutral": "#52667A", "low n": "#B8B8B8"}
ROLE_LABELS = {
    "detractor driver": "Detractor driver",
    "strength": "Strength",
    "neutral": "Not significant",
    "low n": "Too few mentions",
}
LINE_COLOURS = ["#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#56B4E9"]
CHART_WIDTH = 960
LABEL_WIDTH = 250
N_TOP_CAUSES = 5
N_EXAMPLES = 3


def render_html(
    analysis: DriverAnalysis,
    examples: dict[str, list[str]] | None = None,
    title: str = "What drives our NPS",
    subtitle: str = "Customer-service survey comments",
    themes: pd.DataFrame | None = None,
) -> str:
    """The whole report as one HTML string; the caller writes it to a file.

    ``examples`` maps category ids to comments that are already masked; up to three are
    shown per top detractor cause. ``themes`` (a table from `classify discover`) adds the
    section "What no category covers". Every piece of text is HTML-escaped.
    """
    sections = [
        _headline(analysis),
        _key_findings(analysis),
        _section("Impact on NPS per cause", _impact_intro(analysis), _forest_plot(analysis)),
        _section(
            "Promoters, passives and detractors per cause",
            "<p>How the people who mention each cause scored, next to all answers.</p>",
            _group_shares_chart(analysis),
        ),
        _section("All causes in numbers", "", _driver_table(analysis)),
        _correction_section(analysis),
        _trend_section(analysis),
        _segment_section(analysis),
        _examples_section(analysis, examples or {}),
        _method_section(analysis),
    ]
    if themes is not None:
        from .themes_report import themes_section

        sections.insert(-1, themes_section(themes))
    return _page(title, subtitle, "\n".join(s for s in sections if s))


# --------------------------------------------------------------------------- sections


def _headline(analysis: DriverAnalysis) -> str:
    overall = analysis.overall
    level = _ci_label(analysis)
    excluded = f" ({overall.n_excluded:,} left out without a valid score)" if overall.n_excluded else ""
    return f"""<section class="headline">
  <div class="nps"><span class="nps-label">NPS</span><span class="nps-value">{_signed(overall.nps, 0)}</span>
    <span class="nps-ci">{level}: {_signed(overall.nps_ci_low, 1)} to {_signed(overall.nps_ci_high, 1)}</span></div>
  <div class="split">
    <p class="muted">{overall.n:,} answers with a score{escape(excluded)}</p>
    {_group_bar(overall)}
  </div>
</section>"""


def _key_findings(analysis: DriverAnalysis) -> str:
    items = "".join(f"<li>{escape(s)}</li>" for s in analysis.sentences)
    return _section("Key findings", f"<ul class=\"findings\">{items}</ul>", "")


def _impact_intro(analysis: DriverAnalysis) -> str:
    return (
        "<p>How many NPS points each cause costs (left of zero) or wins (right of zero): the change in "
        "NPS if the answers that mention it were left out, with its "
        f"{escape(_ci_label(analysis))}. Grey causes have fewer than {analysis.settings.min_n} "
        "mentions and are not ranked.</p>"
    )


def _driver_table(analysis: DriverAnalysis) -> str:
    table = analysis.table
    head = [
        "Cause",
        "Mentions",
        "Share of answers",
        "NPS among them",
        "Detractors among them",
        "Detractor lift",
        "Impact (points)",
        "Shared impact (Shapley)",
        "q-value",
        "Role",
    ]
    rows = []
    for row in table.itertuples():
        cells = [
            escape(str(row.display_name)),
            _count(row.mentions),
            _pct(row.mention_share),
            _with_interval(row.nps_within, row.nps_within_ci_low, row.nps_within_ci_high, 0),
            _pct(row.detractor_share),
            _number(row.detractor_lift, 2),
            _with_interval(row.impact, row.impact_ci_low, row.impact_ci_high, 1),
            _signed(row.shapley, 1),
            _q_value(row.q_value),
        ]
        cells.append(
            f"<span class=\"badge\" style=\"background:{ROLE_COLOURS[row.role]}\">"
            f"{escape(ROLE_LABELS[row.role])}</span>"
        )
        rows.append(cells)
    return _html_table(head, rows)


def _correction_section(analysis: DriverAnalysis) -> str:
    """Shares and impact corrected for the classifier's measured error rates."""
    rates = analysis.settings.error_rates or {}
    table = analysis.table
    if "corrected_impact" not in table.columns:
        return ""
    head = [
        "Cause",
        "Sensitivity",
        "Specificity",
        "Share as tagged",
        "Corrected share",
        "Corrected share among detractors",
        "among passives",
        "among promoters",
        "Impact as tagged",
        "Corrected impact",
    ]
    rows = [
        [
            escape(str(row.display_name)),
            _number(rates[row.category].sensitivity, 2),
            _number(rates[row.category].specificity, 2),
            _pct(row.mention_share),
            _pct(row.corrected_prevalence),
            _pct(row.corrected_prevalence_detractors),
            _pct(row.corrected_prevalence_passives),
            _pct(row.corrected_prevalence_promoters),
            _signed(row.impact, 1),
            _signed(row.corrected_impact, 1),
        ]
        for row in table.itertuples()
        if row.category in rates
    ]
    intro = (
        "<p>The tagging model misses some mentions (sensitivity) and sometimes tags a cause that is not "
        "there (specificity). Given those rates from cross-validation, these columns estimate the "
        "shares a perfect tagger would find, within each score group, and the impact that follows. "
        "Scores are taken as given; intervals and tests above use the tags as found.</p>"
    )
    return _section("Corrected for tagging errors", intro, _html_table(head, rows))


def _with_interval(value: float, low: float, high: float, digits: int) -> str:
    return (
        f"{_signed(value, digits)}<br><span class=\"interval\">{_signed(low, digits)} to {_signed(high, digits)}</span>"
    )


def _trend_section(analysis: DriverAnalysis) -> str:
    if analysis.trend is None or analysis.trend.empty:
        return ""
    per_period = analysis.trend.drop_duplicates("period")
    undated = (
        f"<p class=\"muted\">{analysis.n_undated:,} answers without a date are left out of the trend.</p>"
        if analysis.n_undated
        else ""
    )
    return _section(
        f"Trend per {analysis.settings.period}",
        "<p>NPS per period with its interval (shaded), and how often the top causes are mentioned.</p>" + undated,
        _nps_trend_chart(per_period, analysis) + _mentions_trend_chart(analysis),
    )


def _segment_section(analysis: DriverAnalysis) -> str:
    if analysis.segments is None:
        return ""
    min_n = analysis.settings.min_n
    rows = []
    for segment, block in analysis.segments.groupby("segment", sort=False):
        first = block.iloc[0]
        summary = NpsSummary(
            int(first.slice_n),
            0,
            first.slice_nps,
            first.slice_nps_ci_low,
            first.slice_nps_ci_high,
            first.slice_promoter_share,
            first.slice_passive_share,
            first.slice_detractor_share,
        )
        drivers = block[block["role"] == "detractor driver"]
        top = (
            "&mdash;"
            if drivers.empty
            else f"{escape(str(drivers.iloc[0].display_name))} ({_signed(drivers.iloc[0].impact, 1)})"
        )
        small = " <span class=\"badge grey\">small sample</span>" if first.slice_low_n else ""
        rows.append(
            [
                escape(str(segment)) + small,
                _count(summary.n),
                _with_interval(summary.nps, summary.nps_ci_low, summary.nps_ci_high, 0),
                _group_bar(summary, width=220, height=14, labels=False),
                top,
            ]
        )
    note = (
        f"<p>NPS per segment and its strongest detractor driver. Segments with fewer than {min_n} "
        "answers are marked <em>small sample</em>: read them with care.</p>"
    )
    head = ["Segment", "Answers", "NPS", "Promoters / passives / detractors", "Top detractor driver (impact)"]
    return _section("Segments", note, _html_table(head, rows, text_columns=(0, 3, 4)))


def _examples_section(analysis: DriverAnalysis, examples: dict[str, list[str]]) -> str:
    blocks = []
    for row in _top_causes(analysis.table).itertuples():
        comments = [c for c in examples.get(row.category, []) if str(c).strip()][:N_EXAMPLES]
        if comments:
            quotes = "".join(f"<blockquote>{escape(str(c))}</blockquote>" for c in comments)
            blocks.append(f"<h3>{escape(str(row.display_name))}</h3>{quotes}")
    if not blocks:
        return ""
    return _section(
        "What customers say",
        "<p>Example comments for the top detractor causes (personal details masked).</p>",
        "".join(blocks),
    )


def _method_section(analysis: DriverAnalysis) -> str:
    settings = analysis.settings
    level = _ci_label(analysis)
    correction = ""
    if settings.error_rates:
        correction = (
            "<dt>Corrected share and impact</dt><dd>The classifier that tags the comments makes "
            "mistakes. Using its measured hit rate and false-alarm rate, the corrected shares "
            "estimate how often each cause would be found if every comment were tagged perfectly, "
            "and the impact that follows. Scores are not corrected; intervals and tests use the "
            "tags as found.</dd>"
        )
    body = f"""<dl class="method">
<dt>NPS</dt><dd>Share of promoters (score 9-10) minus share of detractors (0-6), from -100 to +100.
Passives (7-8) count in the total only.</dd>
<dt>Impact</dt><dd>NPS of all answers minus NPS of the answers that do <em>not</em> mention the cause.
A negative number is what the cause costs: removing the answers that mention it would raise NPS by
that many points. A positive number is a strength.</dd>
<dt>Shared impact (Shapley)</dt><dd>Many comments mention more than one cause, so impacts overlap and
do not add up. The Shapley value shares the effect of each comment fairly between the causes it mentions
(averaged over every order in which causes could be removed), so the shared impacts add up exactly to the
gap between overall NPS and the NPS of answers that mention no cause at all.
{escape(_shapley_note(settings))}</dd>
<dt>{escape(level)}</dt><dd>The answers were resampled {settings.n_boot:,} times (bootstrap); the
interval holds the middle {escape(_ci_percent(analysis))} of the results. A wide interval means few
answers: the true value could be anywhere in it.</dd>
<dt>Significant</dt><dd>Fisher's exact test asks whether detractors are more (or less) common among the
answers that mention a cause than among the others. Because many causes are tested at once, the p-values
are adjusted with the Benjamini-Hochberg method (q-value); a cause is significant when q &lt;
{settings.alpha:g}, which keeps the expected share of false alarms among the flagged causes below
{escape(_pct(settings.alpha))}. A <em>detractor driver</em> is significant and costs NPS; a
<em>strength</em> is significant and wins NPS.</dd>
<dt>Too few mentions</dt><dd>Causes mentioned fewer than {settings.min_n} times are shown in grey and
not ranked: their numbers move a lot by chance.</dd>
{correction}
<dt>Keep in mind</dt><dd>These numbers show association, not proof of cause: they say where unhappy
customers point, not what would happen after a change.</dd>
</dl>"""
    return _section("How to read this", "", body)


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class _Scale:
    """Linear map from data values to pixels."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def _group_bar(summary: NpsSummary, width: int = 640, height: int = 34, labels: bool = True) -> str:
    """Stacked bar of promoter / passive / detractor shares."""
    shares = {
        "promoters": summary.promoter_share,
        "passives": summary.passive_share,
        "detractors": summary.detractor_share,
    }
    body, x = [], 0.0
    for group, share in shares.items():
        w = share * width
        body.append(_rect(x, 0, w, height, GROUP_COLOURS[group]))
        if labels and w > 44:
            body.append(_text(x + w / 2, height / 2 + 5, _pct(share), anchor="middle", cls="on-bar"))
        x += w
    legend = ""
    if labels:
        legend = "".join(
            _legend_item(i * 150, height + 22, GROUP_COLOURS[g], f"{g.capitalize()} {_pct(s)}")
            for i, (g, s) in enumerate(shares.items())
        )
    total_height = height + (32 if labels else 0)
    description = ", ".join(f"{g} {_pct(s)}" for g, s in shares.items())
    return _svg(width, total_height, "".join(body) + legend, description, cls="bar")


def _forest_plot(analysis: DriverAnalysis) -> str:
    """Impact per cause with its interval; colour = role, grey = too few mentions."""
    table = analysis.table
    row_height, top, bottom = 30, 34, 56
    height = top + row_height * len(table) + bottom
    values = table[["impact", "impact_ci_low", "impact_ci_high"]].to_numpy(dtype=float)
    scale = _Scale(*_padded_domain(values, include_zero=True), LABEL_WIDTH + 10, CHART_WIDTH - 200)
    body = [
        _legend_item(LABEL_WIDTH + 10 + i * 170, 16, ROLE_COLOURS[r], ROLE_LABELS[r])
        for i, r in enumerate(ROLE_COLOURS)
    ]
    plot_bottom = top + row_height * len(table)
    body += _x_axis(scale, top, plot_bottom)
    body.append(_text(scale(0) - 8, plot_bottom + 40, "\u2190 costs NPS points", anchor="end", cls="caption"))
    body.append(_text(scale(0) + 8, plot_bottom + 40, "wins NPS points \u2192", cls="caption"))
    for i, row in enumerate(table.itertuples()):
        y = top + row_height * i + row_height / 2
        colour = ROLE_COLOURS[row.role]
        muted = row.role == "low n"
        if i % 2 == 0:
            body.append(_rect(0, y - row_height / 2, CHART_WIDTH, row_height, "#000", opacity=0.03))
        name = str(row.display_name) + (" (low n)" if muted else "")
        body.append(_text(LABEL_WIDTH, y + 4, name, anchor="end", cls="muted" if muted else None))
        if not np.isnan(row.impact_ci_low):
            body.append(_line(scale(row.impact_ci_low), y, scale(row.impact_ci_high), y, colour, 2.5))
        if not np.isnan(row.impact):
            body.append(f'<circle cx="{scale(row.impact):.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>')
        interval = f"{_signed(row.impact, 1)}  ({_signed(row.impact_ci_low, 1)} to {_signed(row.impact_ci_high, 1)})"
        body.append(_text(CHART_WIDTH - 190, y + 4, interval, cls="muted" if muted else "value"))
    return _svg(CHART_WIDTH, height, "".join(body), "Impact on NPS per cause with intervals")


def _group_shares_chart(analysis: DriverAnalysis) -> str:
    """100% stacked bars per cause, with all answers on top for comparison."""
    table = analysis.table
    overall = analysis.overall
    row_height, top = 28, 34
    height = top + row_height * (len(table) + 1) + 10
    bar_start, bar_end = LABEL_WIDTH + 10, CHART_WIDTH - 110
    body = [
        _legend_item(bar_start + i * 150, 16, colour, group.capitalize())
        for i, (group, colour) in enumerate(GROUP_COLOURS.items())
    ]
    rows = [("All answers", overall.promoter_share, overall.passive_share, overall.detractor_share, overall.n, False)]
    rows += [
        (str(r.display_name), r.promoter_share, r.passive_share, r.detractor_share, r.mentions, r.role == "low n")
        for r in table.itertuples()
    ]
    for i, (name, promoters, passives, detractors, count, muted) in enumerate(rows):
        y = top + row_height * i
        opacity = 0.45 if muted else 1.0
        label = name + (" (low n)" if muted else "")
        body.append(
            _text(
                LABEL_WIDTH,
                y + row_height / 2 + 4,
                label,
                anchor="end",
                cls="strong" if i == 0 else ("muted" if muted else None),
            )
        )
        x = float(bar_start)
        for group, share in zip(GROUP_COLOURS, (promoters, passives, detractors)):
            share = 0.0 if np.isnan(share) else share
            w = share * (bar_end - bar_start)
            body.append(_rect(x, y + 4, w, row_height - 8, GROUP_COLOURS[group], opacity=opacity))
            if w > 34:
                body.append(_text(x + w / 2, y + row_height / 2 + 4, _pct(share), anchor="middle", cls="on-bar"))
            x += w
        body.append(_text(bar_end + 10, y + row_height / 2 + 4, f"n = {_count(count)}", cls="muted"))
    return _svg(CHART_WIDTH, height, "".join(body), "Promoters, passives and detractors per cause")


def _nps_trend_chart(per_period: pd.DataFrame, analysis: DriverAnalysis) -> str:
    height, top, bottom = 300, 20, 50
    values = per_period[["slice_nps", "slice_nps_ci_low", "slice_nps_ci_high"]].to_numpy(dtype=float)
    y_scale = _Scale(*_padded_domain(values, include_zero=False), height - bottom, top)
    xs = _period_positions(len(per_period))
    body = _y_axis(y_scale, 70, CHART_WIDTH - 30, "NPS")
    body += _period_labels(per_period["period"].tolist(), xs, height - bottom + 20)
    band = per_period[["slice_nps_ci_low", "slice_nps_ci_high"]].to_numpy(dtype=float)
    if not np.isnan(band).any() and len(xs) > 1:
        upper = [f"{x:.1f},{y_scale(v):.1f}" for x, v in zip(xs, band[:, 1])]
        lower = [f"{x:.1f},{y_scale(v):.1f}" for x, v in zip(xs[::-1], band[::-1, 0])]
        body.append(f'<polygon points="{" ".join(upper + lower)}" fill="#0072B2" opacity="0.15"/>')
    nps = per_period["slice_nps"].to_numpy(dtype=float)
    body.append(_polyline(xs, [y_scale(v) for v in nps], "#0072B2"))
    for x, value, small in zip(xs, nps, per_period["slice_low_n"]):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y_scale(value):.1f}" r="4" fill="{"#fff" if small else "#0072B2"}" '
            f'stroke="#0072B2" stroke-width="2"/>'
        )
        if len(xs) <= 16:
            body.append(_text(x, y_scale(value) - 10, _signed(value, 0), anchor="middle", cls="value"))
    return _svg(CHART_WIDTH, height, "".join(body), "NPS per period")


def _mentions_trend_chart(analysis: DriverAnalysis) -> str:
    causes = _top_causes(analysis.table)
    if causes.empty:
        return ""
    trend = analysis.trend
    if trend is None:
        return ""
    periods = trend["period"].drop_duplicates().tolist()
    shares = trend.pivot(index="period", columns="category", values="mention_share").reindex(periods)
    shown = shares[causes["category"]]
    height, top, bottom, right = 280, 20, 50, 220
    y_scale = _Scale(0.0, _ceil_nice(np.nanmax(shown.to_numpy(dtype=float), initial=0.01)), height - bottom, top)
    xs = _period_positions(len(periods), end=CHART_WIDTH - right)
    body = _y_axis(y_scale, 70, CHART_WIDTH - right, "Share of answers", percent=True)
    body += _period_labels(periods, xs, height - bottom + 20)
    for i, cause in enumerate(causes.itertuples()):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        body.append(_polyline(xs, [y_scale(v) for v in shown[cause.category].fillna(0)], colour))
        body.append(_legend_item(CHART_WIDTH - right + 20, top + 10 + i * 22, colour, str(cause.display_name)))
    return _svg(CHART_WIDTH, height, "".join(body), "Mentions of the top causes per period")


def _top_causes(table: pd.DataFrame, limit: int = N_TOP_CAUSES) -> pd.DataFrame:
    """Detractor drivers first; when there are none, the ranked causes that cost the most NPS."""
    drivers = table[table["role"] == "detractor driver"]
    if drivers.empty:
        drivers = table[(table["role"] != "low n") & (table["impact"] < 0)].sort_values("impact")
    return drivers.head(limit)


# --------------------------------------------------------------------------- SVG pieces


def _svg(width: float, height: float, body: str, label: str, cls: str = "chart") -> str:
    return (
        f'<svg class="{cls}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(label)}</title>{body}</svg>'
    )


def _text(x: float, y: float, content: str, anchor: str = "start", cls: str | None = None) -> str:
    css = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{css}>{escape(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, opacity: float = 1.0) -> str:
    faded = f' opacity="{opacity:g}"' if opacity != 1 else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"{faded}/>'


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 1.0, dash: bool = False) -> str:
    dashes = ' stroke-dasharray="4 4"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
        f'stroke-width="{width:g}"{dashes}/>'
    )


def _polyline(xs: list[float], ys: list[float], colour: str) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys) if not np.isnan(y))
    return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>'


def _legend_item(x: float, y: float, colour: str, label: str) -> str:
    return _rect(x, y - 10, 12, 12, colour) + _text(x + 18, y, label, cls="legend")


def _x_axis(scale: _Scale, top: float, bottom: float) -> list[str]:
    parts = []
    for tick in _ticks(scale.low, scale.high):
        x = scale(tick)
        parts.append(_line(x, top, x, bottom, "#888" if tick == 0 else "#e3e3e3", 1.5 if tick == 0 else 1))
        parts.append(_text(x, bottom + 16, _signed(tick, 0) if tick else "0", anchor="middle", cls="tick"))
    return parts


def _y_axis(scale: _Scale, left: float, right: float, caption: str, percent: bool = False) -> list[str]:
    parts = []
    for tick in _ticks(scale.low, scale.high, count=5):
        y = scale(tick)
        parts.append(_line(left, y, right, y, "#888" if tick == 0 and not percent else "#e3e3e3"))
        label = _pct(tick) if percent else (_signed(tick, 0) if tick else "0")
        parts.append(_text(left - 8, y + 4, label, anchor="end", cls="tick"))
    parts.append(
        f'<text transform="translate(16 {(scale.start + scale.end) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" class="caption">{escape(caption)}</text>'
    )
    return parts


def _period_positions(count: int, start: float = 100, end: float = CHART_WIDTH - 50) -> list[float]:
    if count == 1:
        return [(start + end) / 2]
    step = (end - start) / (count - 1)
    return [start + i * step for i in range(count)]


def _period_labels(labels: list[str], xs: list[float], y: float) -> list[str]:
    step = xs[1] - xs[0] if len(xs) > 1 else 1000.0
    longest = max(len(label) for label in labels)
    every = max(1, math.ceil((longest * 7.5 + 12) / step))  # skip labels that would touch their neighbours
    return [
        _text(x, y, label, anchor="middle", cls="tick")
        for i, (x, label) in enumerate(zip(xs, labels))
        if i % every == 0
    ]


def _padded_domain(values: np.ndarray, include_zero: bool) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    low = float(finite.min()) if finite.size else -1.0
    high = float(finite.max()) if finite.size else 1.0
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    pad = max((high - low) * 0.08, 1.0)
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) inside [low, high]."""
    raw = (high - low) / count or 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step) + 1)]


def _ceil_nice(value: float) -> float:
    """A round upper bound for a share axis (0.05 steps)."""
    return min(1.0, math.ceil(value * 1.15 / 0.05) * 0.05)


# --------------------------------------------------------------------------- HTML pieces


def _section(heading: str, intro: str, content: str) -> str:
    return f"<section>\n<h2>{escape(heading)}</h2>\n{intro}\n<div class=\"figure\">{content}</div>\n</section>"


def _html_table(head: list[str], rows: list[list[str]], text_columns: tuple[int, ...] = (0,)) -> str:
    """Cells are already-escaped HTML; numbers are right-aligned, text columns left-aligned."""

    def align(j: int) -> str:
        return ' class="text"' if j in text_columns else ' class="num"'

    header = "".join(f"<th{align(j)}>{escape(h)}</th>" for j, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{align(j)}>{cell}</td>" for j, cell in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="table-wrap"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'


def _page(title: str, subtitle: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{escape(title)}</h1><p class="subtitle">{escape(subtitle)}</p></header>
<main>
{body}
</main>
</body>
</html>
"""


_CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1f2933;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #1f2933; color: #fff; padding: 28px max(24px, calc(50% - 500px)); }
header h1 { margin: 0; font-size: 28px; }
.subtitle { margin: 4px 0 0; color: #c9d1d9; }
main { max-width: 1040px; margin: 0 auto; padding: 16px 20px 48px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 18px 22px; margin: 16px 0; }
h2 { margin: 0 0 8px; font-size: 20px; }
h3 { margin: 18px 0 6px; font-size: 16px; }
p { margin: 6px 0; }
.muted { color: #6b7785; fill: #8a949e; }
.headline { display: flex; gap: 36px; align-items: center; flex-wrap: wrap; }
.nps { display: flex; flex-direction: column; min-width: 220px; }
.nps-label { font-size: 14px; text-transform: uppercase; letter-spacing: .08em; color: #6b7785; }
.nps-value { font-size: 64px; font-weight: 700; line-height: 1.05; }
.nps-ci { color: #52667a; }
.split { flex: 1; min-width: 320px; }
.figure { overflow-x: auto; }
svg { display: block; max-width: 100%; height: auto; margin-top: 8px; }
svg text { font-size: 13px; fill: #1f2933; }
svg text.muted { fill: #9aa3ac; }
svg text.tick, svg text.legend { font-size: 12px; fill: #52667a; }
svg text.caption { font-size: 12px; fill: #52667a; font-style: italic; }
svg text.on-bar { fill: #fff; font-weight: 600; font-size: 12px; }
svg text.value { font-size: 12px; fill: #1f2933; }
svg text.strong { font-weight: 700; }
ul.findings { margin: 0; padding-left: 20px; }
ul.findings li { margin: 6px 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { font-weight: 600; border-bottom: 2px solid #d0d5da; padding: 6px 6px; vertical-align: bottom; }
th.num { text-align: right; }
th.text, td.text { text-align: left; }
th:first-child { min-width: 150px; }
.interval { color: #7a8591; font-size: 11px; }
td { border-bottom: 1px solid #eceff2; padding: 5px 6px; vertical-align: middle; }
td.num { text-align: right; white-space: nowrap; }
td svg { margin: 0; display: inline-block; }
tbody tr:nth-child(even) { background: #fafbfc; }
.badge { display: inline-block; color: #fff; border-radius: 10px; padding: 1px 8px; font-size: 12px;
  white-space: nowrap; }
.badge.grey { background: #9aa3ac; }
blockquote { margin: 6px 0; padding: 8px 12px; border-left: 4px solid #D55E00; background: #fdf5ef; }
dl.method dt { font-weight: 700; margin-top: 10px; }
dl.method dd { margin: 2px 0 0 0; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } }
"""


# --------------------------------------------------------------------------- number formats


def _signed(value: float, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "n/a"
    text = f"{value:+.{digits}f}"
    return "0" if float(text) == 0 else text


def _number(value: float, digits: int) -> str:
    return "n/a" if pd.isna(value) else f"{value:.{digits}f}"


def _pct(share: float) -> str:
    if pd.isna(share):
        return "n/a"
    return f"{100 * share:.1f}%" if 0 < share < 0.01 else f"{100 * share:.0f}%"


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _q_value(q: float) -> str:
    return "n/a" if pd.isna(q) else ("&lt; 0.001" if q < 0.001 else f"{q:.3f}")


def _shapley_note(settings: DriverSettings) -> str:
    method = settings.shapley_method
    if method == "exact":
        return "Computed exactly over every combination of causes."
    return f"Estimated from random orders of the causes: {method}."


def _ci_label(analysis: DriverAnalysis) -> str:
    return f"{_ci_percent(analysis)} interval"


def _ci_percent(analysis: DriverAnalysis) -> str:
    return f"{analysis.settings.ci * 100:g}%"
