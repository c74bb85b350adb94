"""The HTML report is self-contained, escaped, has its charts, and renders to a non-blank page."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.analysis.drivers import analyze
from classifier.analysis.report import render_html
from classifier.model.model import ErrorRates

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"
ATTACK = "<script>alert(1)</script>"


def survey(n: int = 800, seed: int = 1) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """Synthetic answers where "slow" pulls scores down and "kind" pushes them up."""
    rng = np.random.default_rng(seed)
    labels = pd.DataFrame(
        {
            "slow": rng.random(n) < 0.25,
            "kind": rng.random(n) < 0.3,
            "bills": rng.random(n) < 0.1,
            "rare": rng.random(n) < 0.02,
        }
    ).astype(int)
    latent = 8 - 3 * labels["slow"] + 2 * labels["kind"] - labels["bills"] + rng.normal(0, 1.5, n)
    scores = latent.round().clip(0, 10).astype(float)
    channel = pd.Series(rng.choice(["Phone", "Chat", "Letter"], n, p=[0.6, 0.37, 0.03]))
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"))
    return labels, scores, channel, dates


@pytest.fixture(scope="module")
def full_report() -> str:
    labels, scores, channel, dates = survey()
    analysis = analyze(
        labels,
        scores,
        segments=channel,
        dates=dates,
        period="month",
        n_boot=200,
        display_names={"slow": "Wait time", "kind": "Friendly <b>agent</b> & co"},
        error_rates={"slow": ErrorRates(0.9, 0.95)},
    )
    examples = {"slow": ["Ventet i 40 minutter", ATTACK, "Väntade länge", "a fourth one"]}
    return render_html(analysis, examples, title="NPS drivers <2024>", subtitle="Test & check")


def test_report_is_self_contained(full_report):
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", full_report, re.IGNORECASE) is None
    assert "<script" not in full_report.lower()
    assert "url(" not in full_report and "@import" not in full_report
    assert "<link" not in full_report.lower()


def test_report_has_the_charts(full_report):
    for label in [
        "Impact on NPS per cause with intervals",
        "Promoters, passives and detractors per cause",
        "NPS per period",
        "Mentions of the top causes per period",
    ]:
        assert f'aria-label="{label}"' in full_report
    assert full_report.count("<svg") >= 4 + 1 + 4  # charts + headline bar + one bar per segment row


def test_every_svg_is_well_formed_xml(full_report):
    svgs = re.findall(r"<svg.*?</svg>", full_report, flags=re.DOTALL)
    assert len(svgs) >= 4 + 1 + 4  # the charts, the headline bar, a bar per segment row
    for svg in svgs:
        ElementTree.fromstring(svg)  # raises on unescaped text or broken tags


def test_comments_and_names_are_escaped(full_report):
    assert ATTACK not in full_report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full_report
    assert "Friendly &lt;b&gt;agent&lt;/b&gt; &amp; co" in full_report
    assert "NPS drivers &lt;2024&gt;" in full_report and "Test &amp; check" in full_report


def test_at_most_three_examples_per_cause(full_report):
    assert "Ventet i 40 minutter" in full_report
    assert "a fourth one" not in full_report


def test_report_sections(full_report):
    for heading in [
        "Key findings",
        "Impact on NPS per cause",
        "Trend per month",
        "Segments",
        "What customers say",
        "How to read this",
        "Corrected for tagging errors",
    ]:
        assert f"<h2>{heading}</h2>" in full_report
    assert "small sample" in full_report  # the Letter segment has fewer than 30 answers
    assert "Wait time" in full_report and "(low n)" in full_report


def test_optional_sections_are_left_out_when_not_asked_for():
    labels, scores, _, _ = survey(n=300)
    html = render_html(analyze(labels, scores, n_boot=50))
    assert "Trend per" not in html and "<h2>Segments</h2>" not in html
    assert "What customers say" not in html and "Corrected for tagging errors" not in html
    assert "Impact on NPS per cause with intervals" in html


# --------------------------------------------------------------------------- rendered page


def decode_png(path: Path) -> np.ndarray:
    """Pixels of an 8-bit, non-interlaced RGB/RGBA PNG (all five scanline filters)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    channels = 3 if colour_type == 2 else 4
    raw = np.frombuffer(zlib.decompress(compressed), np.uint8).reshape(height, width * channels + 1)
    pixels = np.zeros((height, width * channels), np.int64)
    above = np.zeros(width * channels, np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: running sum per channel
            row = line.reshape(-1, channels).cumsum(axis=0).ravel() % 256
        elif kind == 2:  # Up
            row = (line + above) % 256
        else:
            row = np.array(unfilter_average_or_paeth(kind, line.tolist(), above.tolist(), channels))
        pixels[y] = row
        above = row
    return pixels.reshape(height, width, channels).astype(np.uint8)


def unfilter_average_or_paeth(kind: int, line: list[int], above: list[int], channels: int) -> list[int]:
    row = [0] * len(line)
    for i, value in enumerate(line):
        left = row[i - channels] if i >= channels else 0
        up = above[i]
        if kind == 3:
            predictor = (left + up) // 2
        else:
            upper_left = above[i - channels] if i >= channels else 0
            guess = left + up - upper_left
            distances = (abs(guess - left), abs(guess - up), abs(guess - upper_left))
            predictor = (
                left if distances[0] <= min(distances[1:]) else up if distances[1] <= distances[2] else upper_left
            )
        row[i] = (value + predictor) & 255
    return row


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (apt-get install chromium)")
def test_report_renders_to_a_non_blank_png(full_report, tmp_path):
    page, picture = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(full_report, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), str(picture), "--width", "1000", "--height", "1400"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert str(picture) in result.stdout
    pixels = decode_png(picture)
    assert pixels.shape[:2] == (1400, 1000)
    colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) > 10
    # The page's own colours show up: the dark header and the detractor orange of the headline bar.
    assert (pixels[..., :3] == (0x1F, 0x29, 0x33)).all(axis=-1).any()
    assert (pixels[..., :3] == (0xD5, 0x5E, 0x00)).all(axis=-1).any()


