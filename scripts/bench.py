"""Speed and memory of `classify predict` end to end, and of `classify train`.

    python scripts/bench.py                 # 200,000 synthetic comments
    python scripts/bench.py --n 1000000     # the memory check: flat as the input grows
    python scripts/bench.py --skip-train --jobs 1

Writes a synthetic survey export (`;`-separated, UTF-8 with BOM, a score column
with anchor labels, ~5% fresh words so spaCy's tokenizer cache does not flatter
us), runs the real command on it as a subprocess, and prints comments per
second and the peak resident memory of the whole process tree (the command and
its worker processes together, as PSS), sampled every 50 ms from /proc.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLASSIFY = [sys.executable, "-m", "classifier.cli"]

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


def synthetic_comment(rng: random.Random) -> str:
    parts = rng.sample(NB if rng.random() < 0.55 else SV, k=rng.choice((1, 1, 2, 3)))
    text = ", ".join(parts)
    if rng.random() < 0.3:
        text += f" {rng.randint(2, 90)} min"
    if rng.random() < 0.05:  # fresh vocabulary: a made-up word spaCy has not cached
        text += " " + "".join(rng.choice("abdefghiklmnoprstuvyæøå") for _ in range(rng.randint(5, 11)))
    return text.capitalize()


def write_survey(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write("Respons-ID;Dato;Hvor sannsynlig er det at du vil anbefale oss?;Kommentar\r\n")
        for i in range(n):
            score = rng.choice(("10 - Svært sannsynlig", "9", "8", "7", "6", "3", "0 - Svært lite sannsynlig"))
            fh.write(f"R-{i:07d};03.10.2026 14:22;{score};{synthetic_comment(rng)}\r\n")


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


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak memory (PSS of the process tree) in MB, and stderr of a command."""
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
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr}")
    return seconds, peak / 1024, stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="synthetic comments (default 200,000)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes for predict (0: automatic)")
    ap.add_argument("--skip-train", action="store_true", help="do not time `classify train`")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = tmp / "model"
        seconds, peak, _ = run_measured(CLASSIFY + ["train", "--out", str(model_dir)])
        if not args.skip_train:
            print(
                f"train: {seconds:.1f} s on the shipped training data (cross-validation included), "
                f"peak memory {peak:.0f} MB"
            )
        survey = tmp / "survey.csv"
        t = time.perf_counter()
        write_survey(survey, args.n)
        size = survey.stat().st_size / 1e6
        print(f"wrote {args.n:,} synthetic comments ({size:.0f} MB) in {time.perf_counter() - t:.1f} s")
        cmd = CLASSIFY + ["predict", str(survey), "--model", str(model_dir), "--out", str(tmp / "out.csv")]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        seconds, peak, _ = run_measured(cmd)
        print(
            f"predict end to end (read, mask, detect language, preprocess, predict, write): "
            f"{seconds:.1f} s = {args.n / seconds:,.0f} comments/s, peak memory {peak:.0f} MB "
            f"(all processes), {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
