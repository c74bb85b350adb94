"""What changed between two periods: the change in NPS split into one contribution per cause.

Every answer has a *profile*: the exact set of items (cause and polarity) it mentions,
possibly none. Profiles do not overlap, so NPS is their weighted average,
``NPS = sum over profiles p of w_p * m_p`` (``w_p`` the share of answers with profile
``p``, ``m_p`` their NPS). Between periods A and B, exactly,

    NPS_B - NPS_A = sum_p (w_B - w_A) * (m̄_p - NPS̄)      (mix: more or fewer such answers)
                  + sum_p (m_B - m_A) * w̄_p              (score: those answers scoring differently)

with bars for the average of A and B (``NPS̄`` can be subtracted because the shares
add up to 1 in both periods, so their changes add up to 0; it makes "more answers of a
profile that scores below average" count as a loss). A profile seen in only one period
takes that period's NPS for both (its score term is 0). Each profile's two terms are
shared equally between the items it mentions (the Shapley split of a term that needs
all of them); the profile that mentions nothing is the residual row. So the item rows
and the residual add up exactly to the change. See docs/drivers.md for a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from scipy import sparse

RESIDUAL = "(no cause mentioned)"
CHANGE_COLUMNS = [
    "from",
    "to",
    "item",
    "category",
    "polarity",
    "display_name",
    "mix",
    "score",
    "contribution",
    "contribution_ci_low",
    "contribution_ci_high",
    "n_from",
    "n_to",
    "metric_from",
    "metric_to",
    "change",
]
_CELLS_PER_CHUNK = 2_000_000


def decompose_changes(
    values: np.ndarray,
    membership: np.ndarray,
    period_labels: np.ndarray,
    periods: list[str],
    items: pd.DataFrame,
    *,
    compare: tuple[str, str] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Contributions of each item to the change between consecutive periods (and ``compare``).

    ``values``: each answer's value (+100/0/-100 for NPS, the score for a mean); ``membership``:
    0/1 per item, in the order of ``items`` (columns item, category, polarity, display_name);
    ``period_labels``: each answer's period (None: undated); ``periods``: the periods in order.
    """
    pairs = list(zip(periods[:-1], periods[1:]))
    if compare is not None:
        missing = [p for p in compare if p not in periods]
        if missing:
            raise ValueError(f"no answers in period {missing[0]!r}; the periods are {', '.join(periods)}")
        if tuple(compare) not in pairs:
            pairs.append((compare[0], compare[1]))
    frames = [
        decompose_pair(
            values[period_labels == a],
            membership[period_labels == a],
            values[period_labels == b],
            membership[period_labels == b],
            items,
            n_boot=n_boot,
            ci=ci,
            rng=np.random.default_rng([seed, 4, number]),
            on_progress=on_progress,
        ).assign(**{"from": a, "to": b})
        for number, (a, b) in enumerate(pairs)
    ]
    if not frames:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CHANGE_COLUMNS]