# --------------------------------------------------------------------------- complaints, praise, watch, what changed


def polarity_survey(n: int = 600, seed: int = 3):
    """Wait-time complaints pull scores down and grow in March; praise of the agent pushes them up;
    18 answers mention a rare complaint, 15 of them detractors."""
    rng = np.random.default_rng(seed)
    dates = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"))
    march = (dates.dt.month == 3).to_numpy()
    labels = pd.DataFrame(
        {
            "wait:neg": rng.random(n) < np.where(march, 0.45, 0.15),
            "wait:pos": rng.random(n) < 0.15,
            "agent:pos": rng.random(n) < 0.3,
            "rare:neg": np.arange(n) < 18,
        }
    ).astype(int)
    latent = 8 - 4 * labels["wait:neg"] + 1.5 * labels["wait:pos"] + 2 * labels["agent:pos"] + rng.normal(0, 1.2, n)
    scores = latent.round().clip(0, 10).astype(float)
    scores[:15] = 1.0  # the rare complaint: 15 of its 18 answers are detractors
    channel = pd.Series(rng.choice(["Phone", "Chat"], n, p=[0.6, 0.4]))
    return labels, scores, channel, dates


@pytest.fixture(scope="module")
def polarity_analysis():
    labels, scores, channel, dates = polarity_survey()
    return analyze(
        labels,
        scores,
        segments=channel,
        dates=dates,
        period="month",
        n_boot=100,
        display_names={"wait": "Wait time", "agent": "Agent", "rare": "Rare <issue>"},
    )


@pytest.fixture(scope="module")
def polarity_report(polarity_analysis):
    examples = {item: [f"comment about {item}"] for item in polarity_analysis.table["item"]}
    return render_html(polarity_analysis, examples, title="Drivers", subtitle="Test")


def test_report_shows_complaints_and_praise_as_their_own_rows(polarity_report):
    assert "Wait time - complaints" in polarity_report and "Wait time - praise" in polarity_report
    assert "Complaint driver</span>" in polarity_report and "Strength</span>" in polarity_report


def test_report_watches_few_mentions_with_a_strong_signal(polarity_analysis, polarity_report):
    rare = polarity_analysis.table.set_index("item").loc["rare:neg"]
    assert rare["role"] == "watch" and rare["mentions"] == 18
    assert "Rare &lt;issue&gt; - complaints (low n)" not in polarity_report  # not greyed as low n
    assert "Watch Rare &lt;issue&gt; - complaints: only 18 mentions" in polarity_report
    assert 'style="background:#E69F00">Watch</span>' in polarity_report


