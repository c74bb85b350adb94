"""Find and mask personal identifiers in Norwegian and Swedish comments.

Masking runs before anything is learnt or written, so no model vocabulary and no
report ever holds an identifier. National ID numbers, account and card numbers
are only masked when their check digits are right, which keeps amounts, dates,
order numbers and quantities readable; case and reference numbers are found by
the word in front of them ("saksnr", "ärendenummer", "OCR", ...).

>>> mask("Ring meg på 912 34 567 eller kari@example.no, fnr 01019012384")
'Ring meg på <phone> eller <email>, fnr <fnr>'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PLACEHOLDERS = ("<email>", "<fnr>", "<pnr>", "<phone>", "<account>", "<card>", "<case>")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str      # email, fnr, pnr, phone, account, card, case
    text: str


# ----------------------------------------------------------------- check digits

def fnr_valid(digits: str) -> bool:
    """Norwegian fødselsnummer or D-number: a real date and both mod-11 check digits."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    k1 = 11 - sum(w * x for w, x in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), d)) % 11
    k1 = 0 if k1 == 11 else k1
    k2 = 11 - sum(w * x for w, x in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), d[:9] + [k1])) % 11
    k2 = 0 if k2 == 11 else k2
    if k1 == 10 or k2 == 10 or d[9] != k1 or d[10] != k2:
        return False
    day, month = int(digits[0:2]), int(digits[2:4])
    if day > 40:                       # D-number: day + 40
        day -= 40
    if month > 40:                     # H-number and synthetic test numbers: month + 40 / + 80
        month = month - 80 if month > 80 else month - 40
    return _real_day(day, month)


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def pnr_valid(digits: str) -> bool:
    """Swedish personnummer or samordningsnummer (day + 60), 10 or 12 digits, Luhn-checked."""
    if len(digits) == 12:
        if digits[:2] not in ("18", "19", "20"):
            return False
        digits = digits[2:]
    if len(digits) != 10 or not luhn_valid(digits):
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 60:
        day -= 60
    return _real_day(day, month)


