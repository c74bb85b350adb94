"""Driver analysis: which root causes pull NPS down, and which hold it up.

Works with any codebook: an item is a column name of ``labels``, either a category id
(``wait_time``: topic only) or a category and its polarity (``wait_time:neg`` for the
complaints, ``wait_time:pos`` for the praise), so complaints and praise about the same
topic are ranked as separate rows.
NPS groups: 9-10 promoter, 7-8 passive, 0-6 detractor; NPS = %promoters - %detractors.
With ``metric="mean"`` the causes are ranked by their impact on the average score
(a 1-5 rating, say) instead. See docs/drivers.md for every formula in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from ..nps import DETRACTOR, NPS_SCALE, PASSIVE, PROMOTER, group_codes, scale_refusal, score_scale

if TYPE_CHECKING:
    from ..model.model import ErrorRates

PERIODS = ("month", "week", "quarter")
METRICS = ("nps", "mean")
# "watch": fewer than min_n mentions but a significant signal (18 mentions, 83% detractors).
ROLES = ("detractor driver", "strength", "watch", "neutral", "low n")
POLARITIES = ("neg", "pos", "neu")  # complaint, praise, neutral mention; "" = topic only
POLARITY_NAMES = {"neg": "complaints", "pos": "praise", "neu": "neutral"}
ALL = "All"
MISSING_SEGMENT = "(missing)"

# Memory budget for one chunk of bootstrap weights (resamples x rows, float64 cells).
_BOOTSTRAP_CELLS_PER_CHUNK = 2_000_000
# Memory budget for the soft-label subset products (subsets x rows).
_SUBSET_CELLS_PER_CHUNK = 4_000_000

SLICE_COLUMNS = [
    "slice_n",
    "slice_nps",
    "slice_nps_ci_low",
    "slice_nps_ci_high",
    "slice_promoter_share",
    "slice_passive_share",
    "slice_detractor_share",
    "slice_low_n",
]


@dataclass(frozen=True)
class DriverSettings:
    """The options an analysis ran with, as the report and the tidy table state them."""

    soft: bool
    min_n: int
    n_boot: int
    seed: int
    alpha: float
    ci: float
    period: str | None
    categories: list
    display_names: dict
    shapley_method: str
    error_rates: dict[str, ErrorRates] | None = None
    metric: str = "nps"
    scale: tuple[int, int] = NPS_SCALE


@dataclass(frozen=True)
class NpsSummary:
    """NPS of a set of respondents; shares are fractions in [0, 1], NPS in points."""

    n: int
    n_excluded: int
    nps: float
    nps_ci_low: float
    nps_ci_high: float
    promoter_share: float
    passive_share: float
    detractor_share: float


@dataclass
class DriverAnalysis:
    """Result of :func:`analyze`.

    ``table`` has one row per category, sorted: detractor drivers (most NPS
    lost first), strengths (most NPS won first), causes to watch, neutral, then low-n items.
    ``segments``, ``trend`` and ``segment_trend`` are tidy tables with the same
    category columns plus ``slice_*`` columns describing the segment/period.
    """

    overall: NpsSummary
    table: pd.DataFrame
    sentences: list[str]
    settings: DriverSettings
    segments: pd.DataFrame | None = None
    trend: pd.DataFrame | None = None
    segment_trend: pd.DataFrame | None = None
    n_undated: int = 0
    changes: pd.DataFrame | None = None  # see classifier.analysis.changes
    date_range: tuple[pd.Timestamp, pd.Timestamp] | None = None  # first and last dated answer
    warnings: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """One row per segment x period x category with every measure, for BI tools.

        Overall rows carry segment "All" and period "All"; ``level`` says which cut
        a row belongs to ("overall", "segment", "period", "segment x period").
        """
        overall = _with_slice_columns(self.table, self.overall, self.settings.min_n)
        layers = [overall.assign(level="overall", segment=ALL, period=ALL, period_start=pd.NaT)]
        if self.segments is not None:
            by_segment = self.segments[self.segments["segment"] != ALL]
            layers.append(by_segment.assign(level="segment", period=ALL, period_start=pd.NaT))
        if self.trend is not None:
            layers.append(self.trend.assign(level="period", segment=ALL))
        if self.segment_trend is not None:
            layers.append(self.segment_trend.assign(level="segment x period"))
        tidy = pd.concat(layers, ignore_index=True)
        first = ["level", "segment", "period", "period_start"]
        return tidy[first + [c for c in tidy.columns if c not in first]]


@dataclass(frozen=True)
class _Options:
    soft: bool
    min_n: int
    n_boot: int
    alpha: float
    ci: float
    max_exact_categories: int
    n_permutations: int
    on_progress: Callable[[int], None] | None = None  # called with the number of resamples just done


# --------------------------------------------------------------------------- public API


def analyze(
    labels: pd.DataFrame,
    scores: pd.Series,
    *,
    metric: str = "nps",
    soft: bool = False,
    min_n: int = 30,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    error_rates: dict[str, ErrorRates] | None = None,
    segments: pd.Series | None = None,
    dates: pd.Series | None = None,
    period: str | None = None,
    compare: tuple[str, str] | None = None,
    display_names: dict[str, str] | None = None,
    polarity_names: dict[str, str] | None = None,
    ci: float = 0.95,
    max_exact_categories: int = 16,
    n_permutations: int = 1000,
    on_progress: Callable[[int, int], None] | None = None,
) -> DriverAnalysis:
    """Rank the items in ``labels`` by how much NPS (or the average score) they cost or win.

    Parameters
    ----------
    labels : one column per item, values 0/1 (or probabilities with ``soft=True``). An item
        is a category id (topic only) or ``id:neg`` / ``id:pos`` / ``id:neu`` (category and polarity).
    scores : 0-10 scores (1-5 ratings with ``metric="mean"``), index-aligned with ``labels``;
        NaN rows are left out and counted.
    metric : "nps" (0-10 answers) or "mean" (the average score, any 0-10 or 1-5 scale).
    soft : treat label values as probabilities (fractional membership).
    min_n : items with fewer mentions (and segments/periods with fewer
        respondents) are flagged ``low_n``; low-n items are not ranked.
    n_boot, seed, ci : bootstrap resamples, random seed and interval level.
    alpha : false discovery rate for the Benjamini-Hochberg ``significant`` flag.
    error_rates : {item or category: ErrorRates} from cross-validation;
        adds prevalence and impact corrected for classifier error (Rogan-Gladen).
    segments : optional segment per row (channel, department, language, ...).
    dates, period : parsed dates (NaT allowed) and "month", "week" or "quarter".
    compare : two period labels ("2026-08", "2026-09") whose change is decomposed,
        besides every pair of consecutive periods.
    display_names : {category id or item: name shown in sentences and reports}.
    polarity_names : {"neg": ..., "pos": ..., "neu": ...}, appended to the names of split items.
    max_exact_categories, n_permutations : exact Shapley up to this many
        items, a seeded permutation estimate above it.
    on_progress : called as ``on_progress(n, total)`` whenever ``n`` more bootstrap
        resamples are done, of ``total`` in the whole analysis (every slice and change).
    """
    from .changes import decompose_changes

    membership = _check_labels(labels, soft)
    score_values = _aligned(scores, labels.index, "scores").to_numpy(dtype=float, na_value=np.nan)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    _check_score_range(score_values)
    scale = score_scale(score_values)
    if metric == "nps" and scale != NPS_SCALE:
        raise ValueError(scale_refusal())
    _check_options(min_n, n_boot, alpha, ci, period, dates)
    items = list(labels.columns)
    names = item_names(items, display_names, polarity_names)

    valid = ~np.isnan(score_values)
    if not valid.any():
        raise ValueError("no row has a valid score")
    groups = group_codes(score_values[valid], scale)
    values = _metric_values(groups, score_values[valid], metric)
    membership = membership[valid]
    segment_keys = None if segments is None else _segment_keys(_aligned(segments, labels.index, "segments"))[valid]
    valid_dates = None if dates is None else _aligned(dates, labels.index, "dates")[valid]
    period_starts = None if valid_dates is None or period is None else _period_starts(valid_dates, period)
    total = n_boot * _bootstrapped_slices(segment_keys, period_starts, compare is not None)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(n, total)

    options = _Options(soft, min_n, n_boot, alpha, ci, max_exact_categories, n_permutations, advance)

    rng = np.random.default_rng(seed)
    summary, table = _analyze_slice(groups, values, membership, items, names, options, rng)
    overall = replace(summary, n_excluded=int((~valid).sum()))
    warnings: list[str] = []
    if error_rates:
        if metric != "nps":
            warnings.append("--correct applies to NPS only; the average-score analysis is not corrected")
        else:
            table, warnings = _with_corrected_prevalence(table, groups, membership, items, error_rates, min_n)

    slicer = _Slicer(groups, values, membership, items, names, options, seed, period)
    trend = None if period_starts is None else slicer.frame({"period_start": period_starts}, layer=2)
    changes = None
    if period_starts is not None and trend is not None:
        period_labels = np.array(
            [
                None if pd.isna(start) else _period_label(pd.Timestamp(start), period or "month")
                for start in period_starts
            ],
            dtype=object,
        )
        changes = decompose_changes(
            values,
            membership if not soft else (membership >= 0.5).astype(float),
            period_labels,
            trend["period"].drop_duplicates().tolist(),
            # in the order of membership's columns (the table is in rank order)
            table.set_index("item", drop=False).loc[items, ["item", "category", "polarity", "display_name"]],
            compare=compare,
            n_boot=n_boot,
            ci=ci,
            seed=seed,
            on_progress=advance,
        )
    if on_progress is not None and done != total:  # a --compare pair that was consecutive anyway
        on_progress(0, done)
    return DriverAnalysis(
        overall=overall,
        table=table,
        sentences=driver_sentences(table, overall, ci, metric=metric),
        segments=None if segment_keys is None else _segments_frame(slicer, segment_keys, table, overall),
        trend=trend,
        segment_trend=(
            None
            if segment_keys is None or period_starts is None
            else slicer.frame({"segment": segment_keys, "period_start": period_starts}, layer=3)
        ),
        n_undated=0 if period_starts is None else int(pd.isna(period_starts).sum()),
        changes=changes,
        date_range=_date_range(valid_dates),
        warnings=warnings,
        settings=DriverSettings(
            soft=soft,
            min_n=min_n,
            n_boot=n_boot,
            seed=seed,
            alpha=alpha,
            ci=ci,
            period=period,
            categories=items,
            display_names=names,
            shapley_method=_shapley_method(len(items), options),
            error_rates=error_rates,
            metric=metric,
            scale=scale,
        ),
    )


def split_item(item: object) -> tuple[str, str]:
    """("wait_time", "neg") for "wait_time:neg"; ("wait_time", "") for a topic-only item."""
    text = str(item)
    category, _, polarity = text.rpartition(":")
    return (category, polarity) if category and polarity in POLARITIES else (text, "")


def item_names(
    items: list, display_names: dict[str, str] | None = None, polarity_names: dict[str, str] | None = None
) -> dict:
    """{item: "Wait time - complaints"}: the category's name and, for a split item, its polarity."""
    given = display_names or {}
    polarity_words = {**POLARITY_NAMES, **(polarity_names or {})}
    names = {}
    for item in items:
        category, polarity = split_item(item)
        if given.get(item):
            names[item] = given[item]
            continue
        name = given.get(category) or _default_display_name(category)
        names[item] = f"{name} - {polarity_words[polarity]}" if polarity else name
    return names