def test_report_quotes_every_ranked_row_complaints_and_praise(polarity_analysis, polarity_report):
    for item in polarity_analysis.table.query("role != 'low n'")["item"]:
        assert f"comment about {item}" in polarity_report
    assert '<blockquote class="praise">comment about agent:pos</blockquote>' in polarity_report
    assert '<blockquote class="complaint">comment about wait:neg</blockquote>' in polarity_report


def test_report_leads_the_trend_with_what_changed(polarity_analysis, polarity_report):
    lead = re.search(r'<p class="lead">(.*?)</p>', polarity_report).group(1)
    assert lead.startswith("NPS fell") and "from February 2026 to March 2026" in lead
    assert "Wait time - complaints explains -" in lead
    assert "<h3>What changed from February 2026 to March 2026</h3>" in polarity_report


def test_report_segments_list_their_top_complaints(polarity_report):
    segments = polarity_report[polarity_report.index("<h2>Segments</h2>") :]
    segments = segments[: segments.index("</section>")]
    assert "&mdash;" not in segments
    assert segments.count("Wait time - complaints (-") == 3  # All, Phone, Chat


def test_report_header_has_the_date_range_and_plain_words_for_the_jargon(polarity_analysis, polarity_report):
    first, last = polarity_analysis.date_range
    assert f"Answers from {first.day} January 2026 to {last.day} March 2026" in polarity_report
    jargon = re.search(r'<p class="jargon">(.*?)</p>', polarity_report).group(1)
    assert "<b>Lift</b>: how many times" in jargon and "<b>Shared impact (Shapley)</b>:" in jargon
    assert "<b>q-value</b>:" in jargon


def test_trend_charts_put_each_month_at_the_same_place(polarity_report):
    nps_chart = re.search(r'<svg[^>]*aria-label="NPS per period".*?</svg>', polarity_report, re.S).group(0)
    mentions_chart = re.search(
        r'<svg[^>]*aria-label="Mentions of the top causes per period".*?</svg>', polarity_report, re.S
    ).group(0)

    def month_positions(svg: str) -> dict[str, str]:
        return dict((label, x) for x, label in re.findall(r'<text x="([\d.]+)"[^>]*class="tick">(2026-\d\d)<', svg))

    assert month_positions(nps_chart) == month_positions(mentions_chart)
    assert len(month_positions(nps_chart)) == 3


def test_report_in_norwegian_and_swedish(polarity_analysis):
    for lang, heading, praise in [
        ("nb", "Viktigste funn", "Hva kundene sier"),
        ("sv", "Viktigaste resultat", "Vad kunderna säger"),
    ]:
        html = render_html(polarity_analysis, {"agent:pos": ["Veldig hyggelig dame"]}, lang=lang)
        assert f'<html lang="{lang}">' in html and f"<h2>{heading}</h2>" in html and f"<h2>{praise}</h2>" in html
        assert "Key findings" not in html and "How to read this" not in html
    with pytest.raises(ValueError, match="lang"):
        render_html(polarity_analysis, lang="de")


def test_report_of_an_average_score():
    labels, scores, _, _ = polarity_survey(n=300)
    ratings = (scores / 2).round().clip(1, 5)
    html = render_html(analyze(labels, ratings, metric="mean", n_boot=50))
    assert '<span class="nps-label">Average score</span>' in html
    assert "The average score of all answers; low scores are 1-2, high scores 4-5." in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (apt-get install chromium)")
def test_polarity_report_renders_with_watch_and_strength_colours(polarity_report, tmp_path):
    page, picture = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(polarity_report, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), str(picture), "--width", "1000", "--height", "1800"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    pixels = decode_png(picture)[..., :3]

    def shows(colour: int) -> bool:
        rgb = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)
        return bool((pixels == rgb).all(axis=-1).any())

    # Complaint driver orange, strength green and the amber of the watched rare complaint, in the first screen.
    assert shows(0xD55E00) and shows(0x009E73) and shows(0xE69F00)


def test_forest_plot_legend_names_only_the_roles_shown(polarity_report, full_report):
    assert "<text" in polarity_report and 'class="legend">Watch</text>' in polarity_report
    assert 'class="legend">Watch</text>' not in full_report  # no cause to watch there
