"""Speed and memory of `classify predict` end to end, side by side with its peers.

    python scripts/bench.py                          # 200,000 comments, synthetic and realistic, 3 rounds
    python scripts/bench.py --n 1000000 --rounds 1   # the memory check: flat as the input grows
    python scripts/bench.py --jobs 1 --no-peers

Two surveys are written as Nordic exports (`;`-separated, UTF-8 with BOM, a score
column with anchor labels):

- synthetic: short template phrases recombined (~5% fresh made-up words), so
  comments repeat as short survey answers do;
- realistic: sentences of the shipped training comments and of the held-apart test
  comments, one to three per row, shuffled, with the same ~5% fresh words, so most
  rows are distinct and caching per comment does not flatter us (the models are
  trained on the shipped training data only; the test comments are only read here).

In each round the real `classify predict` and its peers (`scripts/peers.py`: fastText
and a plain scikit-learn word+char TF-IDF pipeline, trained on the same data) tag the
same file as subprocesses with the same number of worker processes, one after the
other in a rotating order. The table gives the median comments per second and the
median of each round's ratio (ours / peer), so load from other jobs on the machine
moves both sides of a ratio alike. Peak memory is the proportional set size of the
whole process tree (the command and its workers), sampled every 50 ms from /proc in one
more run of each program after the timed rounds: sampling slows the sampled program
(it made fastText 10-20% slower here, and us 5-10%), so timed runs are not sampled.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLASSIFY = [sys.executable, "-m", "classifier.cli"]
PEERS = [sys.executable, str(REPO / "scripts" / "peers.py")]
HEADER = "Respons-ID;Dato;Hvor sannsynlig er det at du vil anbefale oss?;Kommentar\r\n"
TEXT_COL = "Kommentar"
SCORES = ("10 - Svært sannsynlig", "9", "8", "7", "6", "3", "0 - Svært lite sannsynlig")

NB = (
    "ventet lenge i kø før jeg fikk svar",
    "hyggelig dame som løste saken min",
    "måtte ringe tre ganger",
    "lovet å ringe tilbake men gjorde det aldri",
    "ble satt over til feil avdeling",
    "uforståelig brev",
    "fikk ikke logget inn på min side",
    "for høyt gebyr på fakturaen",
    "rask og god hjelp",
    "han skjønte ikke hva jeg spurte om",
    "stengt på lørdag",
    "BankID fungerte ikke",
    "bra",
    "ok",
    "kundeservice var kjempegrei",
    "ventetid på 45 min er for lenge",
    "ingen svar på e-post",
)
SV = (
    "väntade länge i telefonkön",
    "trevlig personal som hjälpte mig",
    "fick ringa flera gånger",
    "de lovade att ringa tillbaka men hörde aldrig av sig",
    "kopplades runt mellan avdelningar",
    "otydligt brev",
    "kunde inte logga in på mina sidor",
    "dyr avgift på fakturan",
    "snabb hjälp",
    "hon förstod inte mitt ärende",
    "stängt på helgen",
    "jättebra bemötande",
    "inget svar på mejlet",
)


def _fresh_word(rng: random.Random) -> str:
    """A made-up word spaCy and our caches have not seen (typos, names)."""
    return "".join(rng.choice("abdefghiklmnoprstuvyæøå") for _ in range(rng.randint(5, 11)))


def synthetic_comment(rng: random.Random) -> str:
    parts = rng.sample(NB if rng.random() < 0.55 else SV, k=rng.choice((1, 1, 2, 3)))
    text = ", ".join(parts)
    if rng.random() < 0.3:
        text += f" {rng.randint(2, 90)} min"
    if rng.random() < 0.05:
        text += " " + _fresh_word(rng)
    return text.capitalize()


def realistic_sentences() -> list[str]:
    """Sentences of the shipped training comments and the held-apart test comments."""
    import csv

    files = [f for f in sorted((REPO / "classifier" / "training_data").glob("*.csv")) if f.name != "codebook.csv"]
    files += sorted((REPO / "evaluation").glob("test_*.csv"))
    sentences: set[str] = set()
    for f in files:
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = " ".join((row.get("text") or "").split())
                sentences.update(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip())
    return sorted(sentences)


def realistic_comments(n: int, seed: int = 0) -> Iterator[str]:
    rng = random.Random(seed)
    pool = realistic_sentences()
    for _ in range(n):
        text = " ".join(rng.sample(pool, k=rng.choice((1, 1, 2, 2, 3))))
        if rng.random() < 0.05:
            words = text.split()
            words.insert(rng.randint(0, len(words)), _fresh_word(rng))
            text = " ".join(words)
        yield text.replace(";", ",")


def synthetic_comments(n: int, seed: int = 0) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(n):
        yield synthetic_comment(rng)


def write_survey(path: Path, comments: Iterable[str], seed: int = 0) -> tuple[int, int]:
    """Write comments as a survey export; returns (rows, distinct comments)."""
    rng = random.Random(seed)
    rows, distinct = 0, set()
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(HEADER)
        for text in comments:
            text = text.replace('"', "'")
            distinct.add(text)
            fh.write(f"R-{rows:07d};03.10.2026 14:22;{rng.choice(SCORES)};{text}\r\n")
            rows += 1
    return rows, len(distinct)


def tree_pss_kib(root: int) -> int:
    """Proportional set size of a process and all its descendants, in KiB.

    PSS counts a memory page shared by n processes as 1/n in each, so the sum
    is the memory the tree really uses (RSS would count shared pages n times).
    """
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = _pss(pid) or int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str], memory: bool = True) -> tuple[float, float, str]:
    """Wall seconds, peak memory (PSS of the process tree) in MB (0 unless `memory`), and stderr of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_kib(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, stderr = proc.communicate()
    done.set()
    if memory:
        sampler.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr}")
    return seconds, peak / 1024, stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="comments per survey (default 200,000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes, ours and each peer's (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of side-by-side runs (default 3)")
    ap.add_argument("--data", choices=("synthetic", "realistic", "both"), default="both")
    ap.add_argument("--no-peers", action="store_true", help="time `classify predict` alone")
    ap.add_argument("--model", help="a trained model folder (default: train one with `classify train`)")
    ap.add_argument("--baseline", help="another checkout of classify (a folder) to time beside this one")
    ap.add_argument("--skip-train", action="store_true", help="do not print the time of `classify train`")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = Path(args.model).resolve() if args.model else tmp / "model"
        if not args.model:
            seconds, peak, _ = run_measured(CLASSIFY + ["train", "--out", str(model_dir)])
            if not args.skip_train:
                print(
                    f"train: {seconds:.1f} s on the shipped training data (cross-validation included), "
                    f"peak memory {peak:.0f} MB"
                )
        commands = {
            "classify predict": lambda survey, out: (
                CLASSIFY
                + ["predict", str(survey), "--model", str(model_dir), "--out", str(out), "--jobs", str(args.jobs)]
            )
        }
        if args.baseline:  # the same command from another checkout, e.g. before a change
            base = Path(args.baseline).resolve()
            in_base = ["env", "-C", str(base), f"PYTHONPATH={base}"]
            commands["baseline"] = lambda survey, out, ours=commands["classify predict"]: in_base + ours(survey, out)
        if not args.no_peers:
            for kind, name, suffix in (("fasttext", "fastText", "bin"), ("sklearn", "plain scikit-learn", "joblib")):
                peer_model = tmp / f"{kind}.{suffix}"
                run_measured(PEERS + ["train", kind, str(peer_model)])
                commands[name] = lambda survey, out, kind=kind, peer_model=peer_model: PEERS + [
                    "predict", kind, str(peer_model), str(survey), str(out), "--text-col", TEXT_COL,
                    "--jobs", str(args.jobs),
                ]  # fmt: skip
        datasets = {"synthetic": synthetic_comments, "realistic": realistic_comments}
        for data in datasets if args.data == "both" else (args.data,):
            survey = tmp / f"{data}.csv"
            rows, distinct = write_survey(survey, datasets[data](args.n))
            size = survey.stat().st_size / 1e6
            print(f"\n{data}: {rows:,} comments ({distinct / rows:.0%} distinct, {size:.0f} MB), {args.jobs} workers")
            seconds: dict[str, list[float]] = {name: [] for name in commands}
            names = list(commands)
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:  # a rotating order
                    s, _, _ = run_measured(commands[name](survey, tmp / "out.csv"), memory=False)
                    seconds[name].append(s)
            peaks = {name: run_measured(commands[name](survey, tmp / "out.csv"))[1] for name in names}
            ours = seconds["classify predict"]
            print("| program | comments/s (median) | classify predict / it (median of rounds) | peak memory MB |")
            print("|---|---:|---:|---:|")
            for name in names:
                ratio = statistics.median(p / o for o, p in zip(ours, seconds[name]))
                rate = rows / statistics.median(seconds[name])
                print(f"| {name} | {rate:,.0f} | {ratio:.2f}x | {peaks[name]:,.0f} |")
        print(f"({os.cpu_count()} cores; seconds per round: " + "; ".join(
            f"{name} {' '.join(f'{s:.1f}' for s in v)}" for name, v in seconds.items()) + ")")  # fmt: skip


if __name__ == "__main__":
    main()