def _metric_values(groups: np.ndarray, scores: np.ndarray, metric: str) -> np.ndarray:
    """What the headline number averages: +100 / 0 / -100 per answer for NPS, the score for the mean."""
    if metric == "mean":
        return scores.astype(float)
    return 100.0 * ((groups == PROMOTER).astype(float) - (groups == DETRACTOR).astype(float))


def _date_range(dates: pd.Series | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if dates is None or dates.notna().sum() == 0:
        return None
    return pd.Timestamp(dates.min()), pd.Timestamp(dates.max())


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN p-values stay NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    m = int(tested.sum())
    if m == 0:
        return q
    order = np.argsort(p[tested])
    ranked = p[tested][order] * m / np.arange(1, m + 1)
    # Step-up: each q is the smallest adjusted p at or above its rank.
    monotone = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(monotone, 1.0)
    q[tested] = adjusted
    return q


def rogan_gladen(observed: np.ndarray | float, sensitivity: float, specificity: float) -> np.ndarray:
    """True prevalence from observed prevalence and the classifier's error rates, clipped to [0, 1]."""
    youden = sensitivity + specificity - 1
    if youden <= 0:
        raise ValueError("sensitivity + specificity must exceed 1 (a classifier better than chance)")
    return np.clip((np.asarray(observed, dtype=float) + specificity - 1) / youden, 0.0, 1.0)


def driver_sentences(
    table: pd.DataFrame,
    overall: NpsSummary,
    ci: float = 0.95,
    n_drivers: int = 5,
    n_strengths: int = 2,
    metric: str = "nps",
    lang: str = "en",
) -> list[str]:
    """Plain sentences for the top detractor drivers, the top strengths, then the causes to watch."""
    from .wording import say

    digits = 1 if metric == "nps" else 2
    words = {
        "low": say(lang, f"low_word_{metric}"),
        "metric": say(lang, f"metric_{metric}"),
        "base": _percent(overall.detractor_share),
    }

    def interval(low: float, high: float) -> str:
        if np.isnan(low) or np.isnan(high):
            return ""
        level = f"{ci * 100:g}%"
        return f" ({say(lang, 'ci', level=level, low=f'{low:.{digits}f}', high=f'{high:.{digits}f}')})"

    def described(row, key: str, value: float, low: float, high: float) -> str:
        return say(
            lang,
            key,
            name=row.display_name,
            share=_percent(row.mention_share),
            low_share=_percent(row.detractor_share),
            value=f"{value:.{digits}f}",
            interval=interval(low, high),
            **words,
        )

    drivers = table[table["role"] == "detractor driver"].head(n_drivers)
    strengths = table[table["role"] == "strength"].head(n_strengths)
    sentences = [
        described(row, "driver", -row.impact, -row.impact_ci_high, -row.impact_ci_low) for row in drivers.itertuples()
    ]
    if drivers.empty:
        sentences.append(say(lang, "no_driver", low=words["low"]))
    sentences += [
        described(row, "strength", row.impact, row.impact_ci_low, row.impact_ci_high) for row in strengths.itertuples()
    ]
    sentences += [
        say(
            lang,
            "watch",
            name=row.display_name,
            n=_count(row.mentions),
            low_share=_percent(row.detractor_share),
            q=_q(row.q_value),
            **{k: v for k, v in words.items() if k != "metric"},
        )
        for row in table[table["role"] == "watch"].itertuples()
    ]
    return sentences


# --------------------------------------------------------------------------- input checks


def _check_labels(labels: pd.DataFrame, soft: bool) -> np.ndarray:
    if not isinstance(labels, pd.DataFrame) or labels.shape[1] == 0:
        raise ValueError("labels must be a DataFrame with one column per category")
    if labels.columns.has_duplicates:
        raise ValueError("labels has duplicate category columns")
    try:
        values = labels.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError("labels must be numeric (0/1 or probabilities)") from error
    if np.isnan(values).any():
        raise ValueError("labels contain missing values")
    if ((values < 0) | (values > 1)).any():
        raise ValueError("labels must lie in [0, 1]")
    if not soft and not np.isin(values, (0.0, 1.0)).all():
        raise ValueError("labels hold probabilities: pass soft=True, or threshold them to 0/1 first")
    return values


def _aligned(series: pd.Series, index: pd.Index, name: str) -> pd.Series:
    if not isinstance(series, pd.Series):
        raise TypeError(f"{name} must be a pandas Series")
    if series.index.equals(index):
        return series
    same_rows = (
        len(series) == len(index)
        and index.is_unique
        and series.index.is_unique
        and index.difference(series.index).empty
    )
    if not same_rows:
        raise ValueError(f"{name} must have the same index as labels")
    return series.reindex(index)


def _check_score_range(scores: np.ndarray) -> None:
    valid = scores[~np.isnan(scores)]
    bad = valid[(valid < 0) | (valid > 10) | (valid != np.round(valid))]
    if bad.size:
        raise ValueError(f"scores must be whole numbers 0-10 or NaN; found {sorted(set(bad))[:5]}")


def _check_options(
    min_n: int, n_boot: int, alpha: float, ci: float, period: str | None, dates: pd.Series | None
) -> None:
    if min_n < 0 or n_boot < 0:
        raise ValueError("min_n and n_boot must be >= 0")
    if not (0 < alpha < 1 and 0 < ci < 1):
        raise ValueError("alpha and ci must lie strictly between 0 and 1")
    if (dates is None) != (period is None):
        raise ValueError("dates and period go together")
    if period is not None and period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    if dates is not None and not pd.api.types.is_datetime64_any_dtype(dates):
        raise ValueError("dates must be a parsed datetime64 Series (NaT for missing)")


def _default_display_name(category: object) -> str:
    return str(category).replace("_", " ").strip().capitalize()


# --------------------------------------------------------------------------- one slice


def _analyze_slice(
    groups: np.ndarray,
    values: np.ndarray,
    membership: np.ndarray,
    items: list,
    names: dict,
    options: _Options,
    rng: np.random.Generator,
) -> tuple[NpsSummary, pd.DataFrame]:
    """All measures for one set of respondents (everyone, one segment, one period...).

    ``values`` is what the headline averages (+100/0/-100 for NPS, the score for the mean).
    """
    promoter = (groups == PROMOTER).astype(float)
    detractor = (groups == DETRACTOR).astype(float)
    design = _design_matrix(values, promoter, detractor, membership)
    k = len(items)
    counts = _Counts.from_sums(design.sum(axis=0, keepdims=True), k)
    point = counts.measures()
    boot = _bootstrap_measures(design, k, options.n_boot, rng, options.on_progress)
    nps_low, nps_high = _percentile_interval(boot["nps"], options.ci)
    within_low, within_high = _percentile_interval(boot["nps_within"], options.ci)
    impact_low, impact_high = _percentile_interval(boot["impact"], options.ci)

    n, n_promoters, n_detractors = counts.n[0], counts.promoters[0], counts.detractors[0]
    mentions = counts.mentions[0]
    mention_promoters, mention_detractors = counts.mention_promoters[0], counts.mention_detractors[0]
    p_values = _fisher_p_values(mentions, mention_detractors, n, n_detractors, options.soft)
    q_values = benjamini_hochberg(p_values)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "item": items,
                "category": [split_item(i)[0] for i in items],
                "polarity": [split_item(i)[1] for i in items],
                "display_name": [names[i] for i in items],
                "mentions": mentions if options.soft else mentions.round().astype(int),
                "mention_share": mentions / n,
                "nps_within": point["nps_within"][0],
                "nps_within_ci_low": within_low,
                "nps_within_ci_high": within_high,
                "promoter_share": mention_promoters / mentions,
                "passive_share": (mentions - mention_promoters - mention_detractors) / mentions,
                "detractor_share": mention_detractors / mentions,
                "share_of_all_detractors": mention_detractors / n_detractors,
                "detractor_lift": (mention_detractors / mentions) / (n_detractors / n),
                "impact": point["impact"][0],
                "impact_ci_low": impact_low,
                "impact_ci_high": impact_high,
                "shapley": _shapley(values, membership, options, rng),
                "p_value": p_values,
                "q_value": q_values,
                "significant": q_values < options.alpha,
                "low_n": mentions < options.min_n,
            }
        )
    summary = NpsSummary(
        n=int(round(n)),
        n_excluded=0,
        nps=float(point["nps"][0]),
        nps_ci_low=float(nps_low),
        nps_ci_high=float(nps_high),
        promoter_share=float(n_promoters / n),
        passive_share=float((n - n_promoters - n_detractors) / n),
        detractor_share=float(n_detractors / n),
    )
    return summary, _ranked(table)


