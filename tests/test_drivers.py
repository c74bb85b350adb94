"""Behaviour of classifier.analysis.drivers, checked against numbers worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, fisher_exact

from classifier.analysis.drivers import analyze, benjamini_hochberg, rogan_gladen
from classifier.model.model import ErrorRates
from classifier.nps import group_codes as nps_groups

# --------------------------------------------------------------------------- hand-worked fixture
#
# row  score  group      A  B
#  0     0    detractor  1  0
#  1     3    detractor  1  1
#  2     5    detractor  0  1
#  3     6    detractor  0  0
#  4     7    passive    1  0
#  5     8    passive    0  0
#  6     9    promoter   0  1
#  7    10    promoter   0  0
#  8    10    promoter   0  0
#  9     9    promoter   1  0
#
# NPS(all) = 100 * (4 - 4) / 10 = 0
# A: rows 0,1,4,9 -> D,D,Pa,P: NPS within = 100 * (1 - 2) / 4 = -25
#    without A: rows 2,3,5,6,7,8 -> D,D,Pa,P,P,P: 100 * (3 - 2) / 6 = 50/3
#    impact(A) = v({A}) = 0 - 50/3
# B: rows 1,2,6 -> D,D,P: NPS within = 100 * (1 - 2) / 3 = -100/3
#    without B: rows 0,3,4,5,7,8,9 -> D,D,Pa,Pa,P,P,P: 100 * (3 - 2) / 7 = 100/7
#    impact(B) = v({B}) = -100/7
# v({A,B}): rows mentioning neither: 3,5,7,8 -> D,Pa,P,P: 100 * (2 - 1) / 4 = 25 -> v = -25
# Shapley(A) = 1/2 * v({A}) + 1/2 * (v({A,B}) - v({B}))
# Shapley(B) = 1/2 * v({B}) + 1/2 * (v({A,B}) - v({A}))
V_A, V_B, V_AB = -50 / 3, -100 / 7, -25.0
SHAPLEY_A = (V_A + V_AB - V_B) / 2  # -13.690...
SHAPLEY_B = (V_B + V_AB - V_A) / 2  # -11.309...

SCORES = pd.Series([0, 3, 5, 6, 7, 8, 9, 10, 10, 9], dtype=float)
LABELS = pd.DataFrame({"A": [1, 1, 0, 0, 1, 0, 0, 0, 0, 1], "B": [0, 1, 1, 0, 0, 0, 1, 0, 0, 0]})


def by_category(analysis):
    return analysis.table.set_index("category")


@pytest.fixture(scope="module")
def small():
    return analyze(LABELS, SCORES, min_n=1, n_boot=200)


def test_hand_fixture_overall(small):
    overall = small.overall
    assert overall.n == 10 and overall.n_excluded == 0
    assert overall.nps == pytest.approx(0.0)
    assert (overall.promoter_share, overall.passive_share, overall.detractor_share) == pytest.approx((0.4, 0.2, 0.4))
    assert overall.nps_ci_low <= overall.nps <= overall.nps_ci_high


def test_hand_fixture_category_measures(small):
    table = by_category(small)
    assert table.loc["A", "mentions"] == 4 and table.loc["B", "mentions"] == 3
    assert table.loc["A", "mention_share"] == pytest.approx(0.4)
    assert table.loc["A", "nps_within"] == pytest.approx(-25.0)
    assert table.loc["B", "nps_within"] == pytest.approx(-100 / 3)
    assert table.loc["A", "impact"] == pytest.approx(V_A)
    assert table.loc["B", "impact"] == pytest.approx(V_B)
    # A: 1 promoter, 1 passive, 2 detractors of 4 mentions; B: 1 promoter, 2 detractors of 3.
    shares = ["promoter_share", "passive_share", "detractor_share"]
    assert table.loc["A", shares].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert table.loc["B", shares].tolist() == pytest.approx([1 / 3, 0, 2 / 3])
    # 2 of the 4 detractors mention A (and 2 mention B); lift = P(D|cat) / P(D) = 0.5 / 0.4 and (2/3) / 0.4.
    assert table.loc["A", "share_of_all_detractors"] == pytest.approx(0.5)
    assert table.loc["A", "detractor_lift"] == pytest.approx(1.25)
    assert table.loc["B", "detractor_lift"] == pytest.approx(5 / 3)


def test_hand_fixture_shapley_adds_up(small):
    table = by_category(small)
    assert table.loc["A", "shapley"] == pytest.approx(SHAPLEY_A)
    assert table.loc["B", "shapley"] == pytest.approx(SHAPLEY_B)
    assert table["shapley"].sum() == pytest.approx(V_AB)


def test_fisher_p_value_is_the_2x2_test(small):
    # A: [[detractors mentioning, others mentioning], [detractors not mentioning, others not]]
    expected = fisher_exact([[2, 2], [2, 4]]).pvalue
    assert by_category(small).loc["A", "p_value"] == pytest.approx(expected)


def test_confidence_intervals_contain_the_estimates(small):
    table = small.table
    assert (table["impact_ci_low"] <= table["impact"]).all() and (table["impact"] <= table["impact_ci_high"]).all()
    assert (table["nps_within_ci_low"] <= table["nps_within"]).all()


# --------------------------------------------------------------------------- Shapley


def brute_force_shapley(labels: pd.DataFrame, scores: pd.Series) -> dict[str, float]:
    """Shapley straight from the definition: average marginal gain over every order."""

    def nps(s):
        return 100 * ((s >= 9).mean() - (s <= 6).mean())

    def v(coalition):
        kept = ~labels[list(coalition)].any(axis=1) if coalition else pd.Series(True, index=labels.index)
        return nps(scores) - nps(scores[kept])

    orders = list(itertools.permutations(labels.columns))
    totals = dict.fromkeys(labels.columns, 0.0)
    for order in orders:
        for position, category in enumerate(order):
            totals[category] += v(order[: position + 1]) - v(order[:position])
    return {c: total / len(orders) for c, total in totals.items()}


def random_data(n: int, k: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    labels = pd.DataFrame((rng.random((n, k)) < 0.3).astype(int), columns=[f"c{i}" for i in range(k)])
    scores = pd.Series(rng.integers(0, 11, n), dtype=float)
    return labels, scores


def test_exact_shapley_matches_the_definition():
    labels, scores = random_data(n=120, k=4, seed=3)
    expected = brute_force_shapley(labels, scores)
    shapley = by_category(analyze(labels, scores, n_boot=0))["shapley"]
    for category, value in expected.items():
        assert shapley[category] == pytest.approx(value)


def test_category_never_mentioned_is_a_null_player():
    labels = LABELS.assign(C=0)
    table = by_category(analyze(labels, SCORES, min_n=1, n_boot=0))
    assert table.loc["C", "shapley"] == pytest.approx(0.0)
    assert table.loc["C", "impact"] == pytest.approx(0.0)
    assert np.isnan(table.loc["C", "nps_within"])
    assert table.loc["A", "shapley"] == pytest.approx(SHAPLEY_A)


def test_permutation_estimate_is_close_and_adds_up_exactly():
    labels, scores = random_data(n=300, k=5, seed=4)
    exact = by_category(analyze(labels, scores, n_boot=0))["shapley"]
    estimate = analyze(labels, scores, n_boot=0, max_exact_categories=3, n_permutations=2000)
    assert estimate.settings.shapley_method.startswith("permutation")
    estimated = by_category(estimate)["shapley"]
    assert estimated.sum() == pytest.approx(exact.sum())
    assert np.abs(estimated - exact[estimated.index]).max() < 0.5


def test_shapley_is_undefined_without_rows_that_mention_nothing():
    labels = pd.DataFrame({"A": [1, 1, 0, 1], "B": [0, 1, 1, 0]})
    table = analyze(labels, pd.Series([0.0, 5, 9, 10]), min_n=1, n_boot=0).table
    assert table["shapley"].isna().all()


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_interval_covers_the_true_nps():
    # Promoter 40%, passive 30%, detractor 30% -> true NPS = 10.
    rng = np.random.default_rng(2024)
    n, simulations = 150, 200
    labels = pd.DataFrame({"any": rng.integers(0, 2, n)})
    covered = 0
    for simulation in range(simulations):
        groups = rng.choice([10, 8, 3], size=n, p=[0.4, 0.3, 0.3])
        overall = analyze(labels, pd.Series(groups, dtype=float), n_boot=300, seed=simulation).overall
        covered += overall.nps_ci_low <= 10 <= overall.nps_ci_high
    assert 0.90 <= covered / simulations <= 0.98


def test_bootstrap_is_reproducible_with_a_seed():
    labels, scores = random_data(n=200, k=3, seed=5)
    first = analyze(labels, scores, n_boot=100, seed=7)
    again = analyze(labels, scores, n_boot=100, seed=7)
    other = analyze(labels, scores, n_boot=100, seed=8)
    pd.testing.assert_frame_equal(first.table, again.table)
    first_ci = (first.overall.nps_ci_low, first.overall.nps_ci_high)
    assert first_ci != (other.overall.nps_ci_low, other.overall.nps_ci_high)


# --------------------------------------------------------------------------- significance


def test_benjamini_hochberg_by_hand():
    # Sorted p: 0.01, 0.02, 0.03, 0.5 with m = 4 -> p*m/rank = 0.04, 0.04, 0.04, 0.5
    assert benjamini_hochberg(np.array([0.03, 0.5, 0.01, 0.02])) == pytest.approx([0.04, 0.5, 0.04, 0.04])


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(0)
    p_values = np.concatenate([rng.random(30), rng.random(10) * 0.01, [0.2, 0.2, 1.0]])
    assert benjamini_hochberg(p_values) == pytest.approx(false_discovery_control(p_values, method="bh"))


def test_benjamini_hochberg_leaves_missing_p_values_out():
    q = benjamini_hochberg(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(q[1])
    assert q[[0, 2]] == pytest.approx(false_discovery_control([0.01, 0.04]))


# --------------------------------------------------------------------------- roles, order, sentences


def roles_data() -> tuple[pd.DataFrame, pd.Series]:
    """200 answers: A = 50 detractors, B = 50 promoters, D = 40 typical answers, C = 5 passives.

    Promoters 50 + 30 = 80, detractors 50 + 20 = 70 -> NPS = 100 * 10 / 200 = 5; detractors 35%.
    impact(A) = 5 - 100 * (80 - 20) / 150 = -35;  impact(B) = 5 - 100 * (30 - 70) / 150 = 5 + 80/3.
    D has 16 promoters, 10 passives, 14 detractors: NPS within 5 = overall, so impact(D) = 0.
    """
    scores = [2] * 50 + [10] * 50 + [9] * 30 + [3] * 20 + [8] * 50
    categories = {
        "A": range(0, 50),
        "B": range(50, 100),
        "D": [*range(100, 116), *range(130, 144), *range(150, 160)],
        "C": range(160, 165),
    }
    labels = pd.DataFrame(0, index=range(200), columns=list(categories))
    for category, rows in categories.items():
        labels.loc[list(rows), category] = 1
    return labels, pd.Series(scores, dtype=float)


@pytest.fixture(scope="module")
def roles():
    labels, scores = roles_data()
    return analyze(labels, scores, n_boot=200, display_names={"A": "Wait time", "B": "Friendly agent"})


def test_roles_order_and_rank(roles):
    table = roles.table
    assert table["category"].tolist() == ["A", "B", "D", "C"]
    assert table["role"].tolist() == ["detractor driver", "strength", "neutral", "low n"]
    assert table["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(table["rank"].iloc[3])
    impacts = table.set_index("category")["impact"]
    assert impacts["A"] == pytest.approx(-35.0)
    assert impacts["B"] == pytest.approx(5 + 80 / 3)
    assert impacts["D"] == pytest.approx(0.0)
    assert roles.overall.nps == pytest.approx(5.0)


def test_low_n_categories_are_flagged_and_shown(roles):
    table = roles.table.set_index("category")
    assert table.loc["C", "low_n"] and not table.loc["D", "low_n"]
    assert table.loc["C", "mentions"] == 5


def test_sentences_use_display_names_and_the_sign_convention(roles):
    a = roles.table.iloc[0]
    assert roles.sentences[0] == (
        "Wait time: mentioned by 25% of comments; 100% of them are detractors against 35% overall; "
        f"removing them would raise NPS by 35.0 points (95% CI {-a.impact_ci_high:.1f} to {-a.impact_ci_low:.1f})."
    )
    assert roles.sentences[1].startswith("Friendly agent: mentioned by 25% of comments; 0% of them are detractors")
    assert "would lower NPS by 31.7 points" in roles.sentences[1]


def test_sentences_leave_out_the_interval_without_bootstrap():
    labels, scores = roles_data()
    sentence = analyze(labels, scores, n_boot=0, display_names={"A": "Wait time"}).sentences[0]
    assert sentence.endswith("removing them would raise NPS by 35.0 points.")


# --------------------------------------------------------------------------- soft labels


def test_soft_labels_that_are_zero_or_one_equal_hard_labels():
    labels, scores = random_data(n=150, k=3, seed=6)
    hard = analyze(labels, scores, n_boot=50)
    soft = analyze(labels.astype(float), scores, n_boot=50, soft=True)
    pd.testing.assert_frame_equal(hard.table, soft.table, check_dtype=False)
    assert hard.overall == soft.overall


def test_soft_labels_are_fractional_membership():
    # Scores D, P, P, Pa -> NPS = 25. p(A) = 0.5, 0, 0, 0.5: expected mentions 1.
    # Without A (weights 1 - p = 0.5, 1, 1, 0.5): 100 * (2 - 0.5) / 3 = 50 -> impact -25.
    # Within A (weights 0.5, 0, 0, 0.5): 100 * (0 - 0.5) / 1 = -50. One category: Shapley = impact.
    labels = pd.DataFrame({"A": [0.5, 0.0, 0.0, 0.5]})
    row = analyze(labels, pd.Series([0.0, 10, 10, 7]), soft=True, min_n=1, n_boot=0).table.iloc[0]
    assert row["mentions"] == pytest.approx(1.0)
    assert row["impact"] == pytest.approx(-25.0)
    assert row["nps_within"] == pytest.approx(-50.0)
    assert row["shapley"] == pytest.approx(-25.0)


def test_probabilities_need_soft_true():
    with pytest.raises(ValueError, match="soft=True"):
        analyze(pd.DataFrame({"A": [0.2, 0.9]}), pd.Series([1.0, 9.0]))


# --------------------------------------------------------------------------- missing scores, bad input


def test_missing_scores_are_excluded_and_counted():
    scores = pd.concat([SCORES, pd.Series([np.nan, np.nan], index=[10, 11])])
    labels = pd.concat([LABELS, pd.DataFrame({"A": [1, 1], "B": [1, 0]}, index=[10, 11])])
    analysis = analyze(labels, scores, min_n=1, n_boot=0)
    assert analysis.overall.n == 10 and analysis.overall.n_excluded == 2
    assert by_category(analysis).loc["A", "impact"] == pytest.approx(V_A)


def test_scores_are_aligned_on_the_index():
    shuffled = SCORES.sample(frac=1, random_state=1)
    table = by_category(analyze(LABELS, shuffled, min_n=1, n_boot=0))
    assert table.loc["A", "impact"] == pytest.approx(V_A)


@pytest.mark.parametrize(
    "scores, message",
    [
        (pd.Series([0.0, 11.0]), "0-10"),
        (pd.Series([0.0, 7.5]), "0-10"),
        (pd.Series([0.0, 1.0], index=[5, 6]), "same index"),
        (pd.Series([np.nan, np.nan]), "no row"),
    ],
)
def test_bad_scores_are_rejected(scores, message):
    with pytest.raises(ValueError, match=message):
        analyze(pd.DataFrame({"A": [1, 0]}), scores)


def test_nps_groups():
    assert nps_groups(np.array([0, 6, 7, 8, 9, 10])).tolist() == [0, 0, 1, 1, 2, 2]


# --------------------------------------------------------------------------- error-rate correction


def test_rogan_gladen_by_hand():
    # (0.4 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.3 / 0.7; below the false-positive floor clips to 0.
    assert rogan_gladen(0.4, 0.8, 0.9) == pytest.approx(3 / 7)
    assert rogan_gladen(0.05, 0.8, 0.9) == 0.0
    with pytest.raises(ValueError):
        rogan_gladen(0.4, 0.5, 0.5)


def test_error_rate_correction_by_hand():
    # A with sensitivity 0.8, specificity 0.9 (Youden J = 0.7):
    #   overall 0.4 -> 3/7; detractors 2/4 -> 0.4/0.7 = 4/7; passives 1/2 -> 4/7; promoters 1/4 -> 0.15/0.7 = 3/14
    #   without A, with group shares D 0.4, Pa 0.2, P 0.4:
    #   P: 0.4 * 11/14, D: 0.4 * 3/7, Pa: 0.2 * 3/7 -> total 8/14, NPS = 100 * (4.4 - 2.4) / 8 = 25
    #   corrected impact = 0 - 25 = -25
    #   within A: P 0.4 * 3/14 = 1.2/14, D 0.4 * 4/7 = 3.2/14, Pa 1.6/14 -> 100 * (1.2 - 3.2) / 6 = -100/3
    # B with sensitivity 0.9, specificity 0.6 (J = 0.5): tagged 0.3, below the false-alarm rate 0.4, so
    #   Rogan-Gladen would say 0%: the error rates cannot explain the tags; no number, a warning instead.
    rates = {"A": ErrorRates(0.8, 0.9), "B": ErrorRates(0.9, 0.6)}
    analysis = analyze(LABELS, SCORES, min_n=1, n_boot=0, error_rates=rates)
    table = by_category(analysis)
    a, b = table.loc["A"], table.loc["B"]
    assert a["corrected_prevalence"] == pytest.approx(3 / 7)
    assert [
        a["corrected_prevalence_detractors"],
        a["corrected_prevalence_passives"],
        a["corrected_prevalence_promoters"],
    ] == pytest.approx([4 / 7, 4 / 7, 3 / 14])
    assert a["corrected_impact"] == pytest.approx(-25.0)
    assert a["corrected_nps_within"] == pytest.approx(-100 / 3)
    assert b[["corrected_prevalence", "corrected_impact"]].isna().all()
    assert (
        len(analysis.warnings) == 1 and "unstable for 1 rows" in analysis.warnings[0] and ": B" in analysis.warnings[0]
    )
    assert a["impact"] == pytest.approx(V_A)  # the observed measures stay as they were


def test_error_rates_for_unknown_categories_are_rejected():
    with pytest.raises(ValueError, match="not in labels"):
        analyze(LABELS, SCORES, n_boot=0, error_rates={"Z": ErrorRates(0.9, 0.9)})


# --------------------------------------------------------------------------- segments and trend


@pytest.fixture(scope="module")
def sliced():
    labels, scores = random_data(n=400, k=3, seed=9)
    rng = np.random.default_rng(9)
    segments = pd.Series(rng.choice(["phone", "chat", "letter"], size=400, p=[0.6, 0.35, 0.05]))
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 91, 400), unit="D"))
    dates.iloc[:7] = pd.NaT
    return (
        labels,
        scores,
        segments,
        analyze(labels, scores, segments=segments, dates=dates, period="month", n_boot=50, min_n=30),
    )


def test_segments_table_has_all_plus_each_segment(sliced):
    labels, scores, segments, analysis = sliced
    table = analysis.segments
    assert table.shape[0] == 4 * 3  # (All + 3 segments) x 3 categories
    assert table["segment"].drop_duplicates().tolist()[0] == "All"
    sizes = table.drop_duplicates("segment").set_index("segment")["slice_n"]
    assert sizes.drop("All").to_dict() == segments.value_counts().to_dict()
    small = table.drop_duplicates("segment").set_index("segment")["slice_low_n"]
    assert small.to_dict() == {name: sizes[name] < 30 for name in sizes.index}
    assert small["letter"]


def test_segment_nps_matches_a_direct_computation(sliced):
    labels, scores, segments, analysis = sliced
    chat = scores[segments == "chat"]
    expected = 100 * ((chat >= 9).mean() - (chat <= 6).mean())
    assert analysis.segments.query("segment == 'chat'")["slice_nps"].iloc[0] == pytest.approx(expected)


def test_overall_results_do_not_depend_on_the_cuts(sliced):
    labels, scores, segments, analysis = sliced
    plain = analyze(labels, scores, n_boot=50, min_n=30)
    pd.testing.assert_frame_equal(plain.table, analysis.table)


def test_trend_has_one_block_per_period_and_counts_undated_rows(sliced):
    labels, scores, segments, analysis = sliced
    trend = analysis.trend
    assert trend["period"].drop_duplicates().tolist() == ["2024-01", "2024-02", "2024-03"]
    assert trend.shape[0] == 3 * 3
    assert analysis.n_undated == 7
    assert trend.drop_duplicates("period")["slice_n"].sum() + analysis.n_undated == analysis.overall.n


def test_week_and_quarter_labels():
    dates = pd.Series(pd.to_datetime(["2024-12-30", "2024-01-03", "2024-04-01"]))
    labels, scores = pd.DataFrame({"A": [1, 0, 1]}), pd.Series([1.0, 9, 10])
    weeks = analyze(labels, scores, dates=dates, period="week", n_boot=0).trend
    quarters = analyze(labels, scores, dates=dates, period="quarter", n_boot=0).trend
    assert weeks["period"].tolist() == ["2024-W01", "2024-W14", "2025-W01"]  # ISO: 2024-12-30 is in 2025-W01
    assert quarters["period"].tolist() == ["2024Q1", "2024Q2", "2024Q4"]


def test_tidy_has_every_cut(sliced):
    labels, scores, segments, analysis = sliced
    tidy = analysis.tidy()
    assert tidy.groupby("level").size().to_dict() == {
        "overall": 3,
        "segment": 9,
        "period": 9,
        "segment x period": len(analysis.segment_trend),
    }
    overall = tidy[tidy["level"] == "overall"]
    assert (overall["segment"] == "All").all() and (overall["period"] == "All").all()
    assert {"impact_ci_low", "impact_ci_high", "nps_within_ci_low", "slice_nps_ci_low"} <= set(tidy.columns)


# --------------------------------------------------------------------------- complaints and praise as separate rows
#
# The scores of the first fixture; "wait" split by polarity:
# row  score  group      wait:neg  wait:pos
#  0-2  0,3,5 detractor      1         0
#  3     6    detractor      0         0
#  4,5  7,8   passive        0         0
#  6,7  9,10  promoter       0         1
#  8,9  10,9  promoter       0         0
#
# wait:neg: NPS within -100; without rows 0-2: D, Pa, Pa, P x4 -> 100 * (4 - 1) / 7 = 300/7 -> impact -300/7
# wait:pos: NPS within +100; without rows 6,7: D x4, Pa x2, P x2 -> 100 * (2 - 4) / 8 = -25 -> impact +25
# both removed: rows 3,4,5,8,9: D, Pa, Pa, P, P -> +20 -> v(both) = -20
# Shapley(neg) = (v(neg) + v(both) - v(pos)) / 2 = (-300/7 - 20 - 25) / 2 = -615/14
# Shapley(pos) = (v(pos) + v(both) - v(neg)) / 2 = (25 - 20 + 300/7) / 2 = 335/14
# As one topic (rows 0,1,2,6,7: D, D, D, P, P): NPS within -20, impact 0 - 20 = -20: the two cancel out.
WAIT = [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]
SPLIT = pd.DataFrame({"wait:neg": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "wait:pos": [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]})


def test_complaints_and_praise_are_ranked_as_separate_rows():
    analysis = analyze(SPLIT, SCORES, min_n=1, n_boot=200, display_names={"wait": "Wait time"})
    table = analysis.table.set_index("item")
    assert table.loc["wait:neg", ["category", "polarity", "display_name"]].tolist() == [
        "wait",
        "neg",
        "Wait time - complaints",
    ]
    assert table.loc["wait:pos", "display_name"] == "Wait time - praise"
    assert table.loc["wait:neg", "nps_within"] == pytest.approx(-100)
    assert table.loc["wait:neg", "impact"] == pytest.approx(-300 / 7)
    assert table.loc["wait:pos", "impact"] == pytest.approx(25)
    assert table.loc["wait:neg", "shapley"] == pytest.approx(-615 / 14)
    assert table.loc["wait:pos", "shapley"] == pytest.approx(335 / 14)
    assert table["shapley"].sum() == pytest.approx(-20)
    low, high = table.loc["wait:neg", ["impact_ci_low", "impact_ci_high"]]
    assert low <= -300 / 7 <= high
    assert set(analysis.tidy()["polarity"]) == {"neg", "pos"}


def test_one_topic_without_polarity_hides_what_the_split_shows():
    table = analyze(pd.DataFrame({"wait": WAIT}), SCORES, min_n=1, n_boot=0).table.set_index("item")
    assert table.loc["wait", "polarity"] == "" and table.loc["wait", "category"] == "wait"
    assert table.loc["wait", "nps_within"] == pytest.approx(-20)
    assert table.loc["wait", "impact"] == pytest.approx(-20)


def test_few_mentions_with_a_strong_signal_are_watched_not_greyed():
    # 18 mentions, 15 of them detractors (83%), against 20% detractors among 182 other answers.
    scores = pd.Series([2.0] * 15 + [9.0] * 3 + [2.0] * 36 + [9.0] * 100 + [8.0] * 46)
    labels = pd.DataFrame({"rare:neg": [1] * 18 + [0] * 182, "noise:neg": ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0] * 20)[:200]})
    table = analyze(labels, scores, min_n=30, n_boot=50).table.set_index("item")
    assert table.loc["rare:neg", "mentions"] == 18 and table.loc["rare:neg", "q_value"] < 0.001
    assert table.loc["rare:neg", "role"] == "watch" and pd.isna(table.loc["rare:neg", "rank"])
    assert table.loc["noise:neg", "role"] == "low n"  # 20 mentions, no signal: still greyed
    sentences = analyze(labels, scores, min_n=30, n_boot=0).sentences
    assert any(
        s.startswith("Watch Rare - complaints: only 18 mentions, but 83% of them are detractors") for s in sentences
    )


# --------------------------------------------------------------------------- what changed between periods
#
# August:    X detractor (-100), X promoter (+100), none promoter (+100), none passive (0)       NPS +25
# September: X detractor, X detractor, X+Y detractor, none promoter                              NPS -50
# Profiles (the exact set of causes an answer mentions) and their share w and NPS m:
#   {X}:   Aug w 1/2, m 0     Sep w 1/2,  m -100   mix 0                            score -100 * 1/2 = -50
#   {X,Y}: Aug w 0            Sep w 1/4,  m -100   mix 1/4 * (-100 - (-12.5)) = -21.875   score 0
#   {}:    Aug w 1/2, m 50    Sep w 1/4,  m 100    mix -1/4 * (75 + 12.5) = -21.875       score 50 * 3/8 = 18.75
# (-12.5 is the average NPS of the two months.) {X,Y} is shared equally between X and Y:
#   X: mix -10.9375, score -50 -> -60.9375;  Y: mix -10.9375 -> -10.9375;  residual: -3.125.  Sum -75 = the change.
CHANGE_LABELS = pd.DataFrame({"X": [1, 1, 0, 0, 1, 1, 1, 0], "Y": [0, 0, 0, 0, 0, 0, 1, 0]})
CHANGE_SCORES = pd.Series([0, 10, 10, 8, 0, 0, 0, 10], dtype=float)
CHANGE_DATES = pd.Series(pd.to_datetime(["2026-08-03"] * 4 + ["2026-09-14"] * 4))


def test_change_decomposition_by_hand():
    analysis = analyze(CHANGE_LABELS, CHANGE_SCORES, dates=CHANGE_DATES, period="month", min_n=1, n_boot=100)
    changes = analysis.changes.set_index("category")
    assert changes[["from", "to"]].drop_duplicates().values.tolist() == [["2026-08", "2026-09"]]
    assert changes.loc["X", ["mix", "score", "contribution"]].tolist() == pytest.approx([-10.9375, -50, -60.9375])
    assert changes.loc["Y", ["mix", "score", "contribution"]].tolist() == pytest.approx([-10.9375, 0, -10.9375])
    residual = changes.loc["(no cause mentioned)"]
    assert residual[["mix", "score", "contribution"]].tolist() == pytest.approx([-21.875, 18.75, -3.125])
    assert changes["contribution"].sum() == pytest.approx(-75) and (changes["change"] == -75).all()
    assert changes.index.tolist() == ["X", "Y", "(no cause mentioned)"]  # biggest first, residual last
    assert (changes["contribution_ci_low"] <= changes["contribution_ci_high"]).all()


def test_change_sentence_names_the_cause_that_explains_most():
    from classifier.analysis.changes import change_sentence

    analysis = analyze(CHANGE_LABELS, CHANGE_SCORES, dates=CHANGE_DATES, period="month", min_n=1, n_boot=0)
    assert change_sentence(analysis.changes, period="month") == (
        "NPS fell 75.0 points from August 2026 to September 2026 (+25 to -50); "
        "X explains -60.9 and Y explains -10.9 of them."
    )
    assert change_sentence(analysis.changes, period="month", lang="nb").startswith(
        "NPS falt 75.0 poeng fra august 2026 til september 2026"
    )


def test_contributions_add_up_to_every_change():
    labels, scores = random_data(n=600, k=4, seed=11)
    rng = np.random.default_rng(11)
    dates = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, 600), unit="D"))
    analysis = analyze(labels, scores, dates=dates, period="month", n_boot=50)
    per_month = analysis.trend.drop_duplicates("period").set_index("period")["slice_nps"]
    for (start, end), rows in analysis.changes.groupby(["from", "to"], sort=False):
        assert rows["contribution"].sum() == pytest.approx(per_month[end] - per_month[start])
        assert (rows["mix"] + rows["score"]).to_numpy() == pytest.approx(rows["contribution"].to_numpy())
    assert len(analysis.changes.groupby(["from", "to"])) == 3  # Jan-Feb, Feb-Mar, Mar-Apr


def test_each_contribution_belongs_to_its_own_cause_whatever_the_ranking():
    # Columns in the order quiet, loud; the ranking puts loud first. In January 30 answers
    # complain about "loud" (all detractors), in February none do and answers without a cause
    # (promoters) take their place: of the rise of 100 points, 0.5 x (-100 - 50) = -75 fewer
    # "loud" answers give 75, 0.5 x (100 - 50) more causeless ones the residual 25, "quiet" 0.
    jan = [(0, 1, 0)] * 30 + [(1, 0, 10)] * 30
    feb = [(0, 0, 10)] * 30 + [(1, 0, 10)] * 30
    rows = jan + feb
    labels = pd.DataFrame([(q, loud) for q, loud, _ in rows], columns=["quiet", "loud"])
    scores = pd.Series([float(score) for _, _, score in rows])
    dates = pd.Series(pd.to_datetime(["2026-01-10"] * 60 + ["2026-02-10"] * 60))
    analysis = analyze(labels, scores, dates=dates, period="month", n_boot=0, min_n=5)
    assert analysis.table["item"].tolist()[0] == "loud"
    by_item = analysis.changes.set_index("item")["contribution"]
    assert by_item["loud"] == pytest.approx(75.0)
    assert by_item["quiet"] == pytest.approx(0.0)
    assert by_item[""] == pytest.approx(25.0)  # the residual row


def test_compare_adds_any_two_periods_and_rejects_unknown_ones():
    labels, scores = random_data(n=300, k=2, seed=12)
    dates = pd.Series(pd.to_datetime(["2026-01-15", "2026-02-15", "2026-03-15"] * 100))
    analysis = analyze(labels, scores, dates=dates, period="month", compare=("2026-01", "2026-03"), n_boot=0)
    pairs = analysis.changes[["from", "to"]].drop_duplicates().values.tolist()
    assert pairs == [["2026-01", "2026-02"], ["2026-02", "2026-03"], ["2026-01", "2026-03"]]
    with pytest.raises(ValueError, match="no answers in period '2025-12'"):
        analyze(labels, scores, dates=dates, period="month", compare=("2025-12", "2026-03"), n_boot=0)


# --------------------------------------------------------------------------- other scales


def test_a_1_to_5_rating_is_refused_for_nps():
    with pytest.raises(ValueError, match="1-5 ratings .* use --metric mean"):
        analyze(pd.DataFrame({"A": [1, 0, 1]}), pd.Series([1.0, 5, 3]))


def test_metric_mean_ranks_by_impact_on_the_average_score():
    # All: (1 + 2 + 5 + 4 + 5 + 3) / 6 = 10/3; without X (rows 2, 3, 4): 14/3 -> impact -4/3.
    # X: low (1-2) 2 of 3 against 2 of 6 overall -> lift 2.
    labels = pd.DataFrame({"X": [1, 1, 0, 0, 0, 1]})
    analysis = analyze(labels, pd.Series([1.0, 2, 5, 4, 5, 3]), metric="mean", min_n=1, n_boot=0)
    row = analysis.table.iloc[0]
    assert analysis.overall.nps == pytest.approx(10 / 3) and analysis.settings.scale == (1, 5)
    assert row["nps_within"] == pytest.approx(2) and row["impact"] == pytest.approx(-4 / 3)
    assert row["detractor_share"] == pytest.approx(2 / 3) and row["detractor_lift"] == pytest.approx(2)


# --------------------------------------------------------------------------- files: `classify drivers`
#
# A hand-made predictions file as `classify predict` writes it for a model with polarity.
# August (40): 10 wait complaints (3), 10 agent praise (10), 5 wait praise (9), 15 without a cause (8)
#   -> promoters 15, detractors 10: NPS +12.5
# September (40): 10 wait complaints (3), 10 follow-up complaints (1), 10 agent praise (10), 10 without (8)
#   -> promoters 10, detractors 20: NPS -25
# Change -37.5: follow-up complaints are new (mix 1/4 * (-100 - (-6.25)) = -23.4375), wait praise is gone
# (mix -1/8 * (100 + 6.25) = -13.28125), fewer answers without a cause (-1/8 * (0 + 6.25) = -0.78125).
GROUPS = [
    ("2026-08", 10, "wait_time:neg", 3, "Ventet i over en time i telefonkøen i dag"),
    ("2026-08", 10, "agent_attitude:pos", 10, "Hyggelig og hjelpsom dame i telefonen"),
    ("2026-08", 5, "wait_time:pos", 9, "Fikk svar med en gang, veldig raskt"),
    ("2026-08", 15, "", 8, "Greit nok samlet sett"),
    ("2026-09", 10, "wait_time:neg", 3, "Ventet i over en time i telefonkøen igjen"),
    ("2026-09", 10, "follow_up:neg", 1, "Ingen ringte meg tilbake som lovet"),
    ("2026-09", 10, "agent_attitude:pos", 10, "Hyggelig og hjelpsom dame i telefonen"),
    ("2026-09", 10, "", 8, "Greit nok samlet sett"),
]
CATEGORIES = ["wait_time", "agent_attitude", "follow_up"]


def polarity_predictions(polarity: bool = True) -> pd.DataFrame:
    rows = []
    for month, count, item, score, text in GROUPS:
        category, _, pol = item.partition(":")
        for i in range(count):
            row = {
                "Respons-ID": f"R{len(rows) + 1}",
                "Dato": f"{i + 1:02d}.{month[5:]}.{month[:4]} 10:00",
                "Kanal": ["Telefon", "Chat"][i % 2],
                "Score": score,
                "Kommentar": text,
                "language": "nb",
                "labels": category,
            }
            if polarity:
                row["labels_polarity"] = item
                row["complaints"] = category if pol == "neg" else ""
                row["praise"] = category if pol == "pos" else ""
            for c in CATEGORIES:
                row[f"prob_{c}"] = 0.9 if c == category else 0.05
            if polarity:
                for c in CATEGORIES:
                    row[f"polarity_prob_{c}"] = 0.8 if c == category else np.nan
            row.update(note="", model="demo@0123456789ab", nps_score=score)
            rows.append(row)
    return pd.DataFrame(rows)


def classify(*args):
    from typer.testing import CliRunner

    from classifier.cli import app

    result = CliRunner().invoke(app, ["drivers", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def predictions_csv(tmp_path):
    path = tmp_path / "survey.predictions.csv"
    polarity_predictions().to_csv(path, index=False)
    return path


def test_drivers_file_ranks_complaints_and_praise_and_writes_polarity(predictions_csv, tmp_path):
    result = classify(predictions_csv, "--min-n", 5, "--n-boot", 50, "--out", tmp_path / "d.csv")
    assert result.exit_code == 0, result.output
    assert "Wait time - complaints" in result.output and "Wait time - praise" in result.output
    tidy = pd.read_csv(tmp_path / "d.csv", keep_default_na=False)
    overall = tidy[tidy["level"] == "overall"].set_index("item")
    assert overall.loc["wait_time:neg", ["category", "polarity"]].tolist() == ["wait_time", "neg"]
    assert overall.loc["agent_attitude:pos", "polarity"] == "pos"


def test_drivers_what_changed_in_the_terminal_and_in_a_file(predictions_csv, tmp_path):
    result = classify(
        predictions_csv, "--period", "month", "--n-boot", 50, "--min-n", 5, "--changes", tmp_path / "c.csv"
    )
    assert result.exit_code == 0, result.output
    assert (
        "NPS fell 37.5 points from August 2026 to September 2026 (+12 to -25); Follow up - complaints explains "
        "-23.4 and Wait time - praise explains -13.3 of them." in " ".join(result.output.split())
    )
    changes = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert {"from", "to", "category", "polarity", "mix", "score", "contribution"} <= set(changes.columns)
    assert {"contribution_ci_low", "contribution_ci_high"} <= set(changes.columns)
    assert changes["contribution"].sum() == pytest.approx(-37.5)
    follow_up = changes.set_index("item").loc["follow_up:neg"]
    assert follow_up[["mix", "score"]].tolist() == pytest.approx([-23.4375, 0])


def test_drivers_compare_two_periods_and_an_unknown_one(predictions_csv):
    ok = classify(predictions_csv, "--period", "month", "--compare", "2026-08", "2026-09", "--n-boot", 20)
    assert ok.exit_code == 0 and "What changed from August 2026 to September 2026" in ok.output
    bad = classify(predictions_csv, "--period", "month", "--compare", "2026-07", "2026-09", "--n-boot", 20)
    assert bad.exit_code == 2 and "no answers in period '2026-07'" in bad.output and "Traceback" not in bad.output


def test_drivers_by_and_period_print_in_the_terminal(predictions_csv):
    result = classify(predictions_csv, "--by", "Kanal", "--period", "month", "--n-boot", 20, "--min-n", 5)
    assert result.exit_code == 0, result.output
    assert "Per segment" in result.output and "Per month" in result.output
    telefon = next(line for line in result.output.splitlines() if "Telefon" in line)
    assert "Wait time - complaints" in telefon  # its top complaint, not "-"


def test_drivers_refuses_a_1_to_5_rating_for_nps_and_ranks_it_by_the_mean(tmp_path):
    path = tmp_path / "csat.csv"
    frame = polarity_predictions()
    frame["Score"] = frame["Score"].map({3: 2, 10: 5, 9: 4, 8: 4, 1: 1})
    frame.drop(columns=["nps_score"]).to_csv(path, index=False)
    refused = classify(path, "--n-boot", 10)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert "csat.csv" in refused.output and "'Score' holds 1-5 ratings" in refused.output
    assert "--metric mean" in refused.output
    mean = classify(path, "--metric", "mean", "--n-boot", 10, "--min-n", 5)
    assert mean.exit_code == 0, mean.output
    assert "Average score" in mean.output and "ranked by impact on the average" in mean.output


FORMATS = {
    "csv": lambda frame, path: frame.to_csv(path, index=False),
    "nordic.csv": lambda frame, path: frame.to_csv(path, index=False, sep=";", decimal=","),
    "xlsx": lambda frame, path: frame.to_excel(path, index=False),
    "parquet": lambda frame, path: frame.to_parquet(path, index=False),
    "jsonl": lambda frame, path: frame.to_json(path, orient="records", lines=True, force_ascii=False),
}


@pytest.mark.parametrize("suffix", FORMATS)
def test_drivers_reads_every_format_predict_writes(suffix, tmp_path):
    from classifier.analysis.survey import analyze_files

    frame = polarity_predictions()
    path = tmp_path / f"survey.predictions.{suffix}"
    FORMATS[suffix](frame, path)
    csv = tmp_path / "plain.predictions.csv"
    frame.to_csv(csv, index=False)
    want = analyze_files([csv], None, score_col="Score", n_boot=0, min_n=5).analysis.table
    got = analyze_files([path], None, score_col="Score", n_boot=0, min_n=5).analysis.table
    pd.testing.assert_frame_equal(got, want)


def test_drivers_reads_the_long_form(tmp_path):
    from classifier.analysis.survey import analyze_files

    frame = polarity_predictions()
    groups = frame["Score"].map(lambda s: "promoter" if s >= 9 else "passive" if s >= 7 else "detractor")
    long_rows = [
        {
            "row": i + 1,
            "id": r["Respons-ID"],
            "language": "nb",
            "nps_group": groups[i],
            "model": r["model"],
            "label": r["labels"],
            "label_name": r["labels"],
            "probability": 0.9 if r["labels"] else None,
            "polarity": r["labels_polarity"].partition(":")[2],
            "polarity_probability": 0.8 if r["labels"] else None,
        }
        for i, r in frame.iterrows()
    ]
    path = tmp_path / "survey.predictions-long.csv"
    pd.DataFrame(long_rows).to_csv(path, index=False)
    wide = tmp_path / "survey.predictions.csv"
    frame.to_csv(wide, index=False)
    want = analyze_files([wide], None, score_col="Score", n_boot=0, min_n=5).analysis.table
    got = analyze_files([path], None, n_boot=0, min_n=5).analysis.table
    columns = ["item", "mentions", "nps_within", "impact", "shapley", "q_value", "role"]
    pd.testing.assert_frame_equal(got[columns], want[columns])


def test_drivers_reads_several_files_and_folders_as_one_survey(tmp_path):
    from classifier.analysis.survey import analyze_files

    frame = polarity_predictions()
    folder = tmp_path / "exports"
    folder.mkdir()
    frame.iloc[:40].to_csv(folder / "aug.predictions.csv", index=False)
    frame.iloc[40:].to_excel(folder / "sep.predictions.xlsx", index=False)
    (folder / "notes.csv").write_text("not,a,survey\n1,2,3\n", encoding="utf-8")  # skipped: predictions exist
    whole = tmp_path / "all.predictions.csv"
    frame.to_csv(whole, index=False)
    want = analyze_files([whole], None, n_boot=0, min_n=5).analysis
    got = analyze_files([folder], None, n_boot=0, min_n=5).analysis
    pd.testing.assert_frame_equal(got.table, want.table)
    assert (got.overall.n, got.overall.nps) == (want.overall.n, want.overall.nps)
    both = classify(folder / "aug.predictions.csv", folder / "sep.predictions.xlsx", "--n-boot", 10, "--min-n", 5)
    assert both.exit_code == 0 and "2 files" in both.output and "from 80 scored comments" in both.output


def test_topic_only_predictions_still_work(tmp_path):
    from classifier.analysis.survey import analyze_files

    path = tmp_path / "old.predictions.csv"
    polarity_predictions(polarity=False).to_csv(path, index=False)
    table = analyze_files([path], None, n_boot=0, min_n=5).analysis.table
    assert sorted(table["item"]) == sorted(CATEGORIES) and set(table["polarity"]) == {""}


def test_examples_for_every_ranked_row_complaints_from_detractors_praise_from_promoters(predictions_csv):
    from classifier.analysis.survey import analyze_files

    result = analyze_files([predictions_csv], None, n_boot=0, min_n=5)
    ranked = result.analysis.table.query("role != 'low n'")["item"]
    assert set(result.examples) == set(ranked)
    assert result.examples["agent_attitude:pos"][0] == "Hyggelig og hjelpsom dame i telefonen"
    assert result.examples["follow_up:neg"][0] == "Ingen ringte meg tilbake som lovet"


def test_drivers_report_language_takes_names_from_the_codebook(predictions_csv, small_model_dir, tmp_path):
    report = tmp_path / "rapport.html"
    result = classify(predictions_csv, "--model", small_model_dir, "--lang", "nb", "--n-boot", 20, "--html", report)
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "<title>Hva driver NPS-en vår</title>" in html and "<h2>Viktigste funn</h2>" in html
    assert "Ventetid / svartid - klager" in html and "Ventetid / svartid - ros" in html
    unknown = classify(predictions_csv, "--lang", "de")
    assert unknown.exit_code == 2 and "unknown report language 'de'" in unknown.output


def test_drivers_without_a_model_on_a_predictions_file_loads_none(predictions_csv, monkeypatch):
    import classifier.model.store as store

    def no_training(*args, **kwargs):
        raise AssertionError("drivers trained or loaded a model it did not need")

    monkeypatch.setattr(store, "load_or_train_default", no_training)
    assert classify(predictions_csv, "--n-boot", 10).exit_code == 0


def test_correct_warns_when_the_tagging_model_is_not_here(predictions_csv):
    result = classify(predictions_csv, "--correct", "--n-boot", 10, "--min-n", 5)
    assert result.exit_code == 0, result.output
    assert "warning: --correct: the model that tagged the file (demo@0123456789ab) is not available here" in (
        " ".join(result.output.split())
    )
    assert "corrected impact" not in result.output


def test_topic_error_rates_do_not_correct_complaints_and_praise():
    analysis = analyze(SPLIT, SCORES, min_n=1, n_boot=0, error_rates={"wait": ErrorRates(0.9, 0.95)})
    assert analysis.table["corrected_impact"].isna().all()
    assert analysis.warnings == [
        "--correct: no error rates apply to 2 complaint/praise rows (the model's rates are for topics), so they "
        "are not corrected: Wait - complaints, Wait - praise"
    ]


def test_drivers_says_when_some_files_have_no_complaint_praise_split(tmp_path):
    polarity_predictions().iloc[:40].to_csv(tmp_path / "aug.predictions.csv", index=False)
    polarity_predictions(polarity=False).iloc[40:].to_csv(tmp_path / "sep.predictions.csv", index=False)
    result = classify(tmp_path, "--n-boot", 10, "--min-n", 5)
    assert result.exit_code == 0, result.output
    assert "1 of 2 files have no complaint/praise split" in " ".join(result.output.split())
