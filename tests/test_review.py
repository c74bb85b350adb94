"""`classify review`: the queue of uncertain comments, the local review page, and training on corrections."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.errors import InputError
from classifier.model.dataset import load_labelled, load_sources, source_path
from classifier.paths import shipped_data
from classifier.review.queue import (
    QUEUE_COLUMNS,
    UNSURE_BELOW,
    build_queue,
    choose_diverse,
    comment_confidence,
    decision_confidence,
    prefill_labels,
    reasons,
)
from classifier.review.server import ReviewServer, ReviewSession

ROOT = Path(__file__).parent.parent
SCRIPT = "<script>document.title='pwned'</script>"
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def confidences(model, texts: list[str]) -> np.ndarray:
    """The spec of a comment's confidence: the chance that its least certain category decision is right."""
    pred = model.predict(texts)
    proba = pred[[f"prob_{lab}" for lab in model.labels]].to_numpy()
    decided = np.array([[lab in s.split(";") for lab in model.labels] for s in pred["labels"]])
    return np.where(decided, proba, 1 - proba).min(axis=1)


@pytest.fixture(scope="module")
def comments(small_model) -> pd.DataFrame:
    """120 held-apart test comments (nb and sv) with their confidence under the small model."""
    frames = [pd.read_csv(ROOT / "evaluation" / f"test_{lang}.csv", dtype=str).head(60) for lang in ("nb", "sv")]
    df = pd.concat(frames, ignore_index=True)
    df["confidence"] = confidences(small_model, df["text"].tolist())
    return df


@pytest.fixture
def survey(tmp_path, comments, small_model) -> Path:
    """A survey export: the test comments, five of them with a script tag (those least certain with it)."""
    tagged = [f"{t} {SCRIPT}" for t in comments["text"]]
    unsure = set(np.argsort(confidences(small_model, tagged), kind="stable")[:5])
    texts = [tagged[i] if i in unsure else t for i, t in enumerate(comments["text"])]
    path = tmp_path / "survey.csv"
    pd.DataFrame({"Respons-ID": [f"R{i:03d}" for i in range(len(texts))], "Kommentar": texts}).to_csv(
        path, index=False, sep=";"
    )
    return path


# --------------------------------------------------------------------------- the queue


def test_confidence_is_the_chance_that_the_least_certain_decision_is_right():
    proba = np.array([[0.41, 0.29, 0.01], [0.97, 0.02, 0.03]])
    decided = np.array([[1, 0, 0], [1, 0, 0]])
    assert decision_confidence(proba, decided) == pytest.approx(np.array([[0.41, 0.71, 0.99], [0.97, 0.98, 0.97]]))
    assert comment_confidence(decision_confidence(proba, decided)).tolist() == pytest.approx([0.41, 0.97])
    assert reasons(proba, decided, ["wait_time", "resolution", "billing"]) == [
        "wait_time assigned at p=0.41; resolution left out at p=0.29",
        "",
    ]


def test_polarity_is_prefilled_and_an_unsure_polarity_is_a_reason():
    polarity = {"wait_time": ("neg", 0.97), "agent_attitude": ("pos", 0.55)}
    assert prefill_labels("wait_time;agent_attitude", polarity) == "wait_time:neg;agent_attitude:pos"
    assert prefill_labels("wait_time;agent_attitude", None) == "wait_time;agent_attitude"
    proba, decided = np.array([[0.97, 0.95]]), np.array([[1, 1]])
    assert reasons(proba, decided, ["wait_time", "agent_attitude"], [polarity]) == ["agent_attitude is pos at p=0.55"]


def test_near_variants_of_a_queued_comment_are_left_out_and_counted():
    texts = [
        "Ventet i 45 minutter i kø!",
        "ventet i 45 minutter i kø",
        "Fakturaen var feil",
        "Ventet i 45 minutter i kø.",
    ]
    chosen, stands_for = choose_diverse(texts, np.arange(4), n=3)
    assert chosen == [0, 2]
    assert stands_for == {0: 2, 2: 0}