def decompose_pair(
    values_a: np.ndarray,
    membership_a: np.ndarray,
    values_b: np.ndarray,
    membership_b: np.ndarray,
    items: pd.DataFrame,
    *,
    n_boot: int = 0,
    ci: float = 0.95,
    rng: np.random.Generator | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per item plus the residual row; ``contribution`` adds up to metric(B) - metric(A).

    Rows are sorted by the size of their contribution, the residual last. The interval
    comes from resampling the answers of each period (with replacement) ``n_boot`` times.
    """
    k = len(items)
    profiles, inverse = np.unique(np.vstack([membership_a, membership_b]).astype(bool), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    share_of = _allocation(profiles)  # profiles x (items + residual)
    one_hot_a = _one_hot(inverse[: len(values_a)], len(profiles))
    one_hot_b = _one_hot(inverse[len(values_a) :], len(profiles))
    everyone_a, everyone_b = np.ones((1, len(values_a))), np.ones((1, len(values_b)))
    mix, score = _terms(everyone_a, everyone_b, values_a, values_b, one_hot_a, one_hot_b)
    point_mix, point_score = mix @ share_of, score @ share_of
    low = high = np.full(k + 1, np.nan)
    if n_boot and rng is not None and len(values_a) and len(values_b):
        resampled = []
        for weights_a, weights_b in _paired_resamples(rng, len(values_a), len(values_b), n_boot):
            mix_b, score_b = _terms(weights_a, weights_b, values_a, values_b, one_hot_a, one_hot_b)
            resampled.append((mix_b + score_b) @ share_of)
            if on_progress is not None:
                on_progress(len(weights_a))
        boot = np.vstack(resampled)
        tail = 50 * (1 - ci)
        low, high = np.nanpercentile(boot, [tail, 100 - tail], axis=0)
    metric_a = float(np.mean(values_a)) if len(values_a) else np.nan
    metric_b = float(np.mean(values_b)) if len(values_b) else np.nan
    residual = pd.DataFrame([{"item": "", "category": RESIDUAL, "polarity": "", "display_name": RESIDUAL}])
    out = pd.concat([items.reset_index(drop=True), residual], ignore_index=True).assign(
        mix=point_mix[0],
        score=point_score[0],
        contribution=point_mix[0] + point_score[0],
        contribution_ci_low=low,
        contribution_ci_high=high,
        n_from=len(values_a),
        n_to=len(values_b),
        metric_from=metric_a,
        metric_to=metric_b,
        change=metric_b - metric_a,
    )
    order = np.argsort(-np.abs(out["contribution"].to_numpy()[:k]), kind="stable")
    return out.iloc[list(order) + [k]].reset_index(drop=True)


def change_sentence(
    changes: pd.DataFrame,
    pair: tuple[str, str] | None = None,
    metric: str = "nps",
    lang: str = "en",
    period: str | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """ "NPS fell 12.0 points from August 2026 to September 2026 (+30 to +18); Follow-up - complaints
    explains -7.1 of them."

    ``pair`` picks the periods (default: the last pair in ``changes``); ``names`` overrides display names.
    """
    from .wording import period_name, say

    if changes is None or changes.empty:
        return ""
    a, b = pair or (changes["from"].iloc[-1], changes["to"].iloc[-1])
    rows = changes[(changes["from"] == a) & (changes["to"] == b)]
    if rows.empty:
        return ""
    change = float(rows["change"].iloc[0])
    digits = 1 if metric == "nps" else 2
    start, end = float(rows["metric_from"].iloc[0]), float(rows["metric_to"].iloc[0])
    shown = (lambda v: f"{v:+.0f}") if metric == "nps" else (lambda v: f"{v:.2f}")
    words = {
        "metric": say(lang, "metric_nps" if metric == "nps" else "Metric_mean"),
        "a": period_name(a, period, lang),
        "b": period_name(b, period, lang),
        "start": shown(start),
        "end": shown(end),
    }
    if round(change, digits) == 0:
        return say(lang, "no_change", **words)
    verb = say(lang, "rose" if change > 0 else "fell")
    text = say(lang, "change", verb=verb, value=f"{abs(change):.{digits}f}", **words)
    causes = rows[(rows["item"] != "") & (np.sign(rows["contribution"]) == np.sign(change))]
    causes = causes.sort_values("contribution", key=lambda c: -np.abs(c), kind="stable").head(2)
    if causes.empty:
        return text + "."
    explained = [
        say(
            lang,
            "explains",
            name=(names or {}).get(row.item, row.display_name),
            value=f"{row.contribution:+.{digits}f}",
        )
        for row in causes.itertuples()
    ]
    return text + "; " + say(lang, "and").join(explained) + say(lang, "of_them")


# --------------------------------------------------------------------------- the arithmetic


def _allocation(profiles: np.ndarray) -> np.ndarray:
    """profiles x (items + 1): 1/size for each item a profile mentions; the empty profile -> residual."""
    sizes = profiles.sum(axis=1)
    share = np.zeros((len(profiles), profiles.shape[1] + 1))
    mentioned = sizes > 0
    share[mentioned, :-1] = profiles[mentioned] / sizes[mentioned, None]
    share[~mentioned, -1] = 1.0
    return share


def _one_hot(profile: np.ndarray, n_profiles: int) -> sparse.csr_matrix:
    rows = np.arange(len(profile))
    return sparse.csr_matrix((np.ones(len(profile)), (rows, profile)), shape=(len(profile), n_profiles))


def _terms(
    weights_a: np.ndarray,
    weights_b: np.ndarray,
    values_a: np.ndarray,
    values_b: np.ndarray,
    one_hot_a: sparse.csr_matrix,
    one_hot_b: sparse.csr_matrix,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix and score term per profile, one row per (re)sample; weights = draws per answer."""
    count_a, sum_a = _profile_sums(weights_a, values_a, one_hot_a)
    count_b, sum_b = _profile_sums(weights_b, values_b, one_hot_b)
    share_a = count_a / count_a.sum(axis=1, keepdims=True)
    share_b = count_b / count_b.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a, mean_b = sum_a / count_a, sum_b / count_b
    # A profile seen in one period only: its NPS there stands for both (no score change).
    mean_a = np.where(count_a > 0, mean_a, mean_b)
    mean_b = np.where(count_b > 0, mean_b, mean_a)
    mean_a, mean_b = np.nan_to_num(mean_a), np.nan_to_num(mean_b)
    metric_a = (share_a * mean_a).sum(axis=1, keepdims=True)
    metric_b = (share_b * mean_b).sum(axis=1, keepdims=True)
    mix = (share_b - share_a) * ((mean_a + mean_b) / 2 - (metric_a + metric_b) / 2)
    score = (mean_b - mean_a) * (share_a + share_b) / 2
    return mix, score


def _profile_sums(weights: np.ndarray, values: np.ndarray, one_hot: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Weighted answers and weighted value per profile, one row per (re)sample."""
    counts = np.asarray((one_hot.T @ weights.T).T)
    sums = np.asarray((one_hot.T @ (weights * values).T).T)
    return counts, sums


def _paired_resamples(
    rng: np.random.Generator, n_a: int, n_b: int, n_boot: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Draw counts per answer for both periods, resampled independently, a chunk at a time."""
    chunk = max(1, min(n_boot, _CELLS_PER_CHUNK // max(n_a, n_b)))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        yield _draw_counts(rng, n_a, size), _draw_counts(rng, n_b, size)


def _draw_counts(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    draws = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
    return np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)
