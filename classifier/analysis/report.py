"""One self-contained HTML page for a driver analysis: inline CSS, inline SVG, no scripts, no network.

Charts are hand-written SVG so the page opens offline, prints well and needs no plotting library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from .changes import change_sentence
from .drivers import ALL, DriverAnalysis, DriverSettings, NpsSummary, driver_sentences
from .wording import LANGUAGES, date_text, period_name, say

GROUP_COLOURS = {"promoters": "#009E73", "passives": "#BDBDBD", "detractors": "#D55E00"}
ROLE_COLOURS = {
    "detractor driver": "#D55E00",
    "strength": "#009E73",
    "watch": "#E69F00",
    "neutral": "#52667A",
    "low n": "#B8B8B8",
}
LINE_COLOURS = ["#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#56B4E9"]
CHART_WIDTH = 960
LABEL_WIDTH = 300  # room for "Information and guidance - complaints (low n)"
TREND_LEFT, TREND_RIGHT = 100, CHART_WIDTH - 60  # every trend chart puts its periods at the same x
N_TOP_CAUSES = 5
N_EXAMPLES = 3
N_CHANGES = 6


def report_title(lang: str = "en", metric: str = "nps") -> str:
    """The default title: "What drives our NPS" in the report's language."""
    return say(lang, "title_nps" if metric == "nps" else "title_mean")


