"""`classify discover`: themes the codebook does not cover surface, with readable terms,
masked examples, a theme per row, and emerging themes flagged against an earlier file.

The planted theme is a wave of SMS fraud in the company's name (tests/fixtures/sms_fraud_wave.csv:
40 comments, Norwegian and Swedish, varied wording) added to the example survey; the
example survey alone is the "earlier file" that lacks it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.analysis import discover
from classifier.analysis.drivers import analyze
from classifier.analysis.report import render_html
from classifier.cli import app
from classifier.files.writing import neutralise_formulas
from classifier.paths import shipped_data

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kundeservice_nps_2026.csv"
WAVE = ROOT / "tests" / "fixtures" / "sms_fraud_wave.csv"
TEXT = "Hva er hovedgrunnen til at du ga denne scoren?"
SCORE = "Hvor sannsynlig er det at du vil anbefale vår kundeservice til en venn eller kollega?"
PLANTED_WORDS = {"sms", "svindel-sms", "bedrägeri-sms", "lenken", "länken", "falsk", "falske", "falskt", "svindel"}

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def planted_survey(path: Path) -> Path:
    """The example survey with the fraud wave mixed in (ids P-0000 ...)."""
    survey = pd.read_csv(EXAMPLE, sep=";", encoding="utf-8-sig", dtype=str)
    wave = pd.read_csv(WAVE, sep=";", dtype=str)
    planted = pd.DataFrame({c: "" for c in survey.columns}, index=wave.index)
    planted["Respons-ID"] = [f"P-{i:04d}" for i in range(len(wave))]
    planted[TEXT], planted[SCORE] = wave["text"], wave["score"]
    mixed = pd.concat([survey, planted], ignore_index=True).sample(frac=1, random_state=1)
    mixed.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def wave_run(small_model_dir, tmp_path_factory):
    """`classify discover` on the planted survey, with --since the survey without the wave."""
    folder = tmp_path_factory.mktemp("discover")
    survey = planted_survey(folder / "june.csv")
    themes, assigned = folder / "themes.csv", folder / "comments.csv"
    result = run(
        "discover", survey, "--model", small_model_dir, "--training-data", shipped_data(),
        "--out", themes, "--assign", assigned, "--since", EXAMPLE,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {
        "survey": survey,
        "output": result.output,
        "themes": pd.read_csv(themes, dtype={"theme": str}, keep_default_na=False),
        "assigned": pd.read_csv(assigned, dtype=str, keep_default_na=False),
        "input": pd.read_csv(survey, sep=";", dtype=str, keep_default_na=False),
    }


def planted_theme(wave_run) -> pd.Series:
    """The theme holding most of the planted comments."""
    assigned = wave_run["assigned"]
    planted = assigned["Respons-ID"].str.startswith("P-")
    theme = assigned.loc[planted & (assigned["theme"] != ""), "theme"].mode().iloc[0]
    return wave_run["themes"].set_index("theme").loc[theme]


# --------------------------------------------------------------------------- the planted theme


def test_the_planted_theme_is_found_and_mostly_planted(wave_run):
    assigned = wave_run["assigned"]
    theme = planted_theme(wave_run)
    members = assigned[assigned["theme"] == theme.name]
    planted = members["Respons-ID"].str.startswith("P-")
    assert planted.mean() >= 0.8, members  # the theme is the wave ...
    # ... and holds most of it: the rest the model codes itself, some rightly (a long wait,
    # an agent who could not help), so those stay out of a theme of uncovered comments
    assert planted.sum() > 0.5 * 40
    assert int(theme["size"]) == len(members)


def test_top_terms_are_the_planted_words_as_written(wave_run):
    theme = planted_theme(wave_run)
    terms = [t.strip() for t in theme["top_terms"].split(",")]
    assert len(set(terms[:4]) & PLANTED_WORDS) >= 2, terms
    members = wave_run["assigned"].loc[wave_run["assigned"]["theme"] == theme.name, TEXT].str.lower()
    for term in terms:  # whole words found in the comments, not stems
        assert members.map(lambda text, t=term: t in discover.surface_words(text)).any(), term


def test_words_new_to_the_training_data_are_named(wave_run):
    theme = planted_theme(wave_run)
    assert {"svindel-sms", "bedrägeri-sms"} <= {w.strip() for w in theme["new_words"].split(",")}
    assert "svindel-sms" in wave_run["output"]


def test_share_of_detractors_is_that_of_the_members(wave_run):
    theme = planted_theme(wave_run)
    assigned = wave_run["assigned"]
    scores = pd.to_numeric(assigned.loc[assigned["theme"] == theme.name, SCORE].str[:2], errors="coerce")
    assert float(theme["detractor_share"]) == pytest.approx((scores <= 6).sum() / scores.notna().sum(), abs=1e-4)
    assert float(theme["detractor_share"]) >= 0.8  # every planted comment scores 1-6


def test_five_masked_examples_per_theme(wave_run):
    themes = wave_run["themes"]
    examples = themes[[f"example_{i}" for i in range(1, 6)]]
    assert (examples.loc[themes["size"] >= 5] != "").all(axis=None)
    text = " ".join(examples.to_numpy().ravel())
    assert "912 34 567" not in text and "kari.nordmann@example.no" not in text
    assert "912 34 567" in WAVE.read_text(encoding="utf-8")  # the fixture has them; the examples do not


def test_assign_keeps_every_row_and_column_and_adds_theme(wave_run):
    assigned, given = wave_run["assigned"], wave_run["input"]
    assert list(assigned.columns) == [*given.columns, "theme"]
    # As `classify predict` writes them: cells a spreadsheet would run as formulas get a leading '.
    pd.testing.assert_frame_equal(assigned.drop(columns="theme"), neutralise_formulas(given))
    assert set(assigned["theme"]) <= set(wave_run["themes"]["theme"]) | {""}
    counts = assigned.loc[assigned["theme"] != "", "theme"].value_counts()
    assert counts.to_dict() == dict(zip(wave_run["themes"]["theme"], wave_run["themes"]["size"]))


def test_since_flags_the_planted_theme_as_emerging(wave_run):
    themes = wave_run["themes"].set_index("theme")
    theme = planted_theme(wave_run)
    assert str(theme["emerging"]) == "True" and int(theme["size_since"]) <= 1
    others = themes.drop(index=theme.name)
    assert (others["emerging"].astype(str) == "False").all(), others  # found in the earlier file too
    assert "emerging" in wave_run["output"]


def test_how_k_was_chosen_is_printed(wave_run):
    assert re.search(r"k = \d+ NMF components, the most stable \(adjusted Rand index per k: 2: ", wave_run["output"])


# --------------------------------------------------------------------------- the library


def coded(texts: list[str], confident: bool, scores: list[float] | None = None) -> discover.Coded:
    """Comments as a model might code them: all confidently `billing`, or none."""
    n = len(texts)
    labels = pd.DataFrame({"billing": [int(confident)] * n, "wait": [0] * n})
    proba = pd.DataFrame({"billing": [0.95 if confident else 0.1] * n, "wait": [0.05] * n})
    return discover.Coded(texts, labels, proba, pd.Series(scores, dtype=float) if scores else None)


FRAUD = [
    "svindel-sms med lenken til falsk side",
    "fikk svindel-sms og trykket lenken",
    "lenken i svindel-sms var falsk",
    "svindel-sms igjen, lenken ser ekte ut",
    "falsk svindel-sms om inkasso med lenken",
    "svindel-sms fra dere? lenken ba om bankid",
    "ny svindel-sms, ikke trykk lenken",
    "svindel-sms i deres navn, lenken virker ekte",
    "moren min trykket lenken i en svindel-sms",
    "svindel-sms hver dag, falsk lenken",
    "advar kundene om svindel-sms og lenken",
    "svindel-sms med lenken til falsk inkasso",
]
BILLS = [f"fakturaen var feil denne gangen nummer {i}" for i in range(20)]


def test_words_new_to_the_training_data_surface_even_when_the_model_is_confident():
    known = discover.training_words(BILLS + ["sms", "side", "inkasso"])
    found = discover.find_themes(coded(FRAUD + BILLS, confident=True), known, seed=0)
    assert found.n_uncovered == 0 and found.n_new_word_comments == len(FRAUD)
    assert "svindel-sms" in found.new_words and "lenken" in found.new_words
    fraud_theme = found.assignment[0]
    assert fraud_theme and found.assignment[: len(FRAUD)] == [fraud_theme] * len(FRAUD)
    assert set(found.assignment[len(FRAUD) :]) == {""}  # confidently coded, no new words: not looked at
    assert found.themes["detractor_share"].isna().all()  # no score column: no share of detractors


def test_a_recurring_new_word_needs_three_comments():
    known = discover.training_words(BILLS)
    twice = coded(["rar greie kom", "enda en greie", *BILLS], confident=True)
    _, uses_new, new_words = discover.candidates(twice, known)
    assert not uses_new.any() and new_words == []
    thrice = coded(["rar greie kom", "enda en greie", "greie med brevet", *BILLS], confident=True)
    _, uses_new, new_words = discover.candidates(thrice, known)
    assert uses_new[:3].all() and not uses_new[3:].any() and "greie" in new_words


def test_uncovered_means_no_category_or_low_confidence():
    texts = ["fakturaen var feil igjen", "ventet lenge i telefonen", "Bra", "ok 👍"]
    frame = discover.Coded(
        texts,
        pd.DataFrame({"billing": [1, 1, 0, 0]}),
        pd.DataFrame({"billing": [0.9, 0.3, 0.1, 0.1]}),
    )
    uncovered, _, _ = discover.candidates(frame, set(), min_confidence=0.5)
    assert uncovered.tolist() == [False, True, False, False]  # "Bra" and "ok" carry no cause
    uncovered, _, _ = discover.candidates(frame, set(), min_confidence=0.95)
    assert uncovered.tolist() == [True, True, False, False]


def test_same_data_and_seed_give_the_same_themes():
    texts = FRAUD + [f"chatten var treg og boten forsto ingenting {i}" for i in range(8)] + BILLS
    frame = coded(texts, confident=False, scores=[3.0] * len(texts))
    first = discover.find_themes(frame, set(), seed=3)
    second = discover.find_themes(frame, set(), seed=3)
    assert first.stability == second.stability and first.k == second.k
    assert first.assignment == second.assignment
    pd.testing.assert_frame_equal(first.themes, second.themes)
    assert len(first.themes) >= 2


def test_too_few_candidates_give_no_theme():
    found = discover.find_themes(coded(FRAUD[:4] + BILLS, confident=True), discover.training_words(BILLS))
    assert found.themes.empty and set(found.assignment) == {""} and found.k == 0


def test_a_fit_whose_themes_are_all_too_small_gives_no_theme_and_no_error():
    import scipy.sparse as sp

    # Three comments with nothing in common: each component holds one, below the minimum size.
    X = sp.csr_matrix(np.eye(3))
    labels, centroids = discover.fit_themes(X, 3, min_size=2)
    assert list(labels) == [-1, -1, -1] and centroids.shape[0] == 0


def test_surface_words_keep_compounds_and_drop_identifiers():
    assert discover.surface_words("BankID-appen krasjer, ring <phone>") == ["bankid-appen", "krasjer", "ring"]
    assert discover.content_words("Jeg fikk ikke svar fra dere") == ["svar"]


def test_report_section_shows_the_top_themes_escaped():
    themes = pd.DataFrame(
        {
            "theme": ["T1", "T2"],
            "size": [31, 12],
            "share": [0.076, 0.03],
            "detractor_share": [1.0, np.nan],
            "top_terms": ["sms, svindel-sms, lenken", "kreditnota, rask"],
            "new_words": ["svindel-sms", ""],
            "categories": ["Follow-up (10)", ""],
            "example_1": ["<script>alert(1)</script>", "Kreditnota kom samme dag."],
            "size_since": [0, 12],
            "share_since": [0.0, 0.033],
            "emerging": [True, False],
        }
    )
    labels = pd.DataFrame({"wait": [1, 0, 1, 0] * 10})
    html = render_html(analyze(labels, pd.Series([2.0, 9, 5, 10] * 10), n_boot=0), themes=themes)
    section = html[html.index("What no category covers") : html.index("How to read this")]
    assert "svindel-sms" in section and "kreditnota" in section
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert section.count(">emerging<") == 1
    assert "What no category covers" not in render_html(analyze(labels, pd.Series([2.0, 9, 5, 10] * 10), n_boot=0))


# --------------------------------------------------------------------------- the command


def test_drivers_report_gets_the_themes_section(wave_run, small_model_dir, tmp_path):
    themes_csv = tmp_path / "themes.csv"
    wave_run["themes"].to_csv(themes_csv, index=False)
    html = tmp_path / "report.html"
    result = run(
        "drivers", wave_run["survey"], "--model", small_model_dir, "--n-boot", "0", "--themes", themes_csv,
        "--html", html,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "What no category covers" in page and "emerging" in page
    assert run("drivers", wave_run["survey"], "--themes", themes_csv).exit_code == 2


def test_a_file_with_no_uncovered_comments_says_so_and_exits_0(small_model, small_model_dir, tmp_path):
    from classifier import load_labelled

    data = load_labelled(shipped_data())
    _, proba, decided = small_model.predict_arrays(data.texts[:400])
    sure = [t for t, p, d in zip(data.texts, proba, decided) if d.any() and p.max() >= 0.5][:60]
    survey = tmp_path / "clear.csv"
    pd.DataFrame({"kommentar": sure, "score": [7] * len(sure)}).to_csv(survey, index=False)
    out, assigned = tmp_path / "themes.csv", tmp_path / "rows.csv"
    result = run(
        "discover", survey, "--model", small_model_dir, "--training-data", shipped_data(), "--out", out,
        "--assign", assigned,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "No uncovered comments" in result.output
    assert pd.read_csv(out).empty
    assert pd.read_csv(assigned, keep_default_na=False)["theme"].eq("").all()


def test_min_size_larger_than_any_theme(wave_run, small_model_dir, tmp_path):
    result = run(
        "discover", wave_run["survey"], "--model", small_model_dir, "--training-data", shipped_data(),
        "--out", tmp_path / "t.csv", "--min-size", "45",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "No theme of at least 45 comments" in result.output


def test_k_min_confidence_and_columns_as_given(small_model_dir, tmp_path):
    survey = planted_survey(tmp_path / "june.csv")
    renamed = pd.read_csv(survey, sep=";", dtype=str).rename(columns={TEXT: "c1", SCORE: "c2"})
    renamed.to_csv(tmp_path / "plain.csv", index=False)
    result = run(
        "discover", tmp_path / "plain.csv", "--model", small_model_dir, "--training-data", shipped_data(),
        "--text-col", "c1", "--score-col", "c2", "--k", "4", "--min-confidence", "0.99", "--seed", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "k = 4 NMF components (as given)" in result.output
    assert "none with probability >= 0.99" in result.output
    assert (tmp_path / "plain.themes.csv").exists()  # the default --out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "missing.csv"], "missing.csv"),
        (["--k", "1"], "--k must be at least 2"),
        (["--min-confidence", "0"], "--min-confidence"),
        (["--out", "SURVEY"], "refusing to write the output over an input file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, small_model_dir, tmp_path):
    survey = planted_survey(tmp_path / "june.csv")
    args = [str(survey) if a == "SURVEY" else a for a in args]
    before = survey.read_bytes()
    result = run("discover", survey, "--model", small_model_dir, "--training-data", shipped_data(), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert survey.read_bytes() == before


def test_a_model_whose_training_data_is_not_here_needs_training_data(small_model_dir, tmp_path):
    survey = planted_survey(tmp_path / "june.csv")
    result = run("discover", survey, "--model", small_model_dir)  # its card records no data file
    assert result.exit_code == 2, result.output
    assert "give it with --training-data" in result.output
    assert not (tmp_path / "june.themes.csv").exists()


def test_help_has_examples():
    out = run("discover", "--help").output
    assert "Examples" in out and "classify discover survey.csv --out themes.csv --assign comments.csv" in out