def no_account_valid(digits: str) -> bool:
    """Norwegian 11-digit bank account number (mod-11 with weights 5,4,3,2,7,6,5,4,3,2)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(w * int(c) for w, c in zip(weights, digits)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(digits[10])


def iban_valid(text: str) -> bool:
    iban = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _real_day(day: int, month: int) -> bool:
    try:
        date(2000, month, day)         # 2000 is a leap year, so 29 February passes
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------- detectors

_D = r"(?<![\w.,])"                     # not glued to a word, decimal or another number
_E = r"(?![\w]|[.,]\d)"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_IBAN_START = re.compile(r"\b([A-Z]{2})\d{2}(?=[ ]?[A-Z0-9])")
IBAN_LENGTHS = {"NO": 15, "SE": 24, "DK": 18, "FI": 18, "DE": 22, "GB": 22, "NL": 18, "FR": 27,
                "ES": 24, "PL": 28, "IS": 26, "EE": 20, "LT": 20, "LV": 21}
_CARD = re.compile(_D + r"\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}" + _E)
_PNR = re.compile(_D + r"(?:(?:18|19|20)\d{6}|\d{6})[-+ ]?\d{4}" + _E)
_FNR = re.compile(_D + r"\d{6}[ ]?\d{5}" + _E)
_NO_ACCOUNT = re.compile(_D + r"\d{4}[. ]?\d{2}[. ]?\d{5}" + _E)
_CONTEXT_ACCOUNT = re.compile(
    r"(?i)\b(?:konto(?:nummer|nr)?|kontonr\.?|bankkonto|clearing(?:nummer|nr)?|account(?: number)?)"
    r"\s*(?:nr\.?|nummer)?\s*[:.#]?\s*"
    r"(\d{4,5}(?:-\d)?(?:,\s?|[ -])?\d(?:[ -]?\d){4,13})" + _E)
_PHONE = re.compile(
    _D + r"(?:"
    r"(?:\+|00)4[67][ -]?(?:\(0\))?[ -]?\d{1,3}(?:[ -]?\d{2,3}){2,4}"      # +47 / +46 / 0047 / 0046
    r"|0\d{1,3}-?[ ]?\d{2,3}(?:[ ]?\d{2,3}){1,3}"                       # Swedish 070-123 45 67
    r"|[2-9]\d{2}[ ]?\d{2}[ ]?\d{3}"                                     # Norwegian 912 34 567
    r"|[2-9]\d[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}"                               # Norwegian 41 23 45 67
    r")" + _E)
_CASE = re.compile(
    r"(?i)\b(?:saks?(?:nr|nummer|\.?\s?nr)|sak|referanse(?:nummer|nr)?|referens(?:nummer|nr)?|ref"
    r"|kunde(?:nr|nummer)|kund(?:nr|nummer)|faktura(?:nr|nummer)|ordre(?:nr|nummer)|order(?:nr|nummer)?"
    r"|ärende(?:nr|nummer)?|arende(?:nr|nummer)?|avtale(?:nr|nummer)|avtals(?:nr|nummer)|ocr(?:-?nummer|-?nr)?"
    r"|kid(?:-?nummer|-?nr)?|ticket|case|polise(?:nr|nummer)|försäkrings(?:nr|nummer)|skade(?:nr|nummer))"
    r"\.?\s*(?:nr\.?|nummer|no\.?|id)?\s*[:.#]?\s*"
    r"([A-Z]{0,4}-?\d[\dA-Z]*(?:[-/ ]\d[\dA-Z]*)*)", re.UNICODE)


# Every identifier has an "@" or at least three digits close together: a cheap first test.
_MAYBE_IDENTIFIER = re.compile(r"@|\d[\s./-]?\d[\s./-]?\d")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def find(text: str) -> list[Span]:
    """Every identifier in `text`, left to right, without overlaps.

    Detectors run from the most to the least specific; a later detector never
    takes characters an earlier one already took.
    """
    if not text or not _MAYBE_IDENTIFIER.search(text):
        return []
    spans: list[Span] = []

    def take(start: int, end: int, kind: str) -> None:
        if any(s.start < end and start < s.end for s in spans):
            return
        spans.append(Span(start, end, kind, text[start:end]))

    for m in _EMAIL.finditer(text):
        take(m.start(), m.end(), "email")
    for m in _IBAN_START.finditer(text):
        end = _iban_end(text, m.start(), IBAN_LENGTHS.get(m.group(1), 0))
        if end and iban_valid(text[m.start():end]):
            take(m.start(), end, "account")
    for m in _CONTEXT_ACCOUNT.finditer(text):
        take(m.start(1), m.end(1), "account")
    for m in _PNR.finditer(text):
        if pnr_valid(_digits(m.group())):
            take(m.start(), m.end(), "pnr")
    for m in _FNR.finditer(text):
        if fnr_valid(_digits(m.group())):
            take(m.start(), m.end(), "fnr")
    for m in _NO_ACCOUNT.finditer(text):
        if no_account_valid(_digits(m.group())):
            take(m.start(), m.end(), "account")
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            take(m.start(), m.end(), "card")
    for m in _CASE.finditer(text):
        if sum(c.isdigit() for c in m.group(1)) >= 3:
            take(m.start(1), _trim_end(text, m.start(1), m.end(1)), "case")
    for m in _PHONE.finditer(text):
        if 8 <= len(_digits(m.group())) <= 13:
            take(m.start(), m.end(), "phone")
    return sorted(spans, key=lambda s: s.start)


def _iban_end(text: str, start: int, length: int) -> int:
    """Where an IBAN of `length` characters (spaces not counted) starting at `start` ends."""
    count, i = 0, start
    while i < len(text) and count < length:
        if text[i].isalnum():
            count += 1
        elif text[i] != " ":
            break
        i += 1
    at_boundary = i == len(text) or not text[i].isalnum()
    return i if count == length and at_boundary else 0


def _trim_end(text: str, start: int, end: int) -> int:
    """Case numbers end at their last digit or letter, not at a trailing space or dash."""
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return end


def mask(text: str) -> str:
    """`text` with every identifier replaced by its placeholder (`<fnr>`, `<phone>`, ...)."""
    spans = find(text)
    for s in reversed(spans):
        text = text[:s.start] + f"<{s.kind}>" + text[s.end:]
    return text


def mask_many(texts) -> list[str]:
    return [mask(t) if isinstance(t, str) else t for t in texts]
