"""Find and mask personal identifiers in Norwegian and Swedish comments.

Masking runs before anything is learnt or written, so no model vocabulary and no
report ever holds an identifier. What is found, and how (docs/privacy.md has the
details and the measured precision and recall):

* e-mail addresses, by their form, also spaced ("kari . moen @ gmail . com"),
  fullwidth ("kari＠gmail.com") or spelled out ("kari at gmail dot com", "(at)");
* Norwegian fødselsnummer and D-numbers (both mod-11 check digits and a real
  date), Swedish personnummer and samordningsnummer (Luhn and a real date, 10 or
  12 digits, with or without `-`/`+`);
* bank accounts: Norwegian 11-digit numbers (mod-11), Swedish clearing + account
  numbers (each bank's check-digit rule), IBANs (mod-97); card numbers (Luhn);
* phone numbers: +47/+46/0047/0046 and the Norwegian and Swedish national formats;
* case and reference numbers, by the word in front of them ("saksnr",
  "ärendenummer", "kundenr", "OCR", "KID", ...).

The text is matched in a normalised form (no-break and thin spaces as spaces, en
and em dashes as "-", fullwidth characters as ASCII, "070 - 123" as "070-123"),
and what is found is mapped back onto the original characters, so the mask covers
every digit however the number was typed.

Look-alike numbers stay: an amount, a date, a time or a count has no valid check
digits, or the wrong form, or "kr"/"%" behind it; opening hours ("0800-1600") and
compact dates ("15032024") are not phone numbers. After an explicit word
("fødselsnummer", "kontonummer", "tlf", ...) a number of the right form is masked
as that type even when a check digit is off, since a mistyped identifier still
identifies.

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
    kind: str  # email, fnr, pnr, phone, account, card, case
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
    return _fnr_date_ok(digits)


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
    return _pnr_date_ok(digits)


def no_account_valid(digits: str) -> bool:
    """Norwegian 11-digit bank account number (mod-11 with weights 5,4,3,2,7,6,5,4,3,2)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(w * int(c) for w, c in zip(weights, digits)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(digits[10])


def se_account_valid(clearing: str, account: str) -> bool:
    """Swedish clearing number (4 digits, or Swedbank's 5 with a Luhn digit) and account number.

    The check-digit rule depends on the bank, i.e. the clearing range (Bankgirot,
    "Bankernas kontonummeruppbyggnad"): Swedbank 8xxx, Plusgirot and Sparbanken Syd
    use Luhn over the account; Handelsbanken 6xxx mod-11 over a 9-digit account;
    Nordea personkonto (3300, 3782) and Danske Bank 9180-9189 Luhn over 10 digits;
    every other bank a 7-digit account with mod-11 over the clearing's last three
    (or all four) digits and the account.
    """
    clearing, account = _digits(clearing), _digits(account)
    if len(clearing) not in (4, 5) or clearing[0] == "0" or not account:
        return False
    if len(clearing) == 5 and not (clearing[0] == "8" and luhn_valid(clearing)):
        return False
    c = int(clearing[:4])
    if 8000 <= c <= 8999 or 9500 <= c <= 9549 or 9960 <= c <= 9969 or 9570 <= c <= 9579:
        return 6 <= len(account) <= 10 and luhn_valid(account)
    if 6000 <= c <= 6999:
        return len(account) == 9 and _mod11(account)
    if c in (3300, 3782) or 9180 <= c <= 9189:
        return len(account) == 10 and luhn_valid(account)
    return len(account) == 7 and (_mod11(clearing[1:] + account) or _mod11(clearing + account))


def iban_valid(text: str) -> bool:
    iban = re.sub(r"[\s-]", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _mod11(digits: str) -> bool:
    """Weights 1, 2, ..., 10, 1, 2, ... from the right; the weighted sum divides by 11."""
    return sum(int(c) * (i % 10 + 1) for i, c in enumerate(reversed(digits))) % 11 == 0


def _fnr_date_ok(digits: str) -> bool:
    day, month = int(digits[0:2]), int(digits[2:4])
    if day > 40:  # D-number: day + 40
        day -= 40
    if month > 40:  # H-number and synthetic test numbers: month + 40 / + 80
        month = month - 80 if month > 80 else month - 40
    return _real_day(day, month)


def _pnr_date_ok(digits: str) -> bool:
    digits = digits[-10:]
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    return _real_day(day, month)


def _real_day(day: int, month: int) -> bool:
    try:
        date(2000, month, day)  # 2000 is a leap year, so 29 February passes
    except ValueError:
        return False
    return True


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# ----------------------------------------------------------------- normalising

# People type identifiers with whatever their keyboard or phone gives them: no-break
# and thin spaces, en and em dashes, fullwidth characters from an Asian input method,
# invisible zero-width characters. The patterns below are written for plain ASCII
# spaces and "-", so the text is first rewritten into that form (the "view"), and
# every span found in the view is mapped back to the same characters of the original.
_SPACE_CHARS = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_DASH_CHARS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_ONE_FOR_ONE: dict[int, str] = {
    **{ord(c): " " for c in _SPACE_CHARS},
    **{ord(c): "-" for c in _DASH_CHARS},
    **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},  # fullwidth ASCII: ＠ ０ Ａ ．
    ord("\ufe6b"): "@",  # small commercial at
}
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_UNUSUAL = re.compile(f"[{_SPACE_CHARS}{_DASH_CHARS}{_INVISIBLE_CHARS}\ufe6b\uff01-\uff5e]")
# "070 - 123 45 67", "19850312 - 2734": a dash between digits with spaces around it
_SPACED_DASH = re.compile(r"(?<=\d)( *)-( *)(?=\d)")
_SPACED_DASH_ONLY = re.compile(r"\d(?: -|- )")  # a cheap test that _SPACED_DASH removes anything


@dataclass(frozen=True)
class _View:
    """`text` rewritten for the patterns; `origin[i]` is the original index of text[i]
    (None: the same index, nothing was removed)."""

    text: str
    origin: list[int] | None = None

    def start(self, i: int) -> int:
        return i if self.origin is None else self.origin[i]

    def end(self, i: int) -> int:
        return i if self.origin is None else self.origin[i - 1] + 1

    def without(self, pattern: re.Pattern) -> _View:
        """The view with every match of `pattern` (or, when it has groups, of its groups)
        taken out, keeping the origins."""
        keep = list(range(len(self.text)))
        for m in reversed(list(pattern.finditer(self.text))):
            for g in reversed(range(1, pattern.groups + 1)) if pattern.groups else [0]:
                del keep[m.start(g) : m.end(g)]
        origin = keep if self.origin is None else [self.origin[i] for i in keep]
        return _View("".join(self.text[i] for i in keep), origin)


def _views(text: str) -> list[_View]:
    """The normalised text, and a second view with the spaces around dashes between
    digits removed when it has any (kept apart: "91234567 - 98765432" is two numbers)."""
    view = _View(text)
    if not text.isascii() and _UNUSUAL.search(text):  # most comments have no such character
        view = _View(text.translate(_ONE_FOR_ONE))
        if _INVISIBLE.search(view.text):
            view = view.without(_INVISIBLE)
    if _SPACED_DASH_ONLY.search(view.text):
        return [view, view.without(_SPACED_DASH)]
    return [view]


# ----------------------------------------------------------------- patterns
# They run on the normalised view: plain spaces, "-" for every dash, ASCII letters and digits.

# Where a number may start: not glued to a word, a decimal or another number ("tlf.912 34 567"
# is fine). The lookahead first is only for speed: it rejects most positions in one step.
_D = r"(?=[\d+(])(?<![\w,+-])(?<!\d\.)"
_DL = r"(?=\d)(?<![\d_,+-])(?<!\d\.)"  # the same, but a word may be glued in front: "fnr03117211850"
_E = r"(?![\w]|[.,-]\d)"

# E-mail addresses, also as people write them to dodge spam filters or by habit:
# "kari (at) firma.no", "kari . moen @ gmail . com", "geir dot solheim at gmail dot com",
# "jonas punkt berg snabel-a icloud punkt com". A word for "." asks for a known top-level
# domain after it, so "punkt" in a sentence does not start an address.
_TLDS = r"(?:com|no|se|net|org|nu|dk|fi|is|de|eu|uk|io|info|biz|co|me|online)"
_DOT_WORD = r"(?:dot|punkt|punktum|prikk)"
_AT_WORD = r"(?:at|snabel-?a|krøllalfa)"
_DOT = rf"(?:\.| \. |\s*[(\[{{<] ?(?:{_DOT_WORD}|\.) ?[)\]}}>]\s*|\s+{_DOT_WORD}\s+)"
_EMAIL = re.compile(
    rf"(?i)(?<![\w.+-])(?P<local>[\w+-]+(?:{_DOT}[\w+-]+)*)"
    rf"(?P<at> {{0,2}}@ {{0,2}}|\s*[(\[{{<] ?(?:{_AT_WORD}|a|@) ?[)\]}}>]\s*|\s+{_AT_WORD}\s+)"
    rf"[\w-]+(?:{_DOT}[\w-]+)*(?:\.[a-z]{{2,}}|{_DOT}{_TLDS}| ?\. ?{_TLDS})\b"
)
# Norwegian "at" means "that": "jeg synes at finn.no er bedre" is no address. These
# words stand before "at" in a sentence; a name before "at" in an address does not.
_AT_MEANS_THAT_WORDS = (
    "mener synes syns syntes tror trodde sa sier sagt vet visste håper håpet betyr viser skriver skrev gjør "
    "gjorde slik så for fordi etter uten ved med på om til enn og men er var mente lovet lovte oppdaget merket "
    "forstår skjønner føler beskjed klar glad lei sikker mulig viktig rart synd dumt greit bra hevder påstår "
    "opplyste opplyser informerte ser hørte fikk bekreftet bekrefter sikre sørg passe tenkte tenker kan skal "
    "vil må bør det dette står sto stod nevnte nevner svarte svarer forklarte forklarer glemte antar regner husker "
    "påsto påstod melder meldte sjekket varslet tydelig klart sant riktig feil sikkert viste vist fant finner "
    "inntrykk følelse look looked is was are am be been"
)
_AT_MEANS_THAT = frozenset(_AT_MEANS_THAT_WORDS.split())
_IBAN_START = re.compile(r"\b([A-Za-z]{2})\d{2}(?=[ -]?[A-Za-z0-9])")  # "no55 8601 4233 107" too
IBAN_LENGTHS = {
    "NO": 15,
    "SE": 24,
    "DK": 18,
    "FI": 18,
    "DE": 22,
    "GB": 22,
    "NL": 18,
    "FR": 27,
    "ES": 24,
    "PL": 28,
    "IS": 26,
    "EE": 20,
    "LT": 20,
    "LV": 21,
}

# Numbers checked by their check digits, found wherever they are.
# ID and card numbers have strong checks, so they are read even glued to a word in front.
_PNR = re.compile(_DL + r"(?:(?:18|19|20)\d{6}|\d{6})[-+ ]?\d{4}" + _E)
_FNR = re.compile(_DL + r"(?:\d{6}|\d\d\.\d\d\.\d\d)[ -]?\d{5}" + _E)  # 040668 13385, 04.06.68 13385
_NO_ACCOUNT = re.compile(_D + r"\d{4}([. -]?)\d{2}\1\d{5}" + _E)
_SE_ACCOUNT = re.compile(  # 8327-9, 94 125 601-8 / 6000-418273642
    _D
    + r"(?P<clearing>[1-9]\d{3}(?:-\d(?=[, ])|\d(?=,))?)(?P<sep>,\s?|\s|-)(?P<account>\d(?:[ ]?\d){5,9}(?:-\d)?)"
    + _E
)
# groups of four with one separator throughout (not "23012012-19900210", two dates), or Amex 4-6-5
_CARD = re.compile(_DL + r"(?:\d{4}(?P<sep>[ .-]?)\d{4}(?P=sep)\d{4}(?P=sep)\d{1,7}|\d{4}[ .-]?\d{6}[ .-]?\d{5})" + _E)

# Phone numbers, by their form only (8 digits in Norway, 8-10 with the leading 0 in Sweden).
_PHONE_FORMS = (
    r"(?:"
    r"(?:\+|00|\(\+)47\)?[ -]?(?:\d[ .-]?){7}\d"  # +47 912 34 567, (+47) 912 34 567
    r"|(?:\+|00|\(\+)46\)?[ -]?(?:\(0\)[ -]?)?[1-9](?:[ .-]?\d){6,8}"  # +46 70-123 45 67
    # 070-123 45 67, 08-123 456 78, 070 123-45-67 (one separator after the area code), 070.123.45.67
    r"|0[1-9]\d{0,2}[ -]?\d{2,3}(?P<sepse>[ -]?)\d{2,3}(?:(?P=sepse)\d{2,3}){0,2}"
    r"|0[1-9]\d{0,2}\.\d{2,3}(?:\.\d{2,3}){1,3}"
    # 912 34 567, 912.34.567, 91 23 45 67, 91-23-45-67 (one separator throughout), 9123 4567
    r"|[2-9]\d{2}(?P<sep323>[ .-]?)\d{2}(?P=sep323)\d{3}"
    r"|[2-9]\d(?P<sep2222>[ .-]?)\d{2}(?P=sep2222)\d{2}(?P=sep2222)\d{2}"
    r"|[2-9]\d{3}[ ]?\d{4}"
    r")"
)
_PHONE = re.compile(_D + _PHONE_FORMS + _E)

# Words that say what the number after them is. A word may end in a definite
# suffix ("saksnummeret", "kontot"); small words may stand between it and the
# number ("kundenummer er 1100478823", "Saksnr.: 88120-44", "ärende nr 12345"), or
# none at all: a number glued to its word ("fnr03117211850", "tlf91234567") counts.
_SUFFIX = r"(?:et|en|ene|a|n|t|ets|ens)?"
# ("ordre nr12345"; the "no" of "NO-2033871" is part of the number)
_FILLER = r"(?i:\s*(?:[:#=.(]|nr\.?(?=\d)|(?:nr|no|nummer|id|mitt|min|mi|vårt|vår|er|är|is|var|lyder)\b(?!-)\.?))*\s*"


def _inflected(word: str) -> str:
    # "nummer" stands for its inflections too: "saksnumre", "personnumret", "ärendenumren"
    return word.replace("nummer", "num(?:mer|re|ret)")


def _keywords(*words: str) -> str:
    return r"(?i:\b(?:" + "|".join(map(_inflected, words)) + r")" + _SUFFIX + r")(?![^\W\d])"  # a digit may follow


class _AfterKeyword:
    r"""A number after one of its keywords: `keywords`, small filler words, then the `number` pattern.

    Scanning a comment for dozens of keywords with a regex is slow, and many comments with
    digits name none of them. So `finditer` first asks whether the
    comment's lower case holds a text every keyword match must hold ("sak" for
    `\w*saks?...`, see `required_texts`), which takes a microsecond, and scans
    with the regex only then: the matches are the same, found sooner (the tests check
    it on the labelled privacy sets).
    """

    def __init__(self, keywords: tuple[str, ...], number: str):
        self.regex = re.compile(_keywords(*keywords) + _FILLER + number)
        hints = {text for word in keywords for text in required_texts(_inflected(word))}
        # "kund" is in every comment that holds "kunde": the shorter one is enough
        self.hints = tuple(sorted(h for h in hints if not any(o != h and o in h for o in hints)))

    def finditer(self, text: str, lowered: str):
        """The regex's matches in `text`; `lowered` is `hint_text(text)`."""
        return self.regex.finditer(text) if any(h in lowered for h in self.hints) else iter(())


def hint_text(text: str) -> str:
    """`text` in lower case as the regexes' case-insensitive matching sees it.

    `str.lower` and `re.IGNORECASE` differ in three letters: "İ" lowers to "i" and a
    combining dot, and "ı" and "ſ" match "i" and "s" though they lower to themselves.
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return lowered.replace("\u0307", "").replace("ı", "i").replace("ſ", "s")


def required_texts(word: str) -> tuple[str, ...]:
    r"""Lower-case texts one of which is in every match of the keyword regex `word`.

    The longest run of letters the regex must match one after the other
    ("sak" in `\w*saks?(?:nr|nummer)?`, "num" in `d-?num(?:mer|re|ret)`), or, for a
    regex that starts with a group of plain words, those words. A keyword regex with
    neither is refused: a keyword must give a cheap test.
    """
    runs, run, i = [], "", 0
    leading: tuple[str, ...] = ()
    while i < len(word):
        c = word[i]
        if c == "\\" and word[i + 1] not in "wWsSdDbB":  # an escaped character: "\." is a "."
            item, end = word[i + 1], i + 2
        elif c == "|":
            raise ValueError(f"the keyword regex {word!r} has alternatives outside a group")
        elif c == "\\" or c in "[(.^$":  # a class, a group or any character: no letter to require
            item, end = None, _item_end(word, i)
        else:
            item, end = c, i + 1
        quantifier = word[end] if end < len(word) else ""
        if i == 0 and c == "(" and quantifier not in ("?", "*", "{"):  # a group every match starts with
            leading = _plain_alternatives(word[1:end])
        if item is not None and quantifier not in ("?", "*", "{"):
            run += item
        else:
            runs.append(run)
            run = ""
        if quantifier in ("?", "*", "+", "{"):
            end = word.index("}", end) + 1 if quantifier == "{" else end + 1
            end += word.startswith("?", end)  # a lazy quantifier
            if quantifier == "+" and item is not None:
                runs.append(run)
                run = ""
        i = end
    runs.append(run)
    longest = max(runs, key=len)
    if len(longest) >= 2:
        return (longest.lower(),)
    if leading:
        return leading
    raise ValueError(f"the keyword regex {word!r} has no text to test for first")


def _item_end(word: str, start: int) -> int:
    """Where the class, group or escape that starts at `start` ends."""
    if word[start] == "\\":
        return start + 2
    if word[start] == "[":
        return word.index("]", start + 1) + 1
    if word[start] != "(":
        return start + 1
    depth, i = 0, start
    while True:
        if word[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(word[i], 0)
        i += 1
        if depth == 0:
            return i


def _plain_alternatives(group: str) -> tuple[str, ...]:
    """The words of a group like "(?:kunde|kund|faktura)", or () when it holds more than plain words."""
    body = group.removeprefix("?:").removesuffix(")")
    words = body.split("|")
    return tuple(w.lower() for w in words) if all(w.isalpha() for w in words) else ()


_CASE_KEYWORDS = (
    r"\w*saks?(?:nummer|nr|\.nr|-nr|-nummer)?",
    r"\w*sags?(?:nummer|nr)?",
    r"\w*ärende(?:nummer|nr|-nr)?",
    r"\w*arende(?:nummer|nr)?",
    r"referanse(?:nummer|nr)?",
    r"referens(?:nummer|nr)?",
    r"ref",
    r"kunde(?:nummer|nr|-nr|-id|id)",
    r"kund(?:nummer|nr|-nr|id)",
    r"customer(?: number| no| id)?",
    r"faktura(?:nummer|nr|-nr)",
    r"invoice(?: number| no)?",
    r"ordre(?:nummer|nr|-nr)",
    r"order(?:nummer|nr|-nr| number| no)?",
    r"bestillings(?:nummer|nr)",
    r"beställnings(?:nummer|nr)",
    r"avtale(?:nummer|nr|-nr)",
    r"avtals(?:nummer|nr|-nr)",
    r"kontrakts?(?:nummer|nr)",
    r"ocr(?:-?nummer|-?nr)?",
    r"kid(?:-?nummer|-?nr)?",
    r"polise(?:nummer|nr)",
    r"polis(?:nummer|nr)",
    r"forsikrings(?:nummer|nr)",
    r"försäkrings(?:nummer|nr)",
    r"skade(?:nummer|nr)",
    r"medlems(?:nummer|nr)",
    r"låne?(?:nummer|nr)",
    r"ticket",
    # the bare noun, as the order number is usually written: "ordre 10455781", "beställning 4521987"
    r"ordre",
    r"bestilling",
    r"beställning",
    r"faktura",
    r"case",
    r"reklamasjons(?:nummer|nr)",
    r"henvendelses(?:nummer|nr)",
    r"retur(?:nummer|nr|-nr)",
    r"best\.?nr",
    # parcels: "sporingsnummer", "kollinummer", "spårningsnummer", "tracking number"
    r"sporings(?:nummer|nr)",
    r"sendings(?:nummer|nr)",
    r"spårnings(?:nummer|nr)",
    r"försändelse(?:nummer|nr)",
    r"kolli(?:nummer|nr|-id)",
    r"tracking(?: number| no| id)?",
    # a plain noun counts when "nr"/"nummer" follows it: "kunde nr 4410938", "faktura nr. 100234"
    r"(?:kunde|kund|faktura|ordre|order|bestilling|beställning|avtale|avtal|medlem|polise|polis|skade"
    r"|lån|kontrakt|henvendelse|reklamasjon)(?=\.?\s*-?(?:nr|nummer|no)\b)",
)
_ACCOUNT_KEYWORDS = (
    r"\w*konto(?:nummer|nr|-nr)?",
    r"clearing(?:nummer|nr)?",
    r"account(?: number| no)?",
    r"bank account",
    # a bank's name before a number: "Handelsbanken 6789-823 491 557"
    r"handelsbanken",
    r"nordea",
    r"swedbank",
    r"seb",
    r"dnb",
    r"danske\s?bank",
    r"sbanken",
    r"sparebank(?:en)?",
    r"sparbanken",
    r"skandiabanken",
    r"länsförsäkringar",
    r"ica\s?banken",
)
_ID_KEYWORDS = (
    r"fødselsnummer",
    r"fødselsnr",
    r"fødsels-?nr",
    r"f\.?nr",
    r"personnummer",
    r"personnr",
    r"person-?nr",
    r"p\.?nr",
    r"personal number",
    r"d-?nummer",
    r"d-?nr",
    r"samordningsnummer",
    r"samordningsnr",
)
_NOT_PHONE_WORDS = re.compile(
    _keywords(
        r"vare(?:nummer|nr)",
        r"artikkel(?:nummer|nr)",
        r"artikel(?:nummer|nr)",
        r"art\.?nr",
        r"produkt(?:nummer|nr)",
        r"serie(?:nummer|nr)",
        r"org\.?(?:nr|nummer)",
        r"organisasjons(?:nummer|nr)",
        r"organisations(?:nummer|nr)",
        r"modell",
        r"modellnummer",
        r"versjon",
        r"version",
        r"feilkode",
        r"felkod",
        r"post(?:nummer|nr)",
        r"registrerings(?:nummer|nr)",
        r"reg\.?nr",
        r"måler(?:nummer|nr)",
        r"mätar(?:nummer|nr)",
        r"anlegg(?:s)?(?:nummer|nr)",
        r"anläggnings(?:nummer|nr)",
    )
    + _FILLER
    + r"$"
)
_PHONE_KEYWORDS = (
    r"tlf(?:nr|\.nr|-nr|nummer)?",
    r"tel",
    r"telefon(?:nummer|nr)?",
    r"mobil(?:nummer|nr)?",
    r"mob",
    r"mobilnr",
    r"phone",
    r"sms",
    r"ring(?:e|er|de|)\s+(?:meg|mig|oss)(?:\s+på)?",
    r"nås\s+på",
    r"nåes\s+på",
)

_CASE_NUMBER = r"[A-Za-z]{0,4}-?\d[\dA-Za-z]*(?:[-/]\w*\d[\dA-Z]*|[ ]\d+(?!\w))*"
_CASE = _AfterKeyword(_CASE_KEYWORDS, r"(" + _CASE_NUMBER + r")")
_CASE_MORE = re.compile(r"\s*(?:,|&|/|\+|\bog\b|\boch\b|\band\b)\s*(" + _CASE_NUMBER + r")")
_CONTEXT_ACCOUNT = _AfterKeyword(  # any grouping of 7-18 digits
    _ACCOUNT_KEYWORDS, r"((?:\d{4}-?\d,\s?|\d{4}-\d\s)?\d(?:[ .-]?\d){6,17})" + _E
)
_CONTEXT_IBAN = _AfterKeyword((r"iban",), r"([A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,30})" + _E)
_CONTEXT_CLEARING = _AfterKeyword((r"clearing(?:nummer|nr)?",), r"(\d{4}(?:-\d)?)" + _E)
_CONTEXT_ID = _AfterKeyword(_ID_KEYWORDS, r"((?:18|19|20)?(?:\d{6}|\d\d\.\d\d\.\d\d)[-+ ]?\d{4,5})" + _E)
# After its word a phone number may also be 4-4 with a dash ("tlf 9123-4567"), which alone
# reads as a range ("2500-3000"); the word is glued on or not ("tlf+4791234567").
_CONTEXT_PHONE = _AfterKeyword(_PHONE_KEYWORDS, r"(" + _PHONE_FORMS + r"|[2-9]\d{3}-\d{4})" + _E)

# What makes a number a quantity rather than an identifier.
_UNIT_AFTER = re.compile(
    r"\s?(?:kr\b|kroner|kronor|nok\b|sek\b|,-|:-|€|\$|%|prosent|procent|euro"
    r"|(?:ganger|gånger|gang|gång|ggr|dager|dagar|timer|timmar|minutter|minuter|min|uker|veckor|måneder|månader"
    r"|år|stk|st|km|kg|personer|kunder)\b)",
    re.I,
)
_UNIT_BEFORE = re.compile(r"(?i)\b(?:kr|nok|sek|kl)\.?\s*$")  # "kr 3.450", "kl 0830-1530"
_DIGIT_AFTER, _DIGIT_BEFORE = re.compile(r"[ .-]\d"), re.compile(r"\d[ .-]$")
_DATE_LIKE = re.compile(r"(\d{1,4})[-/. ](\d{1,2})(?:[-/. ](\d{2,4}))?")
_MONTH_YEAR = re.compile(r"(?:(\d{1,2})[-/.](\d{4})|(\d{4})[-/.](\d{1,2}))")  # 03/2024, 2024-03
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?: \d{3})+")  # 12 500, 1 250 000: an amount
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d[-/](?:(?:19|20)\d\d|\d\d)")  # 2019-2023, 2023/24
# Opening hours and time ranges: 0800-1600, 08.00-16.00, 8:30-15:30
_TIME_RANGE = re.compile(r"(\d{1,2})[.:]?(\d{2})-(\d{1,2})[.:]?(\d{2})")
_COMPACT_DATE = re.compile(r"\d{8}")  # 15032024, 20240301

# Every identifier has an "@", three digits close together, or (an e-mail address
# written without "@") a top-level domain after a dot or a word for it: cheap first
# tests, each regex starting with a literal or a digit so that it scans fast.
_THREE_DIGITS = re.compile(r"\d[\s./-]?\d[\s./-]?\d")
_DOT_DOMAIN = re.compile(rf"\.(?i:{_TLDS})\b")
_SPACED_DOT_DOMAIN = re.compile(rf" \. (?i:{_TLDS})\b")
_WORD_DOT_DOMAIN = re.compile(rf"[dDpP](?i:ot|unktum|unkt|rikk) ?[)\]}}>]?\s*(?i:{_TLDS})\b")
_BRACKET_DOT_DOMAIN = re.compile(rf"\. ?[)\]}}>]\s*(?i:{_TLDS})\b")


def _maybe_identifier(text: str) -> bool:
    return _maybe_email(text) or bool(_THREE_DIGITS.search(text))


def _maybe_email(text: str) -> bool:
    return (
        "@" in text
        or bool(_DOT_DOMAIN.search(text))
        or (" . " in text and bool(_SPACED_DOT_DOMAIN.search(text)))
        or bool(_WORD_DOT_DOMAIN.search(text))
        or bool(_BRACKET_DOT_DOMAIN.search(text))
    )


# The order ties are broken in: an e-mail address or IBAN first, then a number
# with a word in front of it, then one with valid check digits, then a phone
# number by form alone. Within a tier the longer candidate wins.
_TIER_FORM, _TIER_CONTEXT, _TIER_CHECKED, _TIER_PHONE = 0, 1, 2, 3


# ----------------------------------------------------------------- finding


def find(text: str) -> list[Span]:
    """Every identifier in `text`, left to right, without overlaps."""
    if not isinstance(text, str):
        return []
    cands: list[tuple[int, int, int, str]] = []  # (tier, start, end, kind), offsets into `text`
    for view in _views(text):
        if _maybe_identifier(view.text):
            cands += [(tier, view.start(s), view.end(e), kind) for tier, s, e, kind in _candidates(view.text)]
    return _resolve(text, cands) if cands else []


def _candidates(text: str) -> list[tuple[int, int, int, str]]:
    """Every candidate identifier in the normalised `text`, overlapping ones included."""
    cands: list[tuple[int, int, int, str]] = []

    def add(tier: int, start: int, end: int, kind: str) -> None:
        cands.append((tier, start, end, kind))

    for m in _EMAIL.finditer(text) if _maybe_email(text) else ():
        if not _at_means_that(m):
            add(_TIER_FORM, m.start(), m.end(), "email")
    for m in _IBAN_START.finditer(text):
        end = _iban_end(text, m.start(), IBAN_LENGTHS.get(m.group(1).upper(), 0))
        if end and iban_valid(text[m.start() : end]):
            add(_TIER_FORM, m.start(), end, "account")

    # A word in front says what the number is.
    lowered = hint_text(text)
    for m in _CASE.finditer(text, lowered):
        _add_case(text, m, add)
    for pattern in (_CONTEXT_ACCOUNT, _CONTEXT_IBAN, _CONTEXT_CLEARING):
        for m in pattern.finditer(text, lowered):
            # "kontonummer: 198209176414": a valid personnummer after an account word is one
            if not _is_quantity(text, m.start(1), m.end(1)) and not _national_id(_digits(m.group(1))):
                add(_TIER_CONTEXT, m.start(1), m.end(1), "account")
    for m in _CONTEXT_ID.finditer(text, lowered):
        digits = _digits(m.group(1))
        if len(digits) == 11 and _fnr_date_ok(digits):
            add(_TIER_CONTEXT, m.start(1), m.end(1), "fnr")
        elif (
            len(digits) in (10, 12) and (len(digits) == 10 or digits[:2] in ("18", "19", "20")) and _pnr_date_ok(digits)
        ):
            add(_TIER_CONTEXT, m.start(1), m.end(1), "pnr")
    for m in _CONTEXT_PHONE.finditer(text, lowered):
        if _phone_ok(text, m.start(1), m.end(1)):
            add(_TIER_CONTEXT, m.start(1), m.end(1), "phone")

    # Check digits say what the number is.
    for m in _PNR.finditer(text):
        if pnr_valid(_digits(m.group())):
            add(_TIER_CHECKED, m.start(), m.end(), "pnr")
    for m in _FNR.finditer(text):
        if fnr_valid(_digits(m.group())):
            add(_TIER_CHECKED, m.start(), m.end(), "fnr")
    for m in _NO_ACCOUNT.finditer(text):
        if no_account_valid(_digits(m.group())):
            add(_TIER_CHECKED, m.start(), m.end(), "account")
    for m in _SE_ACCOUNT.finditer(text):
        # Swedbank's checked clearing or Handelsbanken's 9 digits stand alone; the other
        # banks' weaker rule needs the usual "-" or ", " between clearing and account.
        clearing, account = m.group("clearing"), m.group("account")
        strong = len(_digits(clearing)) == 5 or clearing.startswith("6")
        if se_account_valid(clearing, account) and (strong or m.group("sep").strip()):
            add(_TIER_CHECKED, m.start(), m.end(), "account")
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            add(_TIER_CHECKED, m.start(), m.end(), "card")

    # The form alone says it is a phone number, unless it reads as a time or a date.
    for m in _PHONE.finditer(text):
        number = m.group()
        if (
            _phone_ok(text, m.start(), m.end())
            and not _is_time_range(number)
            and not _is_compact_date(number)
            and not _NOT_PHONE_WORDS.search(text, max(0, m.start() - 40), m.start())
        ):
            add(_TIER_PHONE, m.start(), m.end(), "phone")
    return cands


def _at_means_that(m: re.Match) -> bool:
    """ "synes at finn.no": the Norwegian word "at" ("that") between a word and a domain."""
    return m.group("at").strip().lower() == "at" and m.group("local").lower() in _AT_MEANS_THAT


def _national_id(digits: str) -> bool:
    return fnr_valid(digits) or (len(digits) == 12 and pnr_valid(digits))


def _add_case(text: str, m: re.Match, add) -> None:
    """A case number after its word, and the ones listed after it ("1029384 og 1029385")."""
    start, end = m.start(1), _case_end(text, m.start(1), m.end(1))
    number = text[start:end]
    if not _case_number_ok(number) or _is_quantity(text, start, end):
        return
    add(_TIER_CONTEXT, start, end, "case")
    shape = _shape(number)
    while more := _CASE_MORE.match(text, end):
        s, e = more.start(1), _case_end(text, more.start(1), more.end(1))
        if _shape(text[s:e]) != shape or _is_quantity(text, s, e):
            break
        add(_TIER_CONTEXT, s, e, "case")
        end = e


def _case_number_ok(number: str) -> bool:
    """5+ digits, or 3+ with a letter or separator ("ABC-123", "774-2210"): a bare "sak 100"
    or "ärende 2024" is a count or a year."""
    digits = sum(c.isdigit() for c in number)
    return digits >= 5 or (digits >= 3 and not number.isdigit())


def _case_end(text: str, start: int, end: int) -> int:
    """Where a case number ends: groups after a space belong to it when they have 3+ digits
    or follow groups of four ("KID 1234 5678 9012 3"), not in "ref 12345 5 dager"."""
    end = _trim_end(text, start, end)
    groups = text[start:end].split(" ")
    keep = 1
    while keep < len(groups) and (len(groups[keep]) >= 3 or all(len(g) == 4 for g in groups[:keep])):
        keep += 1
    return start + len(" ".join(groups[:keep]))


def _resolve(text: str, cands: list[tuple[int, int, int, str]]) -> list[Span]:
    spans: list[Span] = []
    for _tier, start, end, kind in sorted(cands, key=lambda c: (c[0], c[1] - c[2], c[1])):
        if not any(s.start < end and start < s.end for s in spans):
            spans.append(Span(start, end, kind, text[start:end]))
    return sorted(spans, key=lambda s: s.start)


def _phone_ok(text: str, start: int, end: int) -> bool:
    number = text[start:end].removeprefix("(")
    n = len(_digits(number))
    if number.startswith(("+47", "0047")):
        ok = n == (10 if number.startswith("+") else 12)
    elif number.startswith(("+46", "0046")):
        n -= number.count("(0)")
        ok = 9 <= n - (0 if number.startswith("+") else 2) <= 11
    elif number.startswith("0"):
        ok = 8 <= n <= 10
    else:
        ok = n == 8
    # "4571 2309" inside "4571 2309 8765 4320" is part of a longer number, not a phone number
    glued = _DIGIT_AFTER.match(text, end) or _DIGIT_BEFORE.search(text, max(0, start - 2), start)
    return ok and not glued and not _is_quantity(text, start, end)


def _is_quantity(text: str, start: int, end: int) -> bool:
    """An amount ("12 500 000 kr", "kr 3.450", "12 500"), a percentage, a time ("kl 0830-1530")
    or a date ("03 10 2024", "15/9", "03/2024")."""
    if _UNIT_AFTER.match(text, end) or _UNIT_BEFORE.search(text, max(0, start - 6), start):
        return True
    number = text[start:end]
    return bool(_THOUSANDS.fullmatch(number)) or _is_date(number)


def _is_date(number: str) -> bool:
    if _YEAR_RANGE.fullmatch(number):
        return True
    if m := _MONTH_YEAR.fullmatch(number):
        month, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return 1 <= int(month) <= 12 and 1900 <= int(year) <= 2100
    m = _DATE_LIKE.fullmatch(number)
    if not m:
        return False
    first, second, third = m.groups()
    if len(first) == 4:  # 2024-10-03
        return third is not None and 1800 <= int(first) <= 2100 and _real_day(int(third), int(second))
    if len(first) > 2 or (third is not None and len(third) == 3):
        return False
    return _real_day(int(first), int(second))  # 03 10 2024, 15/9


def _is_compact_date(number: str) -> bool:
    """15032024 or 20240301: eight digits that read as a date in this or the last century."""
    if not _COMPACT_DATE.fullmatch(number):
        return False
    day_first = number[4:6] in ("19", "20") and _real_day(int(number[:2]), int(number[2:4]))
    year_first = number[:2] in ("19", "20") and _real_day(int(number[6:]), int(number[4:6]))
    return day_first or year_first


def _is_time_range(number: str) -> bool:
    """0800-1600, 08.00-16.00: two clock times joined by a dash."""
    m = _TIME_RANGE.fullmatch(number)
    if not m:
        return False
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    return h1 <= 24 and h2 <= 24 and m1 < 60 and m2 < 60


def _shape(number: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", number))


def _iban_end(text: str, start: int, length: int) -> int:
    """Where an IBAN of `length` characters (spaces not counted) starting at `start` ends."""
    count, i = 0, start
    while i < len(text) and count < length:
        if text[i].isalnum():
            count += 1
        elif text[i] not in " -":
            break
        i += 1
    at_boundary = i == len(text) or not text[i].isalnum()
    return i if count == length and at_boundary else 0


def _trim_end(text: str, start: int, end: int) -> int:
    """Case numbers end at their last digit or letter, not at a trailing space or dash."""
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return end


# ----------------------------------------------------------------- masking


def mask(text: str) -> str:
    """`text` with every identifier replaced by its placeholder (`<fnr>`, `<phone>`, ...)."""
    spans = find(text)
    for s in reversed(spans):
        text = text[: s.start] + f"<{s.kind}>" + text[s.end :]
    return text


def mask_many(texts) -> list[str]:
    return [mask(t) if isinstance(t, str) else t for t in texts]