def test_review_writes_the_least_confident_comments_in_the_labelled_data_format(survey, small_model_dir, small_model):
    out = survey.parent / "queue.csv"
    result = run("review", survey, "--model", small_model_dir, "--n", 8, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (8 of" in result.output
    queue = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(queue.columns) == list(QUEUE_COLUMNS)
    assert len(queue) == 8
    confidence = queue["confidence"].astype(float)
    assert confidence.is_monotonic_increasing and (confidence < UNSURE_BELOW).all()
    # Pre-filled with the model's prediction, under the input's own ids.
    assert queue["labels"].tolist() == small_model.predict(queue["text"].tolist())["labels"].tolist()
    source = pd.read_csv(survey, sep=";", dtype=str).set_index("Respons-ID")["Kommentar"]
    assert (source[queue["id"]].to_numpy() == queue["text"].to_numpy()).all()
    assert all(queue["reason"].str.contains("at p="))
    # It trains as it is: the labelled-data format.
    assert len(load_labelled(out, codebook=small_model.codebook, check=False)) == 8


def test_the_queue_takes_one_of_many_copies_of_a_comment(tmp_path, comments, small_model_dir):
    unsure = comments.nsmallest(1, "confidence")["text"].iat[0]
    texts = [*(t for t in comments["text"].head(30) if t != unsure), *[unsure] * 10]
    path = tmp_path / "copies.csv"
    pd.DataFrame({"text": texts}).to_csv(path, index=False)
    out = tmp_path / "queue.csv"
    result = run("review", path, "--model", small_model_dir, "--n", 20, "--out", out)
    assert result.exit_code == 0, result.output
    queue = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (queue["text"] == unsure).sum() == 1
    assert queue.loc[queue["text"] == unsure, "reason"].iat[0].endswith("; 9 similar comment(s) not queued")
    assert queue["id"].tolist() == [str(texts.index(t) + 1) for t in queue["text"]]  # no id column: row numbers


def test_a_file_without_uncertain_comments_says_so_and_exits_0(tmp_path, comments, small_model_dir):
    sure = comments.loc[comments["confidence"] >= UNSURE_BELOW, "text"]
    assert len(sure) >= 3, "the small model is sure of no test comment"
    path = tmp_path / "sure.csv"
    pd.DataFrame({"text": sure}).to_csv(path, index=False)
    result = run("review", path, "--model", small_model_dir, "--out", tmp_path / "queue.csv")
    assert result.exit_code == 0, result.output
    assert "no uncertain comments" in result.output and "nothing to review" in result.output
    assert not (tmp_path / "queue.csv").exists()


ENGLISH = [
    "The agent on the phone was very friendly and solved my problem quickly, thank you so much",
    "I waited for more than an hour on hold and nobody ever answered my call, terrible service",
    "The invoice was wrong again and I had to call three times before anyone fixed the amount",
]


def test_a_queue_of_a_file_in_a_language_the_model_has_not_seen_is_refused(tmp_path, small_model_dir):
    path = tmp_path / "english.csv"
    pd.DataFrame({"text": ENGLISH}).to_csv(path, index=False)
    result = run("review", path, "--model", small_model_dir, "--out", tmp_path / "queue.csv")
    assert result.exit_code == 2
    assert "en (3)" in result.output and "trained on nb, nn, sv only" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "queue.csv").exists()


def test_comments_in_other_languages_get_a_warning(tmp_path, comments, small_model_dir):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"text": [*comments["text"].head(20), *ENGLISH]}).to_csv(path, index=False)
    result = run("review", path, "--model", small_model_dir, "--n", 50, "--out", tmp_path / "queue.csv")
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if line.startswith("warning:"))
    assert "comments are in languages model" in warning and "en 3" in warning and "guesses" in warning


