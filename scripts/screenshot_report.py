"""Render an HTML report to a PNG with headless Chromium, to check how it looks.

Usage: python scripts/screenshot_report.py REPORT.html OUT.png [--width 1280] [--height 4000]

Needs Chromium (Debian: apt-get install chromium). The page is opened from disk with
networking features switched off and a throw-away profile, so nothing is fetched or kept.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(report: Path, out: Path, width: int = 1280, height: int = 4000, timeout: float = 120) -> Path:
    browser = find_browser()
    if browser is None:
        raise RuntimeError("Chromium not found (Debian: apt-get install chromium)")
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix="report-shot-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            report.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"no such file: {args.report}")
    try:
        path = screenshot(args.report, args.out, args.width, args.height)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
