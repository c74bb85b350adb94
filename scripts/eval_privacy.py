"""Entity-level precision and recall of the personal-data masker on labelled comments.

    python scripts/eval_privacy.py [--data tests/data/privacy_eval.csv] [--data more.csv] [--quiet]

The file format and the scoring rules are described in classifier/text/privacy_eval.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from classifier.text.privacy_eval import evaluate, format_result, load_rows

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "tests" / "data" / "privacy_eval.csv"
FALLBACK_DATA = ROOT / "tests" / "data" / "privacy_eval_extra.csv"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        action="append",
        type=Path,
        help=f"labelled CSV (text,entities); repeatable; default {DEFAULT_DATA.relative_to(ROOT)} "
        f"or, when missing, {FALLBACK_DATA.relative_to(ROOT)}",
    )
    ap.add_argument("--quiet", action="store_true", help="only the table")
    args = ap.parse_args(argv)
    paths = args.data or [DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA]
    for p in paths:
        if not p.exists():
            print(f"error: {p}: no such file", file=sys.stderr)
            return 2
    try:
        rows = load_rows(paths)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("data: " + ", ".join(str(p) for p in paths))
    print(format_result(evaluate(rows), quiet=args.quiet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