@dataclass(frozen=True)
class _Words:
    """The report's language and metric, and the words that depend on both."""

    lang: str
    metric: str
    scale: tuple[int, int]

    def __call__(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    @property
    def metric_name(self) -> str:
        return say(self.lang, "metric_nps" if self.metric == "nps" else "metric_mean")

    @property
    def Metric(self) -> str:  # the capitalised form, for headings
        return say(self.lang, "metric_nps" if self.metric == "nps" else "Metric_mean")

    @property
    def low(self) -> str:
        return say(self.lang, f"low_word_{self.metric}")

    def groups(self) -> dict[str, str]:
        """Group key -> label: promoters/passives/detractors, or high/middle/low scores for a mean."""
        keys = ("promoters", "passives", "detractors") if self.metric == "nps" else ("high", "middle", "low")
        return dict(zip(GROUP_COLOURS, (say(self.lang, k) for k in keys)))

    @property
    def digits(self) -> int:
        return 1 if self.metric == "nps" else 2

    def value(self, value: float, digits: int | None = None) -> str:
        """An NPS (signed) or an average score (not signed)."""
        if self.metric == "nps":
            return _signed(value, 0 if digits is None else digits)
        return _number(value, 2 if digits is None else digits)


def render_html(
    analysis: DriverAnalysis,
    examples: dict[str, list[str]] | None = None,
    title: str | None = None,
    subtitle: str = "Customer-service survey comments",
    lang: str = "en",
    themes: pd.DataFrame | None = None,
) -> str:
    """The whole report as one HTML string; the caller writes it to a file.

    ``examples`` maps items (category ids, or ``id:neg`` / ``id:pos``) to comments that are
    already masked; up to three are shown per ranked cause. ``lang`` (en, nb, sv) sets the
    headings and sentences; cause names come from ``analysis`` (the codebook's, in that language).
    ``themes`` (a table from `classify discover`) adds the section "What no category covers".
    Every piece of text is HTML-escaped.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}")
    words = _Words(lang, analysis.settings.metric, analysis.settings.scale)
    sections = [
        _headline(analysis, words),
        _key_findings(analysis, words),
        _section(
            words("h_impact", metric=words.metric_name),
            _impact_intro(analysis, words),
            _forest_plot(analysis, words),
        ),
        _section(words("h_shares"), f"<p>{escape(words('shares_intro'))}</p>", _group_shares_chart(analysis, words)),
        _section(words("h_table"), _jargon(analysis, words), _driver_table(analysis, words)),
        _correction_section(analysis, words),
        _trend_section(analysis, words),
        _segment_section(analysis, words),
        _examples_section(analysis, examples or {}, words),
        _method_section(analysis, words),
    ]
    if themes is not None:
        from .themes_report import themes_section

        sections.insert(-1, themes_section(themes))
    header_lines = [subtitle]
    if analysis.date_range is not None:
        start, end = analysis.date_range
        header_lines.append(words("date_range", start=date_text(start, lang), end=date_text(end, lang)))
    return _page(title or report_title(lang, words.metric), header_lines, "\n".join(s for s in sections if s), lang)


def top_complaints(block: pd.DataFrame, limit: int = 3, min_mentions: int = 3) -> pd.DataFrame:
    """The complaints that cost the most in one slice (a segment, a period).

    Complaints (and topic-only causes) with a negative impact and at least ``min_mentions``
    mentions, most points lost first; significance is not required, since a segment's
    sample is small, so the impact with its interval is what to read.
    """
    costly = block[block["polarity"].isin(["neg", ""]) & (block["impact"] < 0) & (block["mentions"] >= min_mentions)]
    return costly.sort_values("impact", kind="stable").head(limit)


# --------------------------------------------------------------------------- sections


def _headline(analysis: DriverAnalysis, words: _Words) -> str:
    overall = analysis.overall
    level = _ci_label(analysis, words)
    answers = words("answers_with_score", n=f"{overall.n:,}")
    if overall.n_excluded:
        answers += f" ({words('left_out', n=f'{overall.n_excluded:,}')})"
    low, high = words.value(overall.nps_ci_low, words.digits), words.value(overall.nps_ci_high, words.digits)
    value = words.value(overall.nps)
    return f"""<section class="headline">
  <div class="nps"><span class="nps-label">{escape(words.Metric)}</span><span class="nps-value">{value}</span>
    <span class="nps-ci">{escape(level)}: {low} {words("to")} {high}</span></div>
  <div class="split">
    <p class="muted">{escape(answers)}</p>
    {_group_bar(overall, words)}
  </div>
</section>"""


def _key_findings(analysis: DriverAnalysis, words: _Words) -> str:
    sentences = driver_sentences(
        analysis.table, analysis.overall, analysis.settings.ci, metric=words.metric, lang=words.lang
    )
    items = "".join(f"<li>{escape(s)}</li>" for s in sentences)
    return _section(words("h_findings"), f'<ul class="findings">{items}</ul>', "")


def _impact_intro(analysis: DriverAnalysis, words: _Words) -> str:
    text = words(
        "impact_intro",
        metric=words.metric_name,
        interval=_ci_label(analysis, words),
        min_n=analysis.settings.min_n,
    )
    return f"<p>{escape(text)}</p>"


def _jargon(analysis: DriverAnalysis, words: _Words) -> str:
    # The template holds <b> tags; only the filled-in values need escaping.
    return f'<p class="jargon">{words("jargon", low=escape(words.low), alpha=f"{analysis.settings.alpha:g}")}</p>'


def _role_label(role: str, words: _Words) -> str:
    return words(f"role_{role}")


def _driver_table(analysis: DriverAnalysis, words: _Words) -> str:
    table = analysis.table
    head = [
        words("col_cause"),
        words("col_mentions"),
        words("col_share"),
        words("col_within", metric=words.Metric),
        words("col_low", low=words.low.capitalize()),
        words("col_lift"),
        words("col_impact"),
        words("col_shapley"),
        words("col_q"),
        words("col_role"),
    ]
    rows = []
    for row in table.itertuples():
        cells = [
            escape(str(row.display_name)),
            _count(row.mentions),
            _pct(row.mention_share),
            _with_interval(row.nps_within, row.nps_within_ci_low, row.nps_within_ci_high, words, 0),
            _pct(row.detractor_share),
            _number(row.detractor_lift, 2),
            _with_interval(row.impact, row.impact_ci_low, row.impact_ci_high, words, words.digits, signed=True),
            _signed(row.shapley, words.digits),
            _q_value(row.q_value),
            f'<span class="badge" style="background:{ROLE_COLOURS[row.role]}">'
            f"{escape(_role_label(row.role, words))}</span>",
        ]
        rows.append(cells)
    return _html_table(head, rows)


def _correction_section(analysis: DriverAnalysis, words: _Words) -> str:
    """Shares and impact corrected for the classifier's measured error rates."""
    rates = analysis.settings.error_rates or {}
    table = analysis.table
    if "corrected_impact" not in table.columns:
        return ""
    head = [
        words("col_cause"),
        words("col_sensitivity"),
        words("col_specificity"),
        words("col_tagged_share"),
        words("col_corrected_share"),
        words("col_tagged_impact"),
        words("col_corrected_impact"),
    ]
    rows = []
    for row in table.itertuples():
        rate = rates.get(row.item) or (rates.get(row.category) if not row.polarity else None)
        if rate is None or pd.isna(row.corrected_impact):
            continue
        rows.append(
            [
                escape(str(row.display_name)),
                _number(rate.sensitivity, 2),
                _number(rate.specificity, 2),
                _pct(row.mention_share),
                _pct(row.corrected_prevalence),
                _signed(row.impact, 1),
                _signed(row.corrected_impact, 1),
            ]
        )
    if not rows:
        return ""
    notes = "".join(f'<p class="muted">{escape(w)}</p>' for w in analysis.warnings)
    return _section(words("h_corrected"), f"<p>{escape(words('corrected_intro'))}</p>{notes}", _html_table(head, rows))


def _with_interval(value: float, low: float, high: float, words: _Words, digits: int, signed: bool = False) -> str:
    fmt = (lambda v: _signed(v, digits)) if signed else (lambda v: words.value(v, digits))
    return f'{fmt(value)}<br><span class="interval">{fmt(low)} {words("to")} {fmt(high)}</span>'


def _trend_section(analysis: DriverAnalysis, words: _Words) -> str:
    if analysis.trend is None or analysis.trend.empty:
        return ""
    settings = analysis.settings
    per_period = analysis.trend.drop_duplicates("period")
    lead = ""
    changes = analysis.changes
    if changes is not None and not changes.empty:
        sentence = change_sentence(changes, metric=words.metric, lang=words.lang, period=settings.period)
        lead = f'<p class="lead">{escape(sentence)}</p>'
    undated = (
        f'<p class="muted">{escape(words("undated", n=f"{analysis.n_undated:,}"))}</p>' if analysis.n_undated else ""
    )
    intro = lead + f"<p>{escape(words('trend_intro', metric=words.Metric))}</p>" + undated
    charts = _nps_trend_chart(per_period, words) + _mentions_trend_chart(analysis, words)
    return _section(
        words("h_trend", period=words(f"period_{settings.period or 'month'}")),
        intro,
        charts + _changes_table(analysis, words),
    )


def _changes_table(analysis: DriverAnalysis, words: _Words) -> str:
    """The last pair of periods: the biggest contributions, then the residual row."""
    changes = analysis.changes
    if changes is None or changes.empty:
        return ""
    a, b = changes["from"].iloc[-1], changes["to"].iloc[-1]
    rows = changes[(changes["from"] == a) & (changes["to"] == b)]
    shown = pd.concat([rows[rows["item"] != ""].head(N_CHANGES), rows[rows["item"] == ""]])
    digits = words.digits
    body = [
        [
            escape(words("no_cause") if not row.item else str(row.display_name)),
            _signed(row.mix, digits),
            _signed(row.score, digits),
            f"{_signed(row.contribution, digits)}<br><span class=\"interval\">"
            f"{_signed(row.contribution_ci_low, digits)} {words('to')} "
            f"{_signed(row.contribution_ci_high, digits)}</span>",
        ]
        for row in shown.itertuples()
    ]
    head = [words("col_cause"), words("col_mix"), words("col_score"), words("col_contribution")]
    heading = words(
        "h_changes",
        a=period_name(a, analysis.settings.period, words.lang),
        b=period_name(b, analysis.settings.period, words.lang),
    )
    return f"<h3>{escape(heading)}</h3><p>{words('changes_intro')}</p>" + _html_table(head, body)


def _segment_section(analysis: DriverAnalysis, words: _Words) -> str:
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
        complaints = top_complaints(block)
        top = (
            f'<span class="muted">{escape(words("none_found"))}</span>'
            if complaints.empty
            else "<br>".join(
                f"{escape(str(r.display_name))} ({_signed(r.impact, words.digits)})" for r in complaints.itertuples()
            )
        )
        small = f' <span class="badge grey">{escape(words("small_sample"))}</span>' if first.slice_low_n else ""
        rows.append(
            [
                escape(words("all_answers") if segment == ALL else str(segment)) + small,
                _count(summary.n),
                _with_interval(summary.nps, summary.nps_ci_low, summary.nps_ci_high, words, 0),
                _group_bar(summary, words, width=220, height=14, labels=False),
                top,
            ]
        )
    note = words("segments_intro", metric=words.Metric, min_n=min_n)
    head = [words("col_segment"), words("col_answers"), words.Metric, words("col_groups"), words("col_top")]
    return _section(words("h_segments"), f"<p>{note}</p>", _html_table(head, rows, text_columns=(0, 3, 4)))


def _examples_section(analysis: DriverAnalysis, examples: dict[str, list[str]], words: _Words) -> str:
    blocks = []
    for row in analysis.table[analysis.table["role"] != "low n"].itertuples():
        comments = [c for c in examples.get(row.item, []) if str(c).strip()][:N_EXAMPLES]
        css = f' class="{_tone(row)}"'
        quotes = (
            "".join(f"<blockquote{css}>{escape(str(c))}</blockquote>" for c in comments)
            or f'<p class="muted">{escape(words("no_examples"))}</p>'
        )
        badge = (
            f'<span class="badge" style="background:{ROLE_COLOURS[row.role]}">'
            f"{escape(_role_label(row.role, words))}</span>"
        )
        blocks.append(f"<h3>{escape(str(row.display_name))} {badge}</h3>{quotes}")
    if not examples or not blocks:
        return ""
    return _section(words("h_examples"), f"<p>{escape(words('examples_intro'))}</p>", "".join(blocks))


def _tone(row) -> str:
    """How a quote is framed: a complaint (orange), praise (green) or a plain mention (grey)."""
    if row.polarity == "pos" or (not row.polarity and row.role == "strength"):
        return "praise"
    if row.polarity == "neg" or (not row.polarity and row.role in ("detractor driver", "watch") and row.impact < 0):
        return "complaint"
    return "mention"


def _method_section(analysis: DriverAnalysis, words: _Words) -> str:
    settings = analysis.settings
    if words.metric == "nps":
        metric_text = words("method_nps")
    else:
        low_top = 2 if settings.scale == (1, 5) else 6
        high_bottom = 4 if settings.scale == (1, 5) else 9
        metric_text = words(
            "method_mean",
            low_range=f"{settings.scale[0]}-{low_top}",
            high_range=f"{high_bottom}-{settings.scale[1]}",
        )
    items = [
        (words.Metric, metric_text),
        (words("col_impact"), words("method_impact", metric=words.metric_name)),
        (
            _ci_label(analysis, words),
            words("method_interval", n_boot=f"{settings.n_boot:,}", level=_ci_percent(analysis)),
        ),
        (words("col_role"), words("method_roles", alpha=f"{settings.alpha:g}", min_n=settings.min_n)),
        (words("col_shapley"), words("shapley_what", metric=words.metric_name) + " " + _shapley_note(settings, words)),
        (words("h_caveat"), words("method_caveat")),
    ]
    body = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in items)
    return _section(words("h_method"), "", f'<dl class="method">{body}</dl>')


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


