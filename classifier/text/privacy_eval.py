"""Entity-level precision and recall of the personal-data masker (`classifier.text.privacy`).

`python scripts/eval_privacy.py` prints them for the labelled sets in tests/data.

The labelled file has the columns `text,entities`; `entities` lists the gold
identifiers of the comment as `type=substring`, joined with ` | ` (empty: the
comment has none, e.g. a row of amounts, dates and other look-alikes). Types are
the masker's kinds (email, fnr, pnr, phone, account, card, case); a few common
synonyms (dnr, iban, samordningsnummer, ...) are mapped onto them.

A predicted span is a true positive when it overlaps a gold span of the same type
(type-agnostic: of any type); a gold span is found when a predicted span of the
same type (any type) overlaps it. The script also counts gold spans that are not
covered completely ("partly leaked": some of their digits or letters stay in the
masked text), and prints every miss and false alarm.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .privacy import Span, find

KINDS = ("email", "fnr", "pnr", "phone", "account", "card", "case")

# Gold type names another labeller may use -> the masker's kinds.
TYPE_ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "epost": "email",
    "fodselsnummer": "fnr",
    "fødselsnummer": "fnr",
    "dnr": "fnr",
    "d-number": "fnr",
    "d_number": "fnr",
    "dnummer": "fnr",
    "d-nummer": "fnr",
    "personnummer": "pnr",
    "samordningsnummer": "pnr",
    "snr": "pnr",
    "coordination": "pnr",
    "tel": "phone",
    "telephone": "phone",
    "telefon": "phone",
    "mobile": "phone",
    "iban": "account",
    "bank": "account",
    "bank_account": "account",
    "konto": "account",
    "kontonummer": "account",
    "clearing": "account",
    "credit_card": "card",
    "kort": "card",
    "kortnummer": "card",
    "reference": "case",
    "ref": "case",
    "referanse": "case",
    "saksnummer": "case",
    "order": "case",
    "kid": "case",
    "ocr": "case",
    "customer": "case",
    "kundenummer": "case",
}


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    kind: str
    text: str


@dataclass
class Row:
    line: int
    text: str
    gold: list[Gold]


def normalise_type(name: str) -> str:
    name = name.strip().lower()
    return TYPE_ALIASES.get(name, name)


def parse_entities(text: str, cell: str, line: int) -> list[Gold]:
    """Gold spans of one row; a substring that occurs twice is matched left to right."""
    gold: list[Gold] = []
    if not cell or not cell.strip():
        return gold
    taken: list[tuple[int, int]] = []
    for part in cell.split(" | "):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"line {line}: entity {part!r} is not type=substring")
        kind, sub = part.split("=", 1)
        kind, sub = normalise_type(kind), sub.strip()
        start = _free_occurrence(text, sub, taken)
        if start < 0:
            raise ValueError(f"line {line}: {sub!r} is not in the text {text!r}")
        taken.append((start, start + len(sub)))
        gold.append(Gold(start, start + len(sub), kind, sub))
    return sorted(gold, key=lambda g: g.start)


def _free_occurrence(text: str, sub: str, taken: list[tuple[int, int]]) -> int:
    start = text.find(sub)
    while start >= 0 and any(s < start + len(sub) and start < e for s, e in taken):
        start = text.find(sub, start + 1)
    return start


def load_rows(paths: list[Path]) -> list[Row]:
    rows: list[Row] = []
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "text" not in reader.fieldnames or "entities" not in reader.fieldnames:
                raise ValueError(f"{path}: needs the columns text,entities (has {reader.fieldnames})")
            for rec in reader:
                text = rec["text"] or ""
                rows.append(Row(reader.line_num, text, parse_entities(text, rec["entities"] or "", reader.line_num)))
    return rows


def _overlaps(a, b) -> bool:
    return a.start < b.end and b.start < a.end


def _covered(g: Gold, spans: list[Span]) -> bool:
    """Every letter and digit of the gold span lies inside some predicted span."""
    return all(any(s.start <= i < s.end for s in spans) for i in range(g.start, g.end) if g.text[i - g.start].isalnum())


def evaluate(rows: list[Row], finder=find) -> dict:
    """Counts and scores; `finder(text) -> list[Span]` is the masker under test."""
    c: Counter = Counter()
    misses, false_alarms, wrong_type, partial = [], [], [], []
    for row in rows:
        spans = finder(row.text)
        for s in spans:
            c[("pred", s.kind)] += 1
            same = any(_overlaps(s, g) and g.kind == s.kind for g in row.gold)
            anyk = any(_overlaps(s, g) for g in row.gold)
            c[("tp_pred", s.kind)] += same
            c["tp_pred_any"] += anyk
            if not anyk:
                false_alarms.append((row, s))
        for g in row.gold:
            c[("gold", g.kind)] += 1
            same = any(_overlaps(s, g) and s.kind == g.kind for s in spans)
            anyk = any(_overlaps(s, g) for s in spans)
            c[("tp_gold", g.kind)] += same
            c["tp_gold_any"] += anyk
            if not anyk:
                misses.append((row, g))
            elif not same:
                wrong_type.append((row, g, [s for s in spans if _overlaps(s, g)]))
            if anyk and not _covered(g, spans):
                partial.append((row, g, [s for s in spans if _overlaps(s, g)]))
    kinds = sorted(
        {k for (tag, k) in (x for x in c if isinstance(x, tuple))},
        key=lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), k),
    )
    per_type = {}
    for k in kinds:
        per_type[k] = _scores(c[("tp_pred", k)], c[("pred", k)], c[("tp_gold", k)], c[("gold", k)])
    pred = sum(c[("pred", k)] for k in kinds)
    gold = sum(c[("gold", k)] for k in kinds)
    overall = _scores(sum(c[("tp_pred", k)] for k in kinds), pred, sum(c[("tp_gold", k)] for k in kinds), gold)
    agnostic = _scores(c["tp_pred_any"], pred, c["tp_gold_any"], gold)
    return {
        "rows": len(rows),
        "rows_without_identifiers": sum(not r.gold for r in rows),
        "overall": overall,
        "type_agnostic": agnostic,
        "per_type": per_type,
        "misses": misses,
        "false_alarms": false_alarms,
        "wrong_type": wrong_type,
        "partly_leaked": partial,
    }


def _scores(tp_pred: int, pred: int, tp_gold: int, gold: int) -> dict:
    p = tp_pred / pred if pred else 1.0
    r = tp_gold / gold if gold else 1.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "predicted": pred,
        "gold": gold,
        "tp_pred": tp_pred,
        "tp_gold": tp_gold,
    }


def format_result(res: dict, quiet: bool = False) -> str:
    out = [
        f"{res['rows']} comments, {res['rows_without_identifiers']} without identifiers",
        "",
        f"{'type':14s} {'prec':>6s} {'recall':>6s} {'F1':>6s} {'gold':>5s} {'pred':>5s}",
    ]
    for name, s in [*res["per_type"].items(), ("overall", res["overall"]), ("type-agnostic", res["type_agnostic"])]:
        out.append(
            f"{name:14s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['gold']:5d} {s['predicted']:5d}"
        )
    out.append(f"\npartly leaked (found, but some characters stay unmasked): {len(res['partly_leaked'])}")
    if quiet:
        return "\n".join(out)
    out.append(f"\nMISSES ({len(res['misses'])}): gold identifiers no predicted span touches")
    for row, g in res["misses"]:
        out.append(f"  line {row.line:4d} {g.kind:8s} {g.text!r:32s} in {row.text!r}")
    out.append(f"\nFALSE ALARMS ({len(res['false_alarms'])}): predicted spans touching no gold identifier")
    for row, s in res["false_alarms"]:
        out.append(f"  line {row.line:4d} {s.kind:8s} {s.text!r:32s} in {row.text!r}")
    out.append(f"\nWRONG TYPE ({len(res['wrong_type'])}): masked, but as another type")
    for row, g, spans in res["wrong_type"]:
        got = ", ".join(f"{s.kind}={s.text!r}" for s in spans)
        out.append(f"  line {row.line:4d} {g.kind:8s} {g.text!r:32s} got {got}")
    out.append(f"\nPARTLY LEAKED ({len(res['partly_leaked'])})")
    for row, g, spans in res["partly_leaked"]:
        got = ", ".join(f"{s.kind}={s.text!r}" for s in spans)
        out.append(f"  line {row.line:4d} {g.kind:8s} {g.text!r:32s} got {got}")
    return "\n".join(out)