def test_columns_and_sheet_can_be_named(tmp_path, comments, small_model_dir):
    path = tmp_path / "export.xlsx"
    frame = pd.DataFrame({"Q7": comments["text"].head(30), "Ref": [f"K{i}" for i in range(30)]})
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Info", index=False)
        frame.to_excel(writer, sheet_name="Svar", index=False)
    out = tmp_path / "queue.csv"
    args = ["review", path, "--model", small_model_dir, "--n", 5, "--out", out]
    result = run(*args, "--sheet", "Svar", "--text-col", "Q7", "--id-col", "Ref")
    assert result.exit_code == 0, result.output
    queue = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(queue["id"]) <= set(frame["Ref"]) and set(queue["text"]) <= set(frame["Q7"])
    assert run(*args, "--sheet", "Svar").exit_code == 2  # Q7 is no comment header: it says to use --text-col


def test_the_queue_never_replaces_its_input(survey, small_model_dir):
    result = run("review", survey, "--model", small_model_dir, "--out", survey)
    assert result.exit_code == 2 and "over an input" in result.output


# --------------------------------------------------------------------------- the page's server


@pytest.fixture
def served(survey, small_model, tmp_path):
    """A review server of the survey's queue on a free port, in this process."""
    queue = build_queue(survey, small_model, n=20)
    session = ReviewSession(queue, small_model, tmp_path / "corrections.csv", protect=(survey,))
    server = ReviewServer(0, token="t0ken")
    server.session = session
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, session
    server.shutdown()
    server.server_close()


def request(server, method, path, body=None, headers=None):
    port = server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def test_every_request_needs_the_token_and_a_local_host_name(served):
    server, _ = served
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/?token=t0ken")
    assert request(server, "GET", "/")[0] == 403
    assert request(server, "GET", "/api/state?token=wrong")[0] == 403
    assert request(server, "GET", "/api/state?token=t0ken", headers={"Host": "evil.example:80"})[0] == 403
    status, body, headers = request(server, "GET", "/?token=t0ken")
    assert status == 200 and b'src="app.js?token=t0ken"' in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"


def test_nothing_but_the_page_and_its_api_is_served(served):
    server, _ = served
    for path in ("/../pyproject.toml?token=t0ken", "/static/app.js?token=t0ken", "/queue.py?token=t0ken"):
        assert request(server, "GET", path)[0] == 404


def test_comments_reach_the_page_as_escaped_json(served):
    server, _ = served
    status, body, headers = request(server, "GET", "/api/state?token=t0ken")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert b"<script" not in body and b"\\u003cscript\\u003e" in body
    state = json.loads(body)
    assert any(SCRIPT in item["text"] for item in state["items"])
    assert [c["id"] for c in state["codebook"]][:2] == ["wait_time", "availability"]