def _design_matrix(
    values: np.ndarray, promoter: np.ndarray, detractor: np.ndarray, membership: np.ndarray
) -> np.ndarray:
    """Columns whose (weighted) sums give every count: one matrix product per resample chunk."""
    ones = np.ones((len(promoter), 1))
    return np.hstack(
        [
            ones,
            values[:, None],
            promoter[:, None],
            detractor[:, None],
            membership,
            membership * values[:, None],
            membership * promoter[:, None],
            membership * detractor[:, None],
        ]
    )


@dataclass(frozen=True)
class _Counts:
    """Weighted counts, one row per (re)sample."""

    n: np.ndarray
    value: np.ndarray
    promoters: np.ndarray
    detractors: np.ndarray
    mentions: np.ndarray
    mention_value: np.ndarray
    mention_promoters: np.ndarray
    mention_detractors: np.ndarray

    @classmethod
    def from_sums(cls, sums: np.ndarray, k: int) -> _Counts:
        per_item = [sums[:, 4 + j * k : 4 + (j + 1) * k] for j in range(4)]
        return cls(sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3], *per_item)

    def measures(self) -> dict[str, np.ndarray]:
        """NPS (or mean), the same among the mentions, and impact = NPS(all) - NPS(without the mentions)."""
        nps = _divide(self.value, self.n)
        without = _divide(self.value[:, None] - self.mention_value, self.n[:, None] - self.mentions)
        return {"nps": nps, "nps_within": _divide(self.mention_value, self.mentions), "impact": nps[:, None] - without}


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Ratio that is NaN where nobody is left (soft sums may leave ~1e-15 instead of 0)."""
    empty = denominator <= 1e-9
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(empty, np.nan, numerator / np.where(empty, 1.0, denominator))


def _fisher_p_values(
    mentions: np.ndarray, mention_detractors: np.ndarray, n: float, n_detractors: float, soft: bool
) -> np.ndarray:
    """Two-sided Fisher exact test of detractor vs not, by mentions vs not.

    Soft labels give fractional counts; the test then uses the rounded expected counts.
    """
    p_values = []
    for mentioned, mentioned_detractors in zip(mentions, mention_detractors):
        a, b = mentioned_detractors, mentioned - mentioned_detractors
        c, d = n_detractors - a, n - n_detractors - b
        table = np.maximum(np.round([[a, b], [c, d]]), 0).astype(int)
        p_values.append(fisher_exact(table).pvalue)
    return np.array(p_values, dtype=float)


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Add role and rank; sort drivers (most NPS lost first), strengths, neutral, low n."""
    significant = table["significant"]
    driver = significant & (table["impact"] < 0) & (table["detractor_lift"] > 1)
    strength = significant & (table["impact"] > 0) & (table["detractor_lift"] < 1)
    watch = table["low_n"] & significant
    role = np.select(
        [watch, table["low_n"], driver, strength], ["watch", "low n", "detractor driver", "strength"], "neutral"
    )
    table = table.assign(role=role)
    order = table.assign(
        _role_order=table["role"].map({r: i for i, r in enumerate(ROLES)}),
        _value=np.where(table["role"] == "strength", -table["impact"], table["impact"]),
    ).sort_values(["_role_order", "_value"], kind="stable", na_position="last")
    table = table.loc[order.index].reset_index(drop=True)
    ranked = ~table["role"].isin(["low n", "watch"])
    table["rank"] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    table.loc[~ranked, "rank"] = pd.NA
    return table