def _group_bar(summary: NpsSummary, words: _Words, width: int = 640, height: int = 34, labels: bool = True) -> str:
    """Stacked bar of promoter / passive / detractor shares."""
    names = words.groups()
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
            _legend_item(i * 190, height + 22, GROUP_COLOURS[g], f"{names[g]} {_pct(s)}")
            for i, (g, s) in enumerate(shares.items())
        )
    total_height = height + (32 if labels else 0)
    description = ", ".join(f"{names[g]} {_pct(s)}" for g, s in shares.items())
    return _svg(width, total_height, "".join(body) + legend, description, cls="bar")


def _forest_plot(analysis: DriverAnalysis, words: _Words) -> str:
    """Impact per cause with its interval; colour = role, grey = too few mentions."""
    table = analysis.table
    row_height, top, bottom = 30, 34, 56
    height = top + row_height * len(table) + bottom
    values = table[["impact", "impact_ci_low", "impact_ci_high"]].to_numpy(dtype=float)
    scale = _Scale(*_padded_domain(values, include_zero=True), LABEL_WIDTH + 10, CHART_WIDTH - 200)
    shown_roles = [r for r in ROLE_COLOURS if (table["role"] == r).any()]  # a legend of what is there
    body = [
        _legend_item(LABEL_WIDTH + 10 + i * 135, 16, ROLE_COLOURS[r], _role_label(r, words))
        for i, r in enumerate(shown_roles)
    ]
    plot_bottom = top + row_height * len(table)
    body += _x_axis(scale, top, plot_bottom)
    body.append(_text(scale(0) - 8, plot_bottom + 40, words("costs"), anchor="end", cls="caption"))
    body.append(_text(scale(0) + 8, plot_bottom + 40, words("wins"), cls="caption"))
    digits = words.digits
    for i, row in enumerate(table.itertuples()):
        y = top + row_height * i + row_height / 2
        colour = ROLE_COLOURS[row.role]
        muted = row.role == "low n"
        if i % 2 == 0:
            body.append(_rect(0, y - row_height / 2, CHART_WIDTH, row_height, "#000", opacity=0.03))
        name = str(row.display_name) + (f" {words('low_n_tag')}" if muted else "")
        body.append(_text(LABEL_WIDTH, y + 4, name, anchor="end", cls="muted" if muted else None))
        if not np.isnan(row.impact_ci_low):
            body.append(_line(scale(row.impact_ci_low), y, scale(row.impact_ci_high), y, colour, 2.5))
        if not np.isnan(row.impact):
            body.append(f'<circle cx="{scale(row.impact):.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>')
        interval = (
            f"{_signed(row.impact, digits)}  ({_signed(row.impact_ci_low, digits)} to "
            f"{_signed(row.impact_ci_high, digits)})"
        )
        body.append(_text(CHART_WIDTH - 190, y + 4, interval, cls="muted" if muted else "value"))
    return _svg(CHART_WIDTH, height, "".join(body), "Impact on NPS per cause with intervals")


