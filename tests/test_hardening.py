"""What a user sees when a run goes wrong halfway: several files, signals, full disks, odd names and cells.

Each test is one class of failure from docs/robustness.md ("Round 2"): a run
writes all its outputs or none, a signal cleans up like Ctrl-C, a full disk is
one line, a file name cannot break the error line, and unusual cells still
come out whole.
"""

from __future__ import annotations

import csv
import errno
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from classifier.cli import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write_survey(path: Path, rows: int = 3, start: int = 0) -> Path:
    comments = ["Ventet i 45 minutter i telefonkø", "Hyggelig og rask hjelp", "Fakturaen var uforståelig"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "kommentar", "score"])
        for i in range(start, start + rows):
            w.writerow([i, comments[i % 3], i % 11])
    return path


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer would leave behind (they start with a dot and end in .tmp)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- all outputs or none


def test_a_run_over_several_files_writes_nothing_when_one_fails(tmp_path, small_model_dir):
    good = write_survey(tmp_path / "good.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,kommentar\n1,\n2,\n", encoding="utf-8")  # the comment column is empty in every row
    result = run("predict", good, bad, "--model", small_model_dir)
    assert result.exit_code == 2
    assert "bad.csv" in result.output and "empty in every row" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv"]


def test_the_outputs_of_a_run_appear_only_when_every_file_is_done(tmp_path, small_model_dir):
    a, b = write_survey(tmp_path / "a.csv"), write_survey(tmp_path / "b.csv", start=3)
    result = run("predict", a, b, "--model", small_model_dir, "--format", "xlsx")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.predictions.xlsx").exists() and (tmp_path / "b.predictions.xlsx").exists()
    assert leftovers(tmp_path) == []


def test_a_folder_scan_says_which_files_it_took_and_which_it_skipped(tmp_path, small_model_dir):
    write_survey(tmp_path / "mars.csv")
    (tmp_path / "notater.txt").write_text("", encoding="utf-8")
    (tmp_path / "koder.csv").write_text("kode;antall\n1;4\n2;7\n", encoding="utf-8")
    result = run("predict", tmp_path, "--model", small_model_dir)
    assert result.exit_code == 0, result.output
    assert "1 survey file(s): mars.csv" in result.output
    assert "skipped notater.txt" in result.output and "skipped koder.csv" in result.output
    assert (tmp_path / "mars.predictions.csv").exists()
    assert not (tmp_path / "notater.predictions.csv").exists() and not (tmp_path / "koder.predictions.csv").exists()


def test_a_file_named_on_the_command_line_is_never_skipped(tmp_path, small_model_dir):
    write_survey(tmp_path / "mars.csv")
    notes = tmp_path / "notater.txt"
    notes.write_text("", encoding="utf-8")
    result = run("predict", tmp_path / "mars.csv", notes, "--model", small_model_dir)
    assert result.exit_code == 2
    assert not (tmp_path / "mars.predictions.csv").exists()


# --------------------------------------------------------------------------- messages


def test_a_newline_in_a_file_name_cannot_split_the_error_line(tmp_path, small_model_dir):
    odd = tmp_path / "mars\nfeil.csv"
    odd.write_text("id,kommentar\n1,\n", encoding="utf-8")
    result = run("predict", odd, "--model", small_model_dir)
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "mars\\nfeil.csv" in line
    assert result.output.count("\n") == 1


def test_a_terminal_escape_in_a_file_name_is_shown_not_obeyed(tmp_path, small_model_dir):
    odd = tmp_path / "\x1b[2Jrapport.csv"
    result = run("predict", odd, "--model", small_model_dir)
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\\x1b[2Jrapport.csv" in result.output


# --------------------------------------------------------------------------- a full disk


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(tmp_path, small_model_dir, monkeypatch, fmt):
    import classifier.files.writing as writing

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writing.TableWriter, "_write", full)
    survey = write_survey(tmp_path / "mars.csv")
    result = run("predict", survey, "--model", small_model_dir, "--format", fmt)
    assert result.exit_code == 2
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mars.csv"]


def test_a_full_disk_while_saving_an_xlsx_is_one_line(tmp_path, small_model_dir, monkeypatch):
    from openpyxl import Workbook

    def full(self, filename):
        Path(filename).write_bytes(b"PK half a file")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Workbook, "save", full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where openpyxl keeps each sheet
    (tmp_path / "tmp").mkdir()
    survey = write_survey(tmp_path / "mars.csv")
    result = run("predict", survey, "--model", small_model_dir, "--format", "xlsx")
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mars.csv", "tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []  # both sheets' temporary files are gone
    left_open = []
    monkeypatch.setattr(sys, "unraisablehook", left_open.append)
    gc.collect()  # a sheet left open would be finished now, writing to its closed file
    assert left_open == []