# --------------------------------------------------------------------------- bootstrap


def _bootstrap_measures(
    design: np.ndarray, k: int, n_boot: int, rng: np.random.Generator, on_progress: Callable[[int], None] | None = None
) -> dict[str, np.ndarray]:
    """Measures on ``n_boot`` resamples of the respondents (with replacement)."""
    n = design.shape[0]
    if n_boot == 0:
        return {"nps": np.full(1, np.nan), "nps_within": np.full((1, k), np.nan), "impact": np.full((1, k), np.nan)}
    chunks = []
    for weights in _resample_weights(rng, n, n_boot):
        chunks.append(_Counts.from_sums(weights @ design, k).measures())
        if on_progress is not None:
            on_progress(len(weights))
    return {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}


def _bootstrapped_slices(segment_keys: np.ndarray | None, period_starts: np.ndarray | None, compare: bool) -> int:
    """How many slices `analyze` bootstraps: everyone, each segment, period and both, each change."""
    n_periods = 0 if period_starts is None else len(pd.unique(period_starts[pd.notna(period_starts)]))
    slices = 1 + n_periods
    if segment_keys is not None:
        slices += len(pd.unique(segment_keys))
        if period_starts is not None:
            dated = pd.notna(period_starts)
            slices += len(pd.DataFrame({"s": segment_keys[dated], "p": period_starts[dated]}).drop_duplicates())
    if n_periods:
        slices += n_periods - 1 + int(compare)  # consecutive pairs, and --compare (counted once)
    return slices


