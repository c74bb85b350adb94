"""`classify predict DATASET --dask ADDRESS|local --out-dir DIR`: the same predictions, made on a Dask cluster.

The cluster here is a `LocalCluster` of two in-process workers (threads), joined by
its address as a remote scheduler would be; one test starts `local:1`.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app

pytest.importorskip("distributed", reason="no Dask (pip install '.[dask]')")

COMMENTS = [
    "Ventet i 45 min i telefonkøen og ingen svarte",
    "Hyggelig og hjelpsom dame, takk!",
    "Väntade länge men fick till slut hjälp",
    "Fakturaen er feil og ingen svarer på e-post",
    "",
    "Fikk løst saken på første forsøk",
    "Bra service",
    "Krånglig att logga in på mina sidor",
    "Lang kø.\nIngen svarte på e-post heller",  # a line break inside a quoted CSV cell
]


def survey(n: int, offset: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Respons-ID": [f"R{offset + i}" for i in range(n)],
            "Kanal": ["Telefon", "Chat"] * (n // 2),
            "Score": [str((offset + i) % 11) for i in range(n)],
            "Kommentar": [COMMENTS[(offset + i) % len(COMMENTS)] for i in range(n)],
        }
    )


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c


@pytest.fixture(params=["csv", "parquet"])
def dataset(request, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for k in range(3):
        df = survey(40, 40 * k)
        if request.param == "csv":
            df.to_csv(folder / f"month{k}.csv", sep=";", index=False, encoding="utf-8-sig")
        else:
            df.to_parquet(folder / f"month{k}.parquet", index=False)
    return folder


def plain_run(dataset, small_model_dir, tmp_path) -> pd.DataFrame:
    """What `classify predict` without Dask writes for the same files, as one table."""
    out = tmp_path / "plain"
    result = invoke("predict", dataset, "--model", small_model_dir, "--out-dir", out, "--format", "parquet")
    assert result.exit_code == 0, result.output
    return pd.concat([pd.read_parquet(p) for p in sorted(out.glob("*.parquet"))], ignore_index=True)


def test_dask_gives_the_columns_labels_and_probabilities_of_a_plain_run(cluster, dataset, small_model_dir, tmp_path):
    out = tmp_path / "tagged"
    result = invoke(
        "predict", dataset, "--dask", cluster.scheduler_address, "--model", small_model_dir, "--out-dir", out
    )
    assert result.exit_code == 0, result.output
    assert (
        "Wrote" in result.output and "120 rows from 3 file(s)" in result.output and "2 Dask worker(s)" in result.output
    )
    assert sorted(p.name for p in out.iterdir())[:1] == ["part.0.parquet"]
    dask_df = pd.read_parquet(out).sort_values("Respons-ID").reset_index(drop=True)
    plain = plain_run(dataset, small_model_dir, tmp_path).sort_values("Respons-ID").reset_index(drop=True)
    assert list(dask_df.columns) == list(plain.columns)
    assert dask_df["labels"].tolist() == plain["labels"].tolist()
    assert dask_df["nps_group"].tolist() == plain["nps_group"].tolist()
    probs = [c for c in plain.columns if c.startswith("prob_")]
    pd.testing.assert_frame_equal(dask_df[probs], plain[probs], check_exact=False, atol=1e-6)


def test_each_worker_holds_the_model_once_as_a_plugin(cluster, dataset, small_model_dir, tmp_path):
    out = tmp_path / "tagged"
    assert (
        invoke(
            "predict", dataset, "--dask", cluster.scheduler_address, "--model", small_model_dir, "--out-dir", out
        ).exit_code
        == 0
    )
    from classifier.distributed import PLUGIN_NAME

    holders = [w.plugins[PLUGIN_NAME].model for w in cluster.workers.values()]
    assert len(holders) == 2 and all(m.labels for m in holders)


def test_a_glob_and_local_cluster(dataset, small_model_dir, tmp_path):
    out = tmp_path / "tagged"
    pattern = str(dataset / "month[01].*")
    result = invoke("predict", pattern, "--dask", "local:1", "--model", small_model_dir, "--out-dir", out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 80 and "1 Dask worker(s)" in result.output


def test_dask_refuses_a_folder_with_files_and_needs_out_dir(cluster, dataset, small_model_dir, tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    args = ["predict", dataset, "--dask", cluster.scheduler_address, "--model", small_model_dir]
    result = invoke(*args, "--out-dir", full)
    assert result.exit_code == 2 and "not an empty folder" in result.output
    assert (full / "keep.txt").read_text() == "mine"
    result = invoke(*args)
    assert result.exit_code == 2 and "--out-dir" in result.output


def test_dask_refuses_mixed_and_missing_files(cluster, dataset, small_model_dir, tmp_path):
    survey(4, 0).to_csv(dataset / "extra.csv", index=False)
    survey(4, 0).to_parquet(dataset / "extra.parquet", index=False)
    args = ["--dask", cluster.scheduler_address, "--model", small_model_dir, "--out-dir", tmp_path / "o"]
    result = invoke("predict", dataset, *args)
    assert result.exit_code == 2 and "not both" in result.output
    result = invoke("predict", tmp_path / "nothing-*.csv", *args)
    assert result.exit_code == 2 and "no Parquet or CSV files" in result.output


@pytest.mark.parametrize("option", [["--redact"], ["--long"], ["--db", "x.sqlite"], ["--format", "csv"]])
def test_dask_refuses_options_it_would_otherwise_ignore(option, dataset, small_model_dir, tmp_path):
    result = invoke(
        "predict", dataset, "--dask", "local", "--model", small_model_dir, "--out-dir", tmp_path / "o", *option
    )
    assert result.exit_code == 2 and f"does not take {option[0]}" in result.output