def _group_shares_chart(analysis: DriverAnalysis, words: _Words) -> str:
    """100% stacked bars per cause, with all answers on top for comparison."""
    table = analysis.table
    overall = analysis.overall
    names = words.groups()
    row_height, top = 28, 34
    height = top + row_height * (len(table) + 1) + 10
    bar_start, bar_end = LABEL_WIDTH + 10, CHART_WIDTH - 110
    body = [
        _legend_item(bar_start + i * 170, 16, colour, names[group])
        for i, (group, colour) in enumerate(GROUP_COLOURS.items())
    ]
    rows = [
        (words("all_answers"), overall.promoter_share, overall.passive_share, overall.detractor_share, overall.n, False)
    ]
    rows += [
        (str(r.display_name), r.promoter_share, r.passive_share, r.detractor_share, r.mentions, r.role == "low n")
        for r in table.itertuples()
    ]
    for i, (name, promoters, passives, detractors, count, muted) in enumerate(rows):
        y = top + row_height * i
        opacity = 0.45 if muted else 1.0
        label = name + (f" {words('low_n_tag')}" if muted else "")
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


def _nps_trend_chart(per_period: pd.DataFrame, words: _Words) -> str:
    height, top, bottom = 300, 20, 50
    values = per_period[["slice_nps", "slice_nps_ci_low", "slice_nps_ci_high"]].to_numpy(dtype=float)
    y_scale = _Scale(*_padded_domain(values, include_zero=False), height - bottom, top)
    xs = _period_positions(len(per_period))
    body = _y_axis(y_scale, 70, TREND_RIGHT + 20, words.Metric)
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
            body.append(
                _text(
                    x,
                    y_scale(value) - 10,
                    words.value(value, 0 if words.metric == "nps" else 2),
                    anchor="middle",
                    cls="value",
                )
            )
    return _svg(CHART_WIDTH, height, "".join(body), "NPS per period")


