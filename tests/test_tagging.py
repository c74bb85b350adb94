"""Batch tagging of files: worker processes give the same output as one process."""

from __future__ import annotations

import pandas as pd

import classifier.tagging as tagging
from classifier.tagging import predict_file


def test_worker_processes_write_exactly_what_one_process_writes(tmp_path, small_model, small_model_dir, monkeypatch):
    texts = ["Ventet i 45 min i kø", "Hyggelig dame", "", "Fakturaen var feil", "Väntade länge", "-"] * 20
    survey = tmp_path / "svar.csv"
    pd.DataFrame({"Kommentar": texts, "Score": [2, 10, 7, 3, 5, 8] * 20}).to_csv(survey, sep=";", index=False)
    one = predict_file(small_model, survey, out=tmp_path / "one.csv", jobs=1, chunk_rows=25)
    monkeypatch.setattr(tagging, "_large", lambda path: True)  # workers even for a small file
    two = predict_file(small_model, survey, out=tmp_path / "two.csv", jobs=2, chunk_rows=25, model_path=small_model_dir)
    a, b = pd.read_csv(tmp_path / "one.csv"), pd.read_csv(tmp_path / "two.csv")
    assert one.rows == two.rows == len(texts)
    pd.testing.assert_frame_equal(a, b)
    assert one.categories == two.categories and one.languages == two.languages