def test_a_change_is_saved_at_once_and_trains_as_labelled_data(served, small_model):
    server, session = served
    first = session.items[0]
    status, body, _ = request(
        server,
        "POST",
        "/api/save?token=t0ken",
        {"id": first["id"], "labels": {"wait_time": "neg", "agent_attitude": ""}},
        {"Origin": f"http://127.0.0.1:{server.server_address[1]}"},
    )
    assert status == 200 and json.loads(body) == {"reviewed": 1, "total": len(session.items)}
    saved = pd.read_csv(session.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert saved[["id", "labels", "predicted"]].values.tolist() == [
        [first["id"], "wait_time:neg;agent_attitude", first["predicted"]]
    ]
    data = load_labelled(session.path, codebook=small_model.codebook, check=False)
    assert data.labels == [["wait_time", "agent_attitude"]] and data.polarities == [
        {"wait_time": "neg", "agent_attitude": ""}
    ]
    assert not [p for p in session.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_cross_origin_and_non_json_writes_are_refused(served):
    server, session = served
    item = session.items[0]["id"]
    change = {"id": item, "labels": {"wait_time": "neg"}}
    assert request(server, "POST", "/api/save?token=t0ken", change, {"Origin": "http://evil.example"})[0] == 403
    assert request(server, "POST", "/api/save?token=t0ken", change, {"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert request(server, "POST", "/api/save", change)[0] == 403
    assert request(server, "POST", "/api/save?token=t0ken", change, {"Content-Type": "text/plain"})[0] == 415
    assert request(server, "POST", "/api/save?token=t0ken", {"id": item, "labels": {"nonsense": ""}})[0] == 400
    assert request(server, "POST", "/api/save?token=t0ken", {"id": "not-queued", "labels": {}})[0] == 400
    assert not session.path.exists()


def test_reopening_resumes_and_keeps_corrections_of_other_queues(survey, small_model, tmp_path):
    corrections = tmp_path / "corrections.csv"
    queue = build_queue(survey, small_model, n=5)
    first = ReviewSession(queue, small_model, corrections)
    first.save(queue.table["id"].iat[0], {"resolution": "pos"})
    pd.concat(
        [
            pd.read_csv(corrections, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
            pd.DataFrame([{"id": "old-1", "text": "Fra en tidligere runde", "labels": "billing_payment"}]),
        ]
    ).to_csv(corrections, index=False)
    again = ReviewSession(build_queue(survey, small_model, n=5), small_model, corrections)
    state = again.state()
    assert [item["reviewed"] for item in state["items"]] == [True, False, False, False, False]
    assert state["items"][0]["labels"] == {"resolution": "pos"}
    assert state["polarity"] is True  # a coding with polarity shows the complaint/praise/neutral toggles
    again.save(queue.table["id"].iat[1], {})
    kept = pd.read_csv(corrections, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert kept["id"].tolist() == [queue.table["id"].iat[0], "old-1", queue.table["id"].iat[1]]


def test_a_file_that_is_not_a_corrections_file_is_never_overwritten(survey, small_model, tmp_path):
    other = tmp_path / "notes.csv"
    other.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a corrections file"):
        ReviewSession(build_queue(survey, small_model, n=3), small_model, other)
    assert other.read_text(encoding="utf-8") == "x,y\n1,2\n"


def test_a_port_in_use_is_one_clear_line_and_exit_2(survey, small_model_dir, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("review", survey, "--model", small_model_dir, "--serve", "--port", port)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: port {port} is in use; give another with --port, or leave --port out"


def test_serve_prints_its_url_first_and_stops_on_ctrl_c(survey, small_model_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "classifier", "review", str(survey), "--model", str(small_model_dir), "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        # Ctrl-C as in a terminal, even when the tests run in the background (`... &`),
        # where the shell makes every process ignore SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = proc.stdout.readline().strip()
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.query.startswith("token=")
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
        conn.request("GET", f"/api/state?{parts.query}")
        assert conn.getresponse().status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=60)
        finally:
            proc.kill()  # never left serving after a failed test (no-op once it has exited)
    assert proc.returncode == 0
    assert "Stopped: 0 of" in out and str(survey.with_name("survey.corrections.csv")) in out


# --------------------------------------------------------------------------- the page in a browser


def _browser():
    """Headless Debian chromium through Selenium and chromedriver, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not browser or not driver:
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_the_page_codes_comments_with_the_keyboard_and_resumes(served, tmp_path):
    page = _browser()  # first: it skips the test when selenium, chromium or chromedriver is missing
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server, session = served
    wait = WebDriverWait(page, 30)
    try:
        page.get(server.url)
        wait.until(lambda d: d.find_element(By.ID, "progress-text").text == f"0 of {len(session.items)} reviewed")
        first = session.items[0]
        assert page.find_element(By.ID, "text").text == first["text"]
        body = page.find_element(By.TAG_NAME, "body")
        body.send_keys("1")  # the first category, wait_time, toggled
        wait.until(lambda d: session.path.exists())
        saved = pd.read_csv(session.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        toggled = {"wait_time"} ^ set(filter(None, first["predicted"].split(";")))
        expected = ";".join(sorted(toggled, key=ids_order(session)))
        assert saved["labels"].tolist() == [expected]
        body.send_keys("n")
        wait.until(lambda d: d.find_element(By.ID, "text").text == session.items[1]["text"])
        body.send_keys("s")  # skip the second
        wait.until(lambda d: d.find_element(By.ID, "text").text == session.items[2]["text"])
        body.send_keys("n")  # confirm the third as the model coded it
        wait.until(lambda d: len(pd.read_csv(session.path, dtype=str, encoding="utf-8-sig")) == 2)
        page.save_screenshot(str(tmp_path / "review.png"))

        # A script in a comment is shown as text, never run.
        scripted = next(i for i, item in enumerate(session.items) if SCRIPT in item["text"])
        search = page.find_element(By.ID, "search")
        search.send_keys("pwned")
        page.find_element(By.CSS_SELECTOR, "#results button").click()
        wait.until(lambda d: SCRIPT in d.find_element(By.ID, "text").text)
        assert page.title == "classify review"
        assert len(page.find_elements(By.TAG_NAME, "script")) == 1
        assert page.find_element(By.ID, "meta").text.startswith(f"Comment {scripted + 1} of")

        # Reopening starts at the first comment not reviewed: the skipped second one.
        page.get(server.url)
        wait.until(lambda d: d.find_element(By.ID, "progress-text").text == f"2 of {len(session.items)} reviewed")
        assert page.find_element(By.ID, "text").text == session.items[1]["text"]
    finally:
        page.quit()


def ids_order(session):
    order = {c["id"]: j for j, c in enumerate(session.codebook)}
    return lambda lab: order[lab]


# --------------------------------------------------------------------------- training on corrections


def test_shipped_names_the_shipped_training_data(tmp_path):
    assert source_path("shipped") == shipped_data()
    assert source_path(tmp_path / "mine.csv") == tmp_path / "mine.csv"


def test_a_later_source_replaces_the_same_comment_in_earlier_ones(tmp_path):
    first = tmp_path / "first.csv"
    second = tmp_path / "corrections.csv"
    pd.DataFrame(
        {"text": ["Ventet i en time.", "Hyggelig dame", "Fakturaen var feil"], "labels": ["a", "b", "a"]}
    ).to_csv(first, index=False)
    pd.DataFrame({"text": ["  ventet i EN time", "Ny kommentar"], "labels": ["b:neg", "a:pos"]}).to_csv(
        second, index=False
    )
    data = load_sources([first, second], check=False)
    assert data.texts == ["Hyggelig dame", "Fakturaen var feil", "  ventet i EN time", "Ny kommentar"]
    assert data.labels == [["b"], ["a"], ["b"], ["a"]]
    assert [(s["rows"], s["kept"]) for s in data.sources] == [(3, 2), (2, 2)]
    assert data.warnings[0].startswith(f"{first}: 1 of its 3 comments come again in a later --data source")


def test_train_on_several_sources_lists_each_in_the_model_card(tmp_path, spread):
    data = load_labelled(shipped_data())
    keep = spread(len(data), 600)
    base = tmp_path / "base.csv"
    pd.DataFrame({"text": [data.texts[i] for i in keep], "labels": [";".join(data.labels[i]) for i in keep]}).to_csv(
        base, index=False
    )
    corrections = tmp_path / "corrections.csv"
    pd.DataFrame(
        {
            "text": [data.texts[keep[0]], "Ventet i to timer på svar om fakturaen"],
            "labels": ["resolution:pos", "wait_time:neg;billing_payment:neg"],
        }
    ).to_csv(corrections, index=False)
    out = tmp_path / "model"
    result = run("train", "--data", base, "--data", corrections, "--out", out, "--folds", 2)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the terminal wraps long warnings
    assert f"{base}: 1 of its {len(keep)} comments come again in a later --data source, which replaces them" in said
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    sources = card["training_data"]["sources"]
    assert [(Path(s["source"]).name, s["rows"], s["kept"]) for s in sources] == [
        ("base.csv", len(keep), len(keep) - 1),
        ("corrections.csv", 2, 2),
    ]
    assert all(len(s["sha256"]) == 64 for s in sources)
    assert card["n_comments"] == len(keep) + 1
    markdown = (out / "model_card.md").read_text(encoding="utf-8")
    assert f"source {corrections}: 2 comments" in markdown