def _resample_weights(rng: np.random.Generator, n: int, n_boot: int) -> Iterator[np.ndarray]:
    """How often each respondent is drawn in each resample, a chunk of resamples at a time."""
    chunk = max(1, min(n_boot, _BOOTSTRAP_CELLS_PER_CHUNK // n))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        yield np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)


def _percentile_interval(samples: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column, NaN where every resample is undefined."""
    flat = samples.reshape(samples.shape[0], -1)
    low = np.full(flat.shape[1], np.nan)
    high = np.full(flat.shape[1], np.nan)
    defined = ~np.isnan(flat).all(axis=0)
    if defined.any():
        tail = 50 * (1 - ci)
        low[defined], high[defined] = np.nanpercentile(flat[:, defined], [tail, 100 - tail], axis=0)
    shape = samples.shape[1:]
    return low.reshape(shape), high.reshape(shape)


# --------------------------------------------------------------------------- Shapley


def _shapley_method(k: int, options: _Options) -> str:
    if k <= options.max_exact_categories:
        return "exact"
    return f"permutation estimate ({options.n_permutations} permutations)"


def _shapley(signed: np.ndarray, membership: np.ndarray, options: _Options, rng: np.random.Generator) -> np.ndarray:
    """Shapley values of the game v(S) = NPS(all) - NPS(rows mentioning none of S).

    ``signed`` is each answer's value (+100 promoter, -100 detractor, 0 passive for NPS). The values add
    up to v(all categories); they are NaN when no row is left once every category
    is removed (the game has no baseline then).
    """
    k = membership.shape[1]
    if k > options.max_exact_categories:
        return _shapley_permutations(signed, membership, options.n_permutations, rng)
    values = _coalition_values_soft(signed, membership) if options.soft else _coalition_values_hard(signed, membership)
    return _shapley_from_values(values, k)


def _coalition_values_hard(signed: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """v(S) for every subset S (bitmask index), from each row's set of categories as a bitmask."""
    k = membership.shape[1]
    masks = membership.astype(np.int64) @ (1 << np.arange(k, dtype=np.int64))
    size = 1 << k
    count = _subset_sums(np.bincount(masks, minlength=size).astype(float))
    net = _subset_sums(np.bincount(masks, weights=signed, minlength=size))
    # Rows that mention none of S are exactly the rows whose mask is a subset of S's complement.
    complement = (size - 1) ^ np.arange(size)
    nps_without = _divide(net[complement], count[complement])
    return nps_without[0] - nps_without


def _coalition_values_soft(signed: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Expected v(S): each row counts with weight prod over S of (1 - p) ("mentions none of S")."""
    n, k = membership.shape
    size = 1 << k
    count, net = np.zeros(size), np.zeros(size)
    keep = 1 - membership
    chunk = max(1, _SUBSET_CELLS_PER_CHUNK // size)
    for start in range(0, n, chunk):
        block = keep[start : start + chunk]
        products = np.empty((size, block.shape[0]))
        products[0] = 1.0
        for j in range(k):  # doubling: subsets with bit j set follow those without it
            half = 1 << j
            np.multiply(products[:half], block[:, j], out=products[half : 2 * half])
        count += products.sum(axis=1)
        net += products @ signed[start : start + chunk]
    nps_without = _divide(net, count)
    return nps_without[0] - nps_without


def _subset_sums(values: np.ndarray) -> np.ndarray:
    """out[T] = sum of values[m] over all masks m that are subsets of T (zeta transform)."""
    out = values.copy()
    for bit in range(int(math.log2(len(out)))):
        view = out.reshape(-1, 2, 1 << bit)  # axis 1 = whether `bit` is set
        view[:, 1, :] += view[:, 0, :]
    return out


def _shapley_from_values(values: np.ndarray, k: int) -> np.ndarray:
    """phi_i = sum over S without i of |S|!(k-|S|-1)!/k! * (v(S + i) - v(S))."""
    subsets = np.arange(1 << k)
    size = sum((subsets >> bit) & 1 for bit in range(k))
    weight_by_size = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)] + [0.0]
    )
    weights = weight_by_size[size]
    shapley = np.empty(k)
    for i in range(k):
        bit = 1 << i
        without = subsets[(subsets & bit) == 0]
        shapley[i] = np.sum(weights[without] * (values[without | bit] - values[without]))
    return shapley


def _shapley_permutations(
    signed: np.ndarray, membership: np.ndarray, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """Monte-Carlo Shapley: average marginal contributions over random category orders.

    Each permutation's contributions add up to v(all) exactly, so the average does too.
    """
    unique, counts = np.unique(np.column_stack([membership, signed]), axis=0, return_counts=True)
    keep, net = 1 - unique[:, :-1], unique[:, -1]
    nps_all = (counts @ net) / counts.sum()
    k = membership.shape[1]
    totals = np.zeros(k)
    for _ in range(n_permutations):
        weights, previous = counts.astype(float), 0.0
        for category in rng.permutation(k):
            weights = weights * keep[:, category]
            value = nps_all - _divide(weights @ net, weights.sum())
            totals[category] += value - previous
            previous = value
    return totals / max(n_permutations, 1)


# --------------------------------------------------------------------------- error correction


def _with_corrected_prevalence(
    table: pd.DataFrame,
    groups: np.ndarray,
    membership: np.ndarray,
    items: list,
    error_rates: dict[str, ErrorRates],
    min_n: int,
) -> tuple[pd.DataFrame, list[str]]:
    """Add prevalence (overall and per NPS group) and impact corrected with Rogan-Gladen.

    ``items`` gives the column order of ``membership`` (the table itself is sorted). Rates
    are looked up by item, then (for a topic-only item) by category: a model's topic error
    rates say nothing about how well it tells complaints from praise. A correction is left
    out (NaN) with a warning when it would not be stable: fewer than ``min_n`` mentions, or
    a tagged share the error rates cannot explain (at or below the false-alarm rate, or
    above the hit rate), which Rogan-Gladen would clip to 0% or 100%.
    """
    known = set(items) | {split_item(i)[0] for i in items}
    unknown = set(error_rates) - known
    if unknown:
        raise ValueError(f"error_rates name categories not in labels: {sorted(map(str, unknown))}")
    column = {c: j for j, c in enumerate(items)}
    group_share = np.array([(groups == g).mean() for g in (DETRACTOR, PASSIVE, PROMOTER)])
    rows: list[dict[str, float]] = []
    no_rates: list[str] = []
    unstable: list[str] = []
    for row in table.itertuples():
        rates = error_rates.get(row.item) or (error_rates.get(row.category) if not row.polarity else None)
        mentioned = membership[:, column[row.item]]
        if rates is None:
            rows.append({})
            if row.polarity and row.mentions > 0:
                no_rates.append(row.display_name)
        elif row.mentions < min_n or not (1 - rates.specificity < mentioned.mean() <= rates.sensitivity):
            rows.append({})
            unstable.append(row.display_name)
        else:
            rows.append(_corrected_row(rates, groups, mentioned, group_share))
    corrected = pd.DataFrame(rows, columns=CORRECTED_COLUMNS, index=table.index).astype(float)
    warnings = []
    if no_rates:
        warnings.append(
            f"--correct: no error rates apply to {len(no_rates)} complaint/praise rows (the model's rates are "
            f"for topics), so they are not corrected: {_names_list(no_rates)}"
        )
    if unstable:
        warnings.append(
            f"--correct: the correction is unstable for {len(unstable)} rows (fewer than {min_n} mentions, or "
            f"a tagged share the error rates cannot explain) and is left out: {_names_list(unstable)}"
        )
    return pd.concat([table, corrected], axis=1), warnings


def _names_list(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(map(str, names[:limit])) + more


CORRECTED_COLUMNS = [
    "corrected_prevalence",
    "corrected_prevalence_detractors",
    "corrected_prevalence_passives",
    "corrected_prevalence_promoters",
    "corrected_nps_within",
    "corrected_impact",
]


def _corrected_row(
    rates: ErrorRates, groups: np.ndarray, mentioned: np.ndarray, group_share: np.ndarray
) -> dict[str, float]:
    sensitivity, specificity = rates.sensitivity, rates.specificity
    if not (0 <= sensitivity <= 1 and 0 <= specificity <= 1):
        raise ValueError("sensitivity and specificity must lie in [0, 1]")
    observed = np.array(
        [mentioned[groups == g].mean() if (groups == g).any() else 0.0 for g in (DETRACTOR, PASSIVE, PROMOTER)]
    )
    # Scores are taken as right; only the category labels are corrected, within each NPS group.
    true = rogan_gladen(observed, sensitivity, specificity) * (group_share > 0)
    signs = np.array([-1.0, 0.0, 1.0])
    mention_mass, rest_mass = group_share * true, group_share * (1 - true)
    nps = 100 * (signs @ group_share)
    nps_without = 100 * _divide(signs @ rest_mass, rest_mass.sum())
    return {
        "corrected_prevalence": float(rogan_gladen(mentioned.mean(), sensitivity, specificity)),
        "corrected_prevalence_detractors": true[0],
        "corrected_prevalence_passives": true[1],
        "corrected_prevalence_promoters": true[2],
        "corrected_nps_within": float(100 * _divide(signs @ mention_mass, mention_mass.sum())),
        "corrected_impact": float(nps - nps_without),
    }


# --------------------------------------------------------------------------- segments and periods


@dataclass(frozen=True)
class _Slicer:
    """Runs the slice analysis for every distinct key combination (segment, period, both)."""

    groups: np.ndarray
    values: np.ndarray
    membership: np.ndarray
    categories: list
    names: dict
    options: _Options
    seed: int
    period: str | None

    def frame(self, keys: dict[str, np.ndarray], layer: int) -> pd.DataFrame:
        """One tidy frame over all slices; rows with a missing key (NaT date) are left out."""
        key_frame = pd.DataFrame(keys)
        usable = np.flatnonzero(key_frame.notna().all(axis=1).to_numpy())
        slices = key_frame.iloc[usable].groupby(list(keys), sort=True).indices
        frames = []
        for number, (key, positions) in enumerate(slices.items()):
            rows = usable[positions]
            # Own stream per slice: results do not depend on which other cuts were asked for.
            rng = np.random.default_rng([self.seed, layer, number])
            summary, table = _analyze_slice(
                self.groups[rows],
                self.values[rows],
                self.membership[rows],
                self.categories,
                self.names,
                self.options,
                rng,
            )
            key_values = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            frames.append(_with_slice_columns(table, summary, self.options.min_n).assign(**key_values))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(keys))
        if "period_start" in keys:
            out["period"] = [_period_label(start, self.period or "month") for start in out["period_start"]]
        first = [c for c in ("segment", "period", "period_start") if c in out.columns]
        return out[first + [c for c in out.columns if c not in first]]


def _segments_frame(slicer: _Slicer, keys: np.ndarray, table: pd.DataFrame, overall: NpsSummary) -> pd.DataFrame:
    """ "All" first, then segments from largest to smallest."""
    per_segment = slicer.frame({"segment": keys}, layer=1)
    per_segment = per_segment.sort_values(["slice_n", "segment"], ascending=[False, True], kind="stable")
    everyone = _with_slice_columns(
        table.drop(columns=CORRECTED_COLUMNS, errors="ignore"), overall, slicer.options.min_n
    )
    everyone.insert(0, "segment", ALL)
    return pd.concat([everyone, per_segment], ignore_index=True)


def _with_slice_columns(table: pd.DataFrame, summary: NpsSummary, min_n: int) -> pd.DataFrame:
    slice_values = {
        "slice_n": summary.n,
        "slice_nps": summary.nps,
        "slice_nps_ci_low": summary.nps_ci_low,
        "slice_nps_ci_high": summary.nps_ci_high,
        "slice_promoter_share": summary.promoter_share,
        "slice_passive_share": summary.passive_share,
        "slice_detractor_share": summary.detractor_share,
        "slice_low_n": summary.n < min_n,
    }
    return table.assign(**slice_values)[SLICE_COLUMNS + list(table.columns)]


def _segment_keys(segments: pd.Series) -> np.ndarray:
    keys = np.array([MISSING_SEGMENT if pd.isna(v) else str(v) for v in segments], dtype=object)
    if (keys == ALL).any():
        raise ValueError(f'a segment may not be called "{ALL}" (reserved for everyone)')
    return keys


def _period_starts(dates: pd.Series, period: str) -> np.ndarray:
    """First day of each row's period (NaT stays NaT); weeks are ISO weeks starting Monday."""
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)  # periods follow local calendar time
    if period == "week":
        return (dates.dt.normalize() - pd.to_timedelta(dates.dt.day_of_week, unit="D")).to_numpy()
    return dates.dt.to_period("M" if period == "month" else "Q").dt.start_time.to_numpy()


def _period_label(start: pd.Timestamp, period: str) -> str:
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year}Q{start.quarter}"
    return f"{start.year}-{start.month:02d}"


def _count(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _q(q: float) -> str:
    return "< 0.001" if q < 0.001 else f"= {q:.3f}"


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"