def test_a_read_only_output_folder_is_one_line(tmp_path, small_model_dir, monkeypatch):
    import tempfile

    survey = write_survey(tmp_path / "mars.csv")
    assert run("predict", survey, "--model", small_model_dir).exit_code == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkstemp = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):  # as a read-only folder answers, even to root
        if dir is not None and Path(dir) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    result = run("predict", survey, "--model", small_model_dir, "--out", locked / "mars.predictions.csv")
    assert result.exit_code == 2 and "cannot write here (Permission denied)" in result.output
    report = run("drivers", tmp_path / "mars.predictions.csv", "--html", locked / "report.html")
    assert report.exit_code == 2 and "report.html" in report.output and "Permission denied" in report.output
    assert list(locked.iterdir()) == []


# --------------------------------------------------------------------------- unusual cells


def test_a_comment_of_a_million_characters_is_kept_whole_and_classified(tmp_path, small_model_dir):
    long_comment = "Ventet i 45 minutter i telefonkø og ingen svarte. " * 25_000
    survey = tmp_path / "lang.csv"
    pd.DataFrame({"id": [1, 2], "kommentar": [long_comment, "Hyggelig hjelp"], "score": [2, 10]}).to_csv(
        survey, index=False
    )
    result = run("predict", survey, "--model", small_model_dir)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "lang.predictions.csv", encoding="utf-8-sig")
    assert out.loc[0, "kommentar"] == long_comment
    assert "wait_time" in out.loc[0, "labels"]


def test_list_and_struct_columns_reach_every_format_as_text(tmp_path, small_model_dir):
    survey = tmp_path / "nested.parquet"
    pd.DataFrame(
        {
            "kommentar": ["Ventet lenge i kø", "Rask hjelp"],
            "tags": [["app", "kø"], []],
            "meta": [{"kanal": "telefon"}, {"kanal": "chat"}],
        }
    ).to_parquet(survey)
    for fmt in ("xlsx", "csv", "parquet", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        result = run("predict", survey, "--model", small_model_dir, "--out", out)
        assert result.exit_code == 0, (fmt, result.output)
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("tags")] == '["app", "kø"]'
    assert row[header.index("meta")] == '{"kanal": "telefon"}'


def test_headers_that_neutralising_would_make_equal_stay_distinct(tmp_path, small_model_dir):
    survey = tmp_path / "formler.csv"
    survey.write_text("kommentar,=a,'=a\nVentet lenge,1,2\n", encoding="utf-8")
    result = run("predict", survey, "--model", small_model_dir)
    assert result.exit_code == 0, result.output
    with open(tmp_path / "formler.predictions.csv", encoding="utf-8-sig", newline="") as fh:
        header, row = list(csv.reader(fh))[:2]
    assert header[:3] == ["kommentar", "'=a", "'=a (2)"]
    assert row[1:3] == ["1", "2"]


# --------------------------------------------------------------------------- signals


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_run_like_ctrl_c(tmp_path, small_model_dir, signum):
    survey = write_survey(tmp_path / "stor.csv", rows=120_000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "classifier", "predict", str(survey), "--model", str(small_model_dir), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        if len(workers) >= 2 and leftovers(tmp_path):
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    assert len(workers) >= 2, "the run did not start its worker processes"
    time.sleep(0.5)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert "interrupted: no output was written" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stor.csv"]
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)], "worker processes outlived the run"


# --------------------------------------------------------------------------- planted symlinks


@pytest.mark.parametrize("output", ["report.html", "drivers.json", "drivers.csv"])
def test_a_symlink_planted_at_a_temporary_name_is_never_followed(tmp_path, small_model_dir, output):
    survey = write_survey(tmp_path / "mars.csv", rows=30)
    assert run("predict", survey, "--model", small_model_dir).exit_code == 0
    tagged = tmp_path / "mars.predictions.csv"
    before = tagged.read_bytes()
    for name in (f".{output}.tmp", f"{output}.tmp", f".{output}.swp", f"~{output}"):
        (tmp_path / name).symlink_to(tagged)
    option = "--html" if output.endswith(".html") else "--out"
    result = run("drivers", tagged, "--n-boot", 50, option, tmp_path / output)
    assert result.exit_code == 0, result.output
    assert tagged.read_bytes() == before
    assert all((tmp_path / name).is_symlink() for name in (f".{output}.tmp", f"{output}.tmp"))


def test_an_output_that_is_a_symlink_to_the_input_is_refused(tmp_path, small_model_dir):
    survey = write_survey(tmp_path / "mars.csv", rows=30)
    before = survey.read_bytes()
    (tmp_path / "ut.csv").symlink_to(survey)
    result = run("predict", survey, "--model", small_model_dir, "--out", tmp_path / "ut.csv")
    assert result.exit_code == 2 and "over an input file" in result.output
    assert survey.read_bytes() == before