def _mentions_trend_chart(analysis: DriverAnalysis, words: _Words) -> str:
    causes = _top_causes(analysis.table)
    if causes.empty:
        return ""
    trend = analysis.trend
    if trend is None:
        return ""
    periods = trend["period"].drop_duplicates().tolist()
    shares = trend.pivot(index="period", columns="item", values="mention_share").reindex(periods)
    shown = shares[causes["item"]]
    plot_height, top, bottom = 280, 20, 50
    legend_rows = math.ceil(len(causes) / 2)
    height = plot_height + legend_rows * 22 + 6
    y_scale = _Scale(0.0, _ceil_nice(np.nanmax(shown.to_numpy(dtype=float), initial=0.01)), plot_height - bottom, top)
    xs = _period_positions(len(periods))
    body = _y_axis(y_scale, 70, TREND_RIGHT + 20, words("col_share"), percent=True)
    body += _period_labels(periods, xs, plot_height - bottom + 20)
    for i, cause in enumerate(causes.itertuples()):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        body.append(_polyline(xs, [y_scale(v) for v in shown[cause.item].fillna(0)], colour))
        # Below the plot, two to a row: names with "- complaints" are too long for a side legend.
        x, y = TREND_LEFT + (i % 2) * 420, plot_height + (i // 2) * 22
        body.append(_legend_item(x, y, colour, str(cause.display_name)))
    return _svg(CHART_WIDTH, height, "".join(body), "Mentions of the top causes per period")


def _top_causes(table: pd.DataFrame, limit: int = N_TOP_CAUSES) -> pd.DataFrame:
    """Detractor drivers and causes to watch; when there are none, the ranked causes that cost the most."""
    drivers = table[(table["role"] == "detractor driver") | ((table["role"] == "watch") & (table["impact"] < 0))]
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


def _period_positions(count: int, start: float = TREND_LEFT, end: float = TREND_RIGHT) -> list[float]:
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


def _page(title: str, header_lines: list[str], body: str, lang: str = "en") -> str:
    subtitle = "".join(f'<p class="subtitle">{escape(line)}</p>' for line in header_lines)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{escape(title)}</h1>{subtitle}</header>
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
blockquote.praise { border-left-color: #009E73; background: #eef8f4; }
blockquote.mention { border-left-color: #9aa3ac; background: #f4f5f7; }
p.lead { font-size: 17px; font-weight: 600; }
p.jargon { color: #52667a; font-size: 13px; }
h3 .badge { margin-left: 6px; vertical-align: middle; }
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


def _shapley_note(settings: DriverSettings, words: _Words) -> str:
    if settings.shapley_method == "exact":
        return words("shapley_exact")
    return words("shapley_estimate", n=settings.shapley_method.split("(")[-1].split()[0])


def _ci_label(analysis: DriverAnalysis, words: _Words) -> str:
    return words("interval", level=_ci_percent(analysis))


def _ci_percent(analysis: DriverAnalysis) -> str:
    return f"{analysis.settings.ci * 100:g}%"
