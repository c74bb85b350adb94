"""Polarity: each assigned category is a complaint (neg), praise (pos) or neutral (neu).

What a user sees: the wide columns `labels_polarity`, `complaints`, `praise` and
`polarity_prob_<id>`, the long columns `polarity` and `polarity_probability`, the
complaint and praise counts of `classify predict`, and a model trained on bare ids
that writes none of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier import load_labelled, load_model, save_model, train
from classifier.cli import app
from classifier.model.codebook import Codebook
from classifier.model.dataset import LabelledData
from classifier.model.metrics import polarity_scores
from classifier.model.polarity import PolarityClassifier
from classifier.model.store import CARD_MD
from classifier.paths import shipped_data
from classifier.tagging import predict_file

runner = CliRunner()
TEST_SET = Path(__file__).resolve().parent.parent / "evaluation" / "test_nb.csv"
POLARITY_COLUMNS = ["labels_polarity", "complaints", "praise"]

COMPLAINT = "Ventet over en time i telefonkø før noen svarte. Helt uakseptabelt"
PRAISE = "Kjempehyggelig dame som var så tålmodig med meg"
BOTH = "Ventet over en time i telefonkø, men damen som svarte var kjempehyggelig"


@pytest.fixture(scope="module")
def polarity_model(spread):
    """6,000 comments spread over the shipped data, with their id:polarity labels."""
    data = load_labelled(shipped_data())
    keep = spread(len(data), 6000)
    subset = LabelledData(
        texts=[data.texts[i] for i in keep],
        labels=[data.labels[i] for i in keep],
        codebook=data.codebook,
        languages=[data.languages[i] for i in keep] if data.languages else None,
        polarities=[data.polarities[i] for i in keep] if data.polarities else None,
    )
    return train(subset, seed=0, evaluate=False)


@pytest.fixture(scope="module")
def polarity_model_dir(polarity_model, tmp_path_factory):
    return save_model(polarity_model, tmp_path_factory.mktemp("polarity_model"))


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.csv"
    pd.DataFrame(
        {"Kommentar": [COMPLAINT, PRAISE, BOTH, "", "Takk"], "Score": [1, 10, 6, "", 8]},
    ).to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_complaint_is_neg_and_praise_is_pos(polarity_model):
    out = polarity_model.predict([COMPLAINT, PRAISE])
    assert "wait_time:neg" in out["labels_polarity"][0].split(";")
    assert "wait_time" in out["complaints"][0].split(";") and "wait_time" not in out["praise"][0].split(";")
    assert "agent_attitude:pos" in out["labels_polarity"][1].split(";")
    assert out["praise"][1].split(";") == ["agent_attitude"] and out["complaints"][1] == ""
    # the probability of the polarity given; none for a category not assigned
    assert 0.5 < out["polarity_prob_wait_time"][0] <= 1.0
    assert np.isnan(out["polarity_prob_agent_attitude"][0])


def test_x_but_y_gets_opposite_polarities(polarity_model):
    out = polarity_model.predict([BOTH])
    pairs = out["labels_polarity"][0].split(";")
    assert "wait_time:neg" in pairs and "agent_attitude:pos" in pairs
    assert "wait_time" in out["complaints"][0].split(";") and "agent_attitude" in out["praise"][0].split(";")


def test_wide_columns_follow_labels_in_the_contracts_order(polarity_model):
    out = polarity_model.predict(pd.DataFrame({"text": [COMPLAINT, "", BOTH]}))
    ids = polarity_model.labels
    columns = list(out.columns)
    start = columns.index("labels")
    assert columns[start : start + 4] == ["labels", *POLARITY_COLUMNS]
    assert columns[start + 4 : start + 4 + 2 * len(ids)] == [f"prob_{c}" for c in ids] + [
        f"polarity_prob_{c}" for c in ids
    ]
    assert columns[start + 4 + 2 * len(ids) :] == ["note", "model"]
    for labels, pairs in zip(out["labels"], out["labels_polarity"]):
        # same ids, same order; every polarity one of neg, pos, neu
        assert [p.split(":")[0] for p in pairs.split(";") if p] == [c for c in labels.split(";") if c]
        assert {p.split(":")[1] for p in pairs.split(";") if p} <= {"neg", "pos", "neu"}
    assert out.loc[1, POLARITY_COLUMNS].tolist() == ["", "", ""]  # an empty comment: nothing


def test_a_model_trained_on_bare_ids_writes_no_polarity(small_model):
    assert not small_model.has_polarity and small_model.card["polarity"] is False
    out = small_model.predict([COMPLAINT, PRAISE])
    assert not set(POLARITY_COLUMNS) & set(out.columns)
    assert not [c for c in out.columns if c.startswith("polarity_prob_")]
    assert "wait_time" in out["labels"][0]


def test_predict_on_bare_ids_writes_no_polarity_columns_in_either_form(small_model_dir, survey, tmp_path):
    result = run("predict", survey, "--model", small_model_dir, "--out", tmp_path / "wide.csv")
    assert result.exit_code == 0, result.output
    wide = pd.read_csv(tmp_path / "wide.csv", keep_default_na=False)
    assert not {*POLARITY_COLUMNS, "polarity_prob_wait_time"} & set(wide.columns)
    assert "complaints" not in result.output and "praise" not in result.output
    assert run("predict", survey, "--model", small_model_dir, "--long", "--out", tmp_path / "long.csv").exit_code == 0
    long = pd.read_csv(tmp_path / "long.csv", keep_default_na=False)
    assert not {"polarity", "polarity_probability"} & set(long.columns)


def test_predict_writes_polarity_and_counts_complaints_and_praise(polarity_model_dir, survey, tmp_path):
    result = run("predict", survey, "--model", polarity_model_dir, "--out", tmp_path / "wide.csv")
    assert result.exit_code == 0, result.output
    wide = pd.read_csv(tmp_path / "wide.csv", keep_default_na=False)
    assert "wait_time" in wide["complaints"][0].split(";")
    assert "agent_attitude" in wide["praise"][1].split(";")
    assert wide["polarity_prob_wait_time"][0] != "" and wide["polarity_prob_wait_time"][3] == ""
    # the summary: per category, its mentions, and how many complain and praise
    header = next(line for line in result.output.splitlines() if "category" in line and "share" in line)
    assert "complaints" in header and "praise" in header
    rows = [[cell.strip() for cell in line.split("│")] for line in result.output.splitlines()]
    comments, _share, complaints, praise = next(row[3:7] for row in rows if row[1:2] == ["wait_time"])
    assert int(complaints) >= 2 and int(complaints) + int(praise) <= int(comments)


def test_long_form_has_polarity_and_its_probability(polarity_model_dir, survey, tmp_path):
    out = tmp_path / "long.csv"
    assert run("predict", survey, "--model", polarity_model_dir, "--long", "--out", out).exit_code == 0
    long = pd.read_csv(out, keep_default_na=False)
    columns = list(long.columns)
    assert columns[columns.index("probability") :] == ["probability", "polarity", "polarity_probability"]
    wait = long[(long["row"] == 1) & (long["label"] == "wait_time")]
    assert wait["polarity"].tolist() == ["neg"] and 0.5 < float(wait["polarity_probability"].iloc[0]) <= 1.0
    no_category = long[long["label"] == ""]
    assert (no_category["polarity"] == "").all() and (no_category["polarity_probability"] == "").all()


def test_saved_model_keeps_its_polarity(polarity_model, polarity_model_dir):
    loaded = load_model(polarity_model_dir)
    assert loaded.has_polarity
    texts = [COMPLAINT, PRAISE, BOTH]
    pd.testing.assert_frame_equal(
        loaded.predict(texts).drop(columns="model"), polarity_model.predict(texts).drop(columns="model")
    )
    assert "Polarity: yes" in (polarity_model_dir / CARD_MD).read_text(encoding="utf-8")


def test_workers_write_the_polarity_one_process_writes(polarity_model, polarity_model_dir, tmp_path):
    path = tmp_path / "many.csv"
    pd.DataFrame({"Kommentar": [COMPLAINT, PRAISE, BOTH, "", "ok"] * 20}).to_csv(path, index=False)
    one = predict_file(polarity_model, path, out=tmp_path / "one.csv", jobs=1, chunk_rows=25)
    two = predict_file(
        polarity_model, path, out=tmp_path / "two.csv", jobs=2, chunk_rows=25, model_path=polarity_model_dir
    )
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    assert one.complaints == two.complaints and one.complaints["wait_time"] >= 40


POLARITY_TEXTS = [
    ("ventet lenge i kø", "wait_time:neg"),
    ("altfor lang ventetid på telefon", "wait_time:neg"),
    ("kort ventetid, fikk svar med en gang", "wait_time:pos"),
    ("ingen kø i dag, rask svar", "wait_time:pos"),
    ("hyggelig og blid dame", "attitude:pos"),
    ("svært hyggelig kar", "attitude:pos"),
    ("frekk og arrogant mann", "attitude:neg"),
    ("uhøflig og sur", "attitude:neg"),
    ("ringte om fakturaen", "billing:neu"),
    ("gebyret er for høyt", "billing:neg"),
    ("fakturaen var riktig og tydelig", "billing:pos"),
    ("ok", ""),
]


def tiny_polarity_data(repeat=4):
    texts = [f"{t} {'!' * i}" for i in range(repeat) for t, _ in POLARITY_TEXTS]
    cells = [labels for _, labels in POLARITY_TEXTS] * repeat
    polarities = [dict(cell.split(":") for cell in [c] if cell) for c in cells]
    return LabelledData(
        texts,
        [list(p) for p in polarities],
        Codebook(["wait_time", "attitude", "billing"]),
        polarities=polarities,
    )


def test_cross_validated_card_records_polarity_accuracy():
    model = train(tiny_polarity_data(), seed=0, folds=3)
    assert model.card["polarity"] is True
    scores = model.card["metrics"]["all"]["polarity"]
    assert 0.0 <= scores["accuracy"] <= 1.0 and scores["judged"] > 0
    json.dumps(model.card)  # the card is written as JSON


def test_evaluate_prints_polarity_scores_for_labels_with_polarity(polarity_model_dir):
    result = run("evaluate", "--data", TEST_SET, "--model", polarity_model_dir)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines.index(next(line for line in lines if "complaint F1" in line and "praise F1" in line))
    accuracy = float(lines[header + 1].split()[1])  # the "all" row
    assert lines[header + 1].startswith("all") and 0.6 < accuracy <= 1.0


def test_polarity_scores_count_pairs_by_hand():
    labels = ["wait_time", "attitude"]
    gold = [{"wait_time": "neg", "attitude": "pos"}, {"wait_time": "pos"}, {"attitude": ""}]
    names = np.array([["neg", "neg"], ["", ""], ["", "pos"]], dtype=object)
    s = polarity_scores(gold, names, labels)
    # judged: (0, wait_time) right, (0, attitude) wrong; row 1 not assigned; row 2 has no known polarity
    assert s["accuracy"] == 0.5 and s["judged"] == 2
    # complaints: predicted {(wait, neg), (att, neg)}, gold {(wait, neg)}: tp 1 -> 2 / (1 + 2)
    assert s["complaint_f1"] == pytest.approx(2 / 3)
    # praise: predicted {(att, pos)} in row 2 (no known polarity there), gold {(att, pos), (wait, pos)}: tp 0
    assert s["praise_f1"] == 0.0
    # all pairs: tp 1, gold 3, predicted 3
    assert s["pairs_f1"] == pytest.approx(2 / 6)


def test_the_polarity_classifier_follows_scikit_learn_conventions():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from classifier.model.polarity import NO_POLARITY, PolarityClassifier

    clf = PolarityClassifier(C=3.0, min_examples=4, random_state=7)
    assert clone(clf).get_params() == {"C": 3.0, "min_examples": 4, "random_state": 7}
    with pytest.raises(NotFittedError):
        clf.predict_proba(np.zeros((1, 2)))
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]] * 4)
    # category 0: neg / pos / neu; category 1: only two mentions, so it uses the shared model
    Y = np.array([[0, NO_POLARITY], [1, NO_POLARITY], [2, NO_POLARITY]] * 4)
    Y[0, 1], Y[1, 1] = 0, 1
    proba = clf.fit(X, Y).predict_proba(X)
    assert proba.shape == (12, 2, 3) and np.allclose(proba.sum(axis=2), 1.0)
    assert clf.label_models_[1] is None and clf.shared_ is not None
    assert np.array_equal(proba, clone(clf).fit(X, Y).predict_proba(X))  # same data and seed, same model
    assert clf.predict(X[:2]).tolist() == [["neg", "neg"], ["pos", "pos"]]


def test_polarity_scored_in_one_pass_gives_scikit_learns_own_numbers():
    # All categories' one-vs-rest models are scored from one stacked weight matrix
    # (classifier.model.linear); the probabilities must be OneVsRestClassifier's, bit for bit.
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(300, 40, density=0.2, format="csr", random_state=0)
    Y = rng.integers(-1, 3, size=(300, 3))  # three categories: not mentioned, neg, pos, neu
    Y[:, 2] = np.where(Y[:, 2] >= 0, rng.integers(0, 2, 300), -1)  # one category with two polarities only
    clf = PolarityClassifier(min_examples=10).fit(X, Y)
    got = clf.predict_proba(X)
    for j, model in enumerate(clf.label_models_):
        assert np.array_equal(got[:, j][:, model.classes_], model.predict_proba(X))


def test_polarity_asked_for_some_cells_is_the_same_number_there_and_nan_elsewhere(polarity_model):
    texts = [COMPLAINT, PRAISE, BOTH, "ok", "Fakturaen var feil"]
    features = polarity_model.pipeline[:-1].transform(pd.DataFrame({"text": texts}))
    everywhere = polarity_model.polarity.predict_proba(features)
    where = np.zeros(everywhere.shape[:2], dtype=bool)
    where[[0, 2, 2, 4], [0, 0, 3, 5]] = True
    some = polarity_model.polarity.predict_proba(features, where=where)
    np.testing.assert_array_equal(some[where], everywhere[where])
    assert np.isnan(some[~where]).all()
    with pytest.raises(ValueError, match="where must be"):
        polarity_model.polarity.predict_proba(features, where=where[:, :2])


def test_a_comment_gets_the_polarity_of_each_category_it_is_given(polarity_model):
    texts = [COMPLAINT, PRAISE, BOTH]
    _, proba, polarity_proba = polarity_model.probabilities(texts)
    decided, _, polarity = polarity_model.decide(texts, proba, polarity_proba)
    assert not np.isnan(polarity.probability[decided.astype(bool)]).any()
    assert (polarity.names[~decided.astype(bool)] == "").all()
