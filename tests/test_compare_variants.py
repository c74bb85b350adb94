"""scripts/compare_variants.py --relabel: training on another coder's reading of some labels."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from compare_variants import relabelled_copy

COLUMNS = ["id", "text", "lang", "score", "labels", "sector", "persona"]


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    pd.DataFrame([(i, f"comment {i}", "nb", "5", labels, "", "") for i, labels in rows], columns=COLUMNS).to_csv(
        path, index=False
    )


def labels_of(folder: Path) -> dict[str, str]:
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(folder.glob("a*.csv"))]
    return dict(zip(*[pd.concat(frames)[c] for c in ("id", "labels")]))


def test_each_listed_mention_becomes_the_coders_and_the_rest_stays(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir(), out.mkdir()
    write(data / "a1.csv", [("a1-1", "wait_time:neg"), ("a1-2", "resolution:pos;agent_attitude:pos")])
    write(data / "a2.csv", [("a2-1", "resolution:neg"), ("a2-2", ""), ("a2-3", "follow_up:neg")])
    (data / "codebook.csv").write_text("id,name_nb,name_sv,name_en,definition\n", encoding="utf-8")
    relabel = tmp_path / "codes.csv"
    pd.DataFrame(
        {
            "id": ["a1-1", "a1-2", "a2-1", "a2-2"],
            "category": ["resolution"] * 4,
            "coder": ["pos", "none", "neg", "neu"],
        }
    ).to_csv(relabel, index=False)

    changed = relabelled_copy(data, relabel, out)

    assert labels_of(out) == {
        "a1-1": "wait_time:neg;resolution:pos",  # added
        "a1-2": "agent_attitude:pos",  # dropped
        "a2-1": "resolution:neg",  # the same: not counted as changed
        "a2-2": "resolution:neu",
        "a2-3": "follow_up:neg",  # not listed
    }
    assert changed == 3
    assert (out / "codebook.csv").exists()
    assert labels_of(data)["a1-2"] == "resolution:pos;agent_attitude:pos", "the original data is left alone"


def test_an_id_that_is_not_in_the_data_stops_the_run(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir(), out.mkdir()
    write(data / "a1.csv", [("a1-1", "")])
    relabel = tmp_path / "codes.csv"
    pd.DataFrame({"id": ["a1-1", "zz-9"], "category": ["resolution"] * 2, "coder": ["pos", "neg"]}).to_csv(
        relabel, index=False
    )
    with pytest.raises(SystemExit, match="1 ids are not in"):
        relabelled_copy(data, relabel, out)
