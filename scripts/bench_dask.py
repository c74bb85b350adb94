"""Throughput of `classify predict DATASET --dask local:N` with 1 and 2 local workers.

    python scripts/bench_dask.py                  # 100,000 synthetic comments in 4 CSV files
    python scripts/bench_dask.py --n 400000 --workers 1 2 4

Writes the synthetic survey export of scripts/bench.py, split into `--files` CSV
files (a DATASET folder), then runs the real command once per worker count and
prints what it reports: rows per second while the cluster reads, tags and writes
(the cluster's start and the model's trip to the workers are not in it; each
worker's first comments, which load its language detector, are).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CLASSIFY, write_survey


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="synthetic comments (default 100,000)")
    ap.add_argument("--files", type=int, default=4, help="CSV files in the dataset (default 4)")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts to time (default 1 2)")
    ap.add_argument("--model", default=None, help="model name or folder (default: the default model)")
    ap.add_argument("--plain", action="store_true", help="also time a plain `classify predict --jobs 1` (wall clock)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "dataset"
        dataset.mkdir()
        per_file = args.n // args.files
        for k in range(args.files):
            write_survey(dataset / f"part{k}.csv", per_file, seed=k)
        print(f"{per_file * args.files} comments in {args.files} CSV files")
        for workers in args.workers:
            out = Path(tmp) / f"out{workers}"
            cmd = [*CLASSIFY, "predict", str(dataset), "--dask", f"local:{workers}", "--out-dir", str(out)]
            if args.model:
                cmd += ["--model", args.model]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            line = next(line for line in done.stdout.splitlines() if line.startswith("Wrote"))
            rate = re.search(r"([\d.]+) s, (\d+) rows/s", line)
            assert rate, line
            print(f"{workers} worker(s): {rate.group(2)} rows/s ({rate.group(1)} s)")
        if args.plain:
            cmd = [*CLASSIFY, "predict", str(dataset), "--jobs", "1", "--out-dir", str(Path(tmp) / "plain")]
            cmd += ["--format", "parquet"] + (["--model", args.model] if args.model else [])
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, text=True, check=True)
            seconds = time.perf_counter() - start
            n = per_file * args.files
            print(f"plain --jobs 1: {n / seconds:.0f} rows/s ({seconds:.1f} s, start-up and model load included)")


if __name__ == "__main__":
    main()
