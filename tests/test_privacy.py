"""The personal-data masker (classifier.privacy): per identifier type, look-alikes,
the labelled evaluation sets, and a model trained on planted identifiers.

Every identifier below is made up; the national ID, account and card numbers have
valid check digits (worked out with the validators' rules) unless a test says
otherwise.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from classifier.paths import shipped_data
from classifier.text.privacy import (
    PLACEHOLDERS,
    Span,
    find,
    fnr_valid,
    iban_valid,
    luhn_valid,
    mask,
    mask_many,
    no_account_valid,
    pnr_valid,
    se_account_valid,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def kinds(text: str) -> list[str]:
    return [s.kind for s in find(text)]


# --------------------------------------------------------------------------- validators


@pytest.mark.parametrize(
    "valid, wrong",
    [
        ("23059110047", "23059110048"),  # fødselsnummer
        ("61128810039", "61128810030"),  # D-number (day + 40)
    ],
)
def test_fnr_valid(valid, wrong):
    assert fnr_valid(valid)
    assert not fnr_valid(wrong)


def test_fnr_needs_a_real_date():
    # 31.02.91 with both check digits computed the same way is still not a date
    assert not fnr_valid("31029110047")


@pytest.mark.parametrize(
    "valid, wrong",
    [
        ("7801011235", "7801011236"),
        ("197801011235", "197801011236"),
        ("9308784561", "9308784562"),  # samordningsnummer (day + 60)
    ],
)
def test_pnr_valid(valid, wrong):
    assert pnr_valid(valid)
    assert not pnr_valid(wrong)


def test_pnr_century_and_date():
    assert not pnr_valid("217801011235")  # no 21st-century-plus-one prefix
    assert not pnr_valid("7813011232")  # month 13


def test_account_and_card_validators():
    assert no_account_valid("15034412879") and not no_account_valid("15034412870")
    assert luhn_valid("4147201234567899") and not luhn_valid("4147201234567890")
    assert iban_valid("NO80 6011 0545 617") and not iban_valid("NO81 6011 0545 617")
    assert iban_valid("SE91 3000 0000 0123 4567 8901")


@pytest.mark.parametrize(
    "clearing, account, ok",
    [
        ("8419-4", "123 456 782", True),  # Swedbank: Luhn on the clearing and the account
        ("8419-5", "123 456 782", False),
        ("8419-4", "123 456 783", False),
        ("6110", "123456789", True),  # Handelsbanken: 9 digits, mod 11
        ("6110", "123456788", False),
        ("5212", "1234565", True),  # SEB (type 1): mod 11 over clearing and account
        ("5212", "1234566", False),
    ],
)
def test_se_account_valid(clearing, account, ok):
    assert se_account_valid(clearing, account) is ok


# --------------------------------------------------------------------------- per type


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fødselsnummeret mitt er 23059110047, takk", "Fødselsnummeret mitt er <fnr>, takk"),
        ("Sønnen min 230591 10047 fikk brevet", "Sønnen min <fnr> fikk brevet"),
        ("Det gjelder 230591-10047", "Det gjelder <fnr>"),
        ("D-nummer 61128810039, sesongarbeider", "D-nummer <fnr>, sesongarbeider"),
        ("(07070710093) er min kone", "(<fnr>) er min kone"),
    ],
)
def test_fnr_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mitt personnummer är 780101-1235.", "Mitt personnummer är <pnr>."),
        ("Skrev 7801011235 i formuläret", "Skrev <pnr> i formuläret"),
        ("pnr 19780101-1235, ring mig", "pnr <pnr>, ring mig"),
        ("Hon heter 197801011235 i systemet", "Hon heter <pnr> i systemet"),
        ("Min farfar 780101+1235 är över hundra", "Min farfar <pnr> är över hundra"),
        ("Samordningsnummer 930878-4561 fungerar inte", "Samordningsnummer <pnr> fungerar inte"),
    ],
)
def test_pnr_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "+47 915 62 408",
        "+4791562408",
        "0047 91562408",
        "0047 915 62 408",
        "915 62 408",
        "91562408",
        "48 27 19 53",
        "9156 2408",
        "+46 70-318 42 95",
        "+46 (0)70-318 42 95",
        "+46701234567",
        "0046 8 612 44 90",
        "070-655 21 84",
        "070 655 21 84",
        "0706552184",
        "08-512 347 80",
        "031-701 22 58",
        "0703-12 34 56",
        "08-55 66 77",
    ],
)
def test_phone_masked(text):
    assert mask(f"Ring meg på {text} i dag") == "Ring meg på <phone> i dag"


@pytest.mark.parametrize(
    "text",
    [
        "ola.berget88@gmail.com",
        "post@rorlegger-hansen.no",
        "A.B.Hansen@mail.uio.no",
        "ola+kundeservice@firma.no",
        "lisa_92@spray.se",
        "kari (at) example.no",
    ],
)
def test_email_masked(text):
    assert mask(f"Skriv til {text}, takk") == "Skriv til <email>, takk"


@pytest.mark.parametrize(
    "text",
    [
        "1503.44.12879",
        "1503 44 12879",
        "15034412879",  # Norwegian, mod 11
        "NO80 6011 0545 617",
        "NO8060110545617",
        "SE91 3000 0000 0123 4567 8901",  # IBAN
        "8419-4, 123 456 782",
        "8105-9, 2 387 711-1",
        "6110-123456789",
        "5212-1234565",  # Swedish
    ],
)
def test_account_masked(text):
    assert mask(f"Betal tilbake til {text} takk") == "Betal tilbake til <account> takk"


@pytest.mark.parametrize(
    "text",
    [
        "4147 2012 3456 7899",
        "5492-0123-4567-8907",
        "4929123456789015",
        "3782 822463 10005",
    ],
)
def test_card_masked(text):
    assert mask(f"Kortet {text} ble belastet") == "Kortet <card> ble belastet"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Saksnr 2024-118822 er åpen", "Saksnr <case> er åpen"),
        ("Saksnummeret er 2026-0031177.", "Saksnummeret er <case>."),
        ("Mitt kundenummer er 1100478823", "Mitt kundenummer er <case>"),
        ("Referanse: ABC-12345. Ingen svar", "Referanse: <case>. Ingen svar"),
        ("Ärendenr 1-4438812, väntar", "Ärendenr <case>, väntar"),
        ("Mitt ärende (nr 2024-5512) står still", "Mitt ärende (nr <case>) står still"),
        ("OCR 70412209934512 ble feil", "OCR <case> ble feil"),
        ("KID: 1234 5678 9012 3", "KID: <case>"),
        ("Skadesak 2023-77120 tok tid", "Skadesak <case> tok tid"),
        ("Kunde nr 4410938 – dobbel faktura", "Kunde nr <case> – dobbel faktura"),
        ("Ticket ID: INC0012345", "Ticket ID: <case>"),
        ("Fakturanummer 1029384 og 1029385 er like", "Fakturanummer <case> og <case> er like"),
        ("ordernummer 55012, 55013 och 55014", "ordernummer <case>, <case> och <case>"),
    ],
)
def test_case_masked(text, expected):
    assert mask(text) == expected


# --------------------------------------------------------------------------- wrong check digits


@pytest.mark.parametrize(
    "text",
    [
        "Nummeret 23059110048 står øverst på brevet",  # fnr, last check digit off
        "Tallet 84920175532 står på brevet",
        "På fakturan står 7801011236 bredvid beloppet",  # pnr, Luhn off
        "Det står 197801011236 på kuvertet",
        "Overfør til 1503.44.12870",  # Norwegian account, mod 11 off
        "Kortet 4147 2012 3456 7890 ble avvist",  # Luhn off
        "Giroen har NO81 6011 0545 617 øverst",  # IBAN, mod 97 off
        "Sätt in på 8419-5, 123 456 782",  # Swedbank clearing check digit off
    ],
)
def test_wrong_check_digits_not_masked(text):
    assert find(text) == []


@pytest.mark.parametrize(
    "text, kind",
    [
        # a word in front says what it is: a mistyped identifier still identifies
        ("Fødselsnummeret mitt er 23059110048", "fnr"),
        ("personnummer 780101-1236", "pnr"),
        ("kontonr 1503.44.12870", "account"),
        ("IBAN NO81 6011 0545 617", "account"),
    ],
)
def test_wrong_check_digits_masked_after_their_word(text, kind):
    assert kinds(text) == [kind]


# --------------------------------------------------------------------------- look-alikes


@pytest.mark.parametrize(
    "text",
    [
        "Jeg betalte 1 250 kr for mye",
        "Regningen var på 12 500,50 kr",
        "Gebyr kr 3.450,- er for mye",
        "Betalade 2 450:- för 3 månader",
        "SEK 12 345 är för mycket",
        "Lånet på 2 500 000 kr",
        "Huset kostet 4.500.000 og lånet 3 750 000,-",
        "Beløpet på 1 234 567,89 kr er feil",
        "Ringte 03.10.2024 og 2024-10-15",
        "Fakturadato 1/10-2024, forfall 15/10-24",
        "Fikk brev 03 10 2024",
        "Ventet fra kl 14:22 til kl 15:05",
        "Kl. 07.45–16.00 er åpningstiden",
        "Ventetid 00:47:12",
        "Fikk 3 pakker, bestilte 12",
        "Har vært kunde siden 1998",
        "Renten steg 21,5 % på ett år",
        "Jag har gjort 12 beställningar i år",
        "Vi har 1 200 medlemmer og 45 ansatte",
        "Feilkode 502",
        "postnummer 0150 Oslo",
        "Organisasjonsnummer 987 654 321",
        "Varenummer 40023456 var utsolgt",
        "Jag har frågat om samma sak 100 gånger",
        "ärende 2024 var kaos",
        "Ordre 12 stk kom",
        "Mitt kort slutter på 4328",
        "Hei @Kari, takk!",
        "Appen versjon 14.2.1 krasjer",
        "Avdrag 1 250,00 + gebyr 65,00 = 1 315,00",
        "Saken startet 01.02.2024",
        "ref 2024-10-03",
    ],
)
def test_look_alikes_not_masked(text):
    assert find(text) == []


# --------------------------------------------------------------------------- several at once


def test_several_identifiers_in_one_comment():
    text = (
        "Hei, jeg heter Kari. fnr 23059110047, tlf +47 915 62 408, e-post kari.n@eksempel.no, "
        "konto 1503.44.12879, kort 4147 2012 3456 7899, saksnr 2024-118822. Betalte 1 250 kr 03.10.2024."
    )
    assert mask(text) == (
        "Hei, jeg heter Kari. fnr <fnr>, tlf <phone>, e-post <email>, konto <account>, "
        "kort <card>, saksnr <case>. Betalte 1 250 kr 03.10.2024."
    )


def test_several_swedish_identifiers_in_one_comment():
    text = (
        "Olle, personnummer 19780101-1235, telefon 072-345 67 12, mejl olle.n@exempel.se, "
        "konto 8419-4, 123 456 782, IBAN SE91 3000 0000 0123 4567 8901, ärende 2024-5512"
    )
    assert kinds(text) == ["pnr", "phone", "email", "account", "account", "case"]
    assert not any(c.isdigit() for c in mask(text))


def test_spans_are_sorted_exact_and_disjoint():
    text = "Ring 070-224 81 55 eller 08-702 314 69, pnr 780101-1235"
    spans = find(text)
    assert [s.text for s in spans] == ["070-224 81 55", "08-702 314 69", "780101-1235"]
    assert all(isinstance(s, Span) and text[s.start : s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert {f"<{s.kind}>" for s in spans} <= set(PLACEHOLDERS)


def test_mask_many_keeps_non_strings():
    assert mask_many(["tlf 91562408", None, float("nan"), ""])[:2] == ["tlf <phone>", None]
    assert find(None) == [] and find("") == []


def test_pathological_inputs_finish_and_mask_nothing_that_is_not_an_identifier():
    # Inputs that make backtracking regexes explode; a regression hangs the suite, which CI notices.
    for text in ("1 " * 20000, "a" * 50000 + "@", "konto " + "1 " * 20000, "9" * 50000):
        assert all(s.kind in {"account", "card", "phone", "case"} or s.kind for s in find(text))
    assert find("a" * 50000 + "@") == []
    assert find("saksnr" + " nr" * 10000) == []


# --------------------------------------------------------------------------- labelled sets


# Measured with `python scripts/eval_privacy.py --data <file>` (docs/privacy.md):
# precision and recall 1.000 on all three files (on privacy_eval_v2.csv after the rules
# for typed forms were written against it). The floors leave a small margin.
# privacy_eval_v3.csv is the honest one: written by another writer after the rules were done,
# never looked at while writing them (precision 1.000, recall 0.989).
@pytest.mark.parametrize(
    "name", ["privacy_eval.csv", "privacy_eval_extra.csv", "privacy_eval_v2.csv", "privacy_eval_v3.csv"]
)
def test_precision_and_recall_on_labelled_set(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is missing")
    from classifier.text import privacy_eval as ev

    result = ev.evaluate(ev.load_rows([path]))
    report = ev.format_result(result)
    for key in ("overall", "type_agnostic"):
        assert result[key]["precision"] >= 0.98, report
        assert result[key]["recall"] >= 0.98, report
    for kind, scores in result["per_type"].items():
        assert scores["precision"] >= 0.9 and scores["recall"] >= 0.9, f"{kind}\n{report}"
    assert len(result["partly_leaked"]) <= 2, report


# --------------------------------------------------------------------------- planted identifiers

# Each identifier is planted in two comments, so that without masking it would pass
# the vectorizers' min_df=2 and become a feature. Letters that would survive the
# number placeholders carry the marker "qzx", which occurs nowhere else.
PLANTED = {
    "fnr": "23059110047",
    "dnr": "61128810039",
    "pnr": "780101-1235",
    "pnr12": "19780101-1235",
    "samordning": "930878-4561",
    "phone_no": "+47 915 62 408",
    "phone_no_local": "482 71 953",
    "phone_se": "070-655 21 84",
    "email_no": "qzxtore.plantesen@eksempel.no",
    "email_se": "qzxlisa@exempel.se",
    "account_no": "1503.44.12879",
    "account_se": "8419-4, 123 456 782",
    "account_hb": "6110-123456789",
    "iban_no": "NO80 6011 0545 617",
    "iban_se": "SE91 3000 0000 0123 4567 8901",
    "card": "4147 2012 3456 7899",
    "card_amex": "3782 822463 10005",
    "case": "QZXK-88123",
    "case_ocr": "70412209934512",
}
TEMPLATES = ["{}", " Nummeret mitt er {} hvis dere lurer.", " Mitt nummer: {}.", " (ref. {})"]
SENTENCES = {
    "fnr": "Fødselsnummer {}.",
    "dnr": "D-nummer {}.",
    "pnr": "Personnummer {}.",
    "pnr12": "Mitt pnr {}.",
    "samordning": "Samordningsnummer {}.",
    "phone_no": "Ring meg på {}.",
    "phone_no_local": "Tlf {}.",
    "phone_se": "Ring mig på {}.",
    "email_no": "E-post {}.",
    "email_se": "Mejla {}.",
    "account_no": "Kontonummer {}.",
    "account_se": "Betala till {}.",
    "account_hb": "Kontot {}.",
    "iban_no": "IBAN {}.",
    "iban_se": "IBAN {}.",
    "card": "Kort {}.",
    "card_amex": "Kortet {}.",
    "case": "Saksnr {}.",
    "case_ocr": "OCR {}.",
}


def _variants(identifier: str) -> set[str]:
    digits = "".join(c for c in identifier if c.isdigit())
    out = {identifier, identifier.lower(), identifier.replace(" ", "")}
    if len(digits) >= 6:
        out.add(digits)
    return out


@pytest.fixture(scope="module")
def planted_model(tmp_path_factory):
    from classifier import save_model, train
    from classifier.model.dataset import LabelledData, load_labelled

    data = load_labelled(shipped_data())
    keep = list(range(0, len(data), len(data) // 400))[:400]
    texts = [data.texts[i] for i in keep]
    labels = [data.labels[i] for i in keep]
    langs = [data.languages[i] for i in keep] if data.languages else None
    # ~38 comments: a real comment with an identifier sentence added, twice per identifier
    for j, (name, identifier) in enumerate(PLANTED.items()):
        for k in range(2):
            i = keep[(7 * j + 3 * k) % len(keep)]
            texts.append(data.texts[i] + " " + SENTENCES[name].format(identifier))
            labels.append(data.labels[i])
            if langs is not None:
                langs.append(data.languages[i])
    planted = LabelledData(texts, labels, data.codebook, langs)
    model = train(planted, seed=0, evaluate=False)
    out = save_model(model, tmp_path_factory.mktemp("planted_model"))
    return model, out, planted


def test_planted_identifiers_are_masked_in_the_training_texts(planted_model):
    _, _, planted = planted_model
    masked = mask_many(planted.texts)
    for identifier in PLANTED.values():
        for variant in _variants(identifier):
            assert not any(variant in t for t in masked), variant


def test_planted_identifiers_not_in_vocabularies(planted_model):
    model, _, _ = planted_model
    features = model.pipeline.named_steps["features"]
    vocabularies = [set(t.vocabulary_) for _, t in features.transformer_list]
    assert len(vocabularies) >= 1 and all(vocabularies)
    for vocab in vocabularies:
        assert not any("qzx" in term for term in vocab)
        for identifier in PLANTED.values():
            for variant in _variants(identifier):
                assert not any(variant in term for term in vocab), variant
    # the placeholders did become features: the identifiers are there as their type
    word_vocab = vocabularies[0]
    assert {"<fnr>", "<pnr>", "<phone>", "<email>", "<account>", "<card>", "<case>"} <= word_vocab


def _model_file_strings(path: Path) -> list[str]:
    """Every string a saved model holds: its schema (names, settings) and its arrays of text
    (the vocabularies). The raw bytes of the coefficient arrays are not text: any 3-byte
    sequence turns up in megabytes of floats."""
    import io
    import zipfile

    import numpy as np

    archive = zipfile.ZipFile(path)
    strings = [archive.read("schema.json").decode()]
    for name in archive.namelist():
        if name.endswith(".npy"):
            array = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            if array.dtype.kind == "U":
                strings.extend(array.tolist())
    return strings


def test_planted_identifiers_not_in_saved_files(planted_model):
    from classifier.model.store import MODEL_FILE

    _, out, _ = planted_model
    strings = _model_file_strings(out / MODEL_FILE)
    assert len(strings) > 1000, "the vocabularies were not found"
    blobs = {f"{MODEL_FILE} (schema and arrays of text)": "\n".join(strings).encode()}
    for f in out.iterdir():
        if f.suffix in (".json", ".md"):
            blobs[f.name] = f.read_bytes()
    for name, blob in blobs.items():
        assert b"qzx" not in blob.lower(), name
        for identifier in PLANTED.values():
            for variant in _variants(identifier):
                assert variant.encode() not in blob, (name, variant)


def test_without_masking_the_planted_letters_would_reach_the_features():
    """The control: the same comments preprocessed with masking off keep the e-mail
    addresses and the letters of the case number, so the tests above can fail."""
    from classifier.text.preprocess import Preprocessor

    texts = [SENTENCES[n].format(PLANTED[n]) for n in ("email_no", "email_se", "case")]
    unmasked = Preprocessor(mask_identifiers=False).transform(texts)
    assert all("qzx" in t for t in unmasked)
    masked = Preprocessor().transform(texts)
    assert not any("qzx" in t for t in masked)


# --------------------------------------------------------------------------- forms people type
# Issue "personal data in forms the rules do not know": the same identifiers as they
# arrive from phones, word processors and people dodging spam filters. The masked
# comment is what a user of `--redact`, the report and the model sees.

NBSP, THIN, NNBSP, ZWSP = "\u00a0", "\u2009", "\u202f", "\u200b"


@pytest.mark.parametrize(
    "text, expected",
    [
        # no-break, thin and narrow no-break spaces as separators
        (f"Mobil: 070{NBSP}412{NBSP}88{NBSP}31 – ring etter jobb", "Mobil: <phone> – ring etter jobb"),
        (f"Mobil: +47{NBSP}918{NBSP}72{NBSP}455", "Mobil: <phone>"),
        (f"Kortet 4141{THIN}7075{THIN}3645{THIN}5688 ble belastet", "Kortet <card> ble belastet"),
        (f"Faren min (fnr 040672{NNBSP}36209) døde i fjor", "Faren min (fnr <fnr>) døde i fjor"),
        (f"Kontonummer 9397{NBSP}61{NBSP}58464, takk", "Kontonummer <account>, takk"),
        (f"Ordrenummer 7001{NBSP}2345{NBSP}67 kom aldri", "Ordrenummer <case> kom aldri"),
        # en and em dashes, minus signs
        ("Fødselsnummer 040672–36209 står på brevet", "Fødselsnummer <fnr> står på brevet"),
        ("Lønna går inn på 9397—61—58464", "Lønna går inn på <account>"),
        ("Kortnr 4518–8447–2940–5579 ble misbrukt", "Kortnr <card> ble misbrukt"),
        ("Jag angav 901018\u22129620 men fick fel brev", "Jag angav <pnr> men fick fel brev"),
        ("Ring mig på 072–556 91 03", "Ring mig på <phone>"),
        ("Saksnummer 24–11873 ligger hos dere", "Saksnummer <case> ligger hos dere"),
        # a 12-digit personnummer with spaces around the dash
        ("Personnummer 19860825 - 8912 är fel", "Personnummer <pnr> är fel"),
        (f"personnr 19770808{NBSP}–{NBSP}1026, ring mig", "personnr <pnr>, ring mig"),
        # glued to the word in front
        ("fnr21029621435 ble lest opp høyt", "fnr<fnr> ble lest opp høyt"),
        ("pnr9010189620 stod på kuvertet", "pnr<pnr> stod på kuvertet"),
        ("tlf47382916 hele dagen", "tlf<phone> hele dagen"),
        ("Tlf+4791872455", "Tlf<phone>"),
        ("kontonr50604541465 er riktig", "kontonr<account> er riktig"),
        ("Ordrenr.5520193 mangler", "Ordrenr.<case> mangler"),
        ("kort4141707536455688 ble sperret", "kort<card> ble sperret"),
        # phones grouped with dots or dashes, or with spaces around the area code's dash
        ("Ring meg på 482.19.377", "Ring meg på <phone>"),
        ("Nummeret mitt er 93-12-84-55", "Nummeret mitt er <phone>"),
        ("Nr. mitt er 975-12-304.", "Nr. mitt er <phone>."),
        ("Ring mig hellre på 070 - 482 19 55", "Ring mig hellre på <phone>"),
        ("Ring 070.123.45.67 efter fem", "Ring <phone> efter fem"),
        ("Ring (+47) 918 72 455", "Ring <phone>"),
        ("tlf 9123-4567 etter kl 16", "tlf <phone> etter kl 16"),
        (f"tlf 912{ZWSP}34{ZWSP}567", "tlf <phone>"),  # invisible zero-width spaces
        ("Ny mobil: ０７０-１２３ ４５ ６７", "Ny mobil: <phone>"),  # fullwidth digits
        # e-mail addresses with a spaced or fullwidth "@", or written with words
        ("Fra trond.eriksen @ gmail.com fikk jeg svar", "Fra <email> fikk jeg svar"),
        ("Mailen min er kristin . lie @ gmail . com – takk", "Mailen min er <email> – takk"),
        ("Kontakt meg på kari.moen＠hotmail.no, takk", "Kontakt meg på <email>, takk"),
        ("geir dot solheim at gmail dot com er riktig", "<email> er riktig"),
        ("Min mejl är jonas punkt berg snabel-a icloud punkt com", "Min mejl är <email>"),
        ("Skriv til ola[at]firma[dot]no", "Skriv til <email>"),
        ("Skriv til ola at gmail.com i stedet", "Skriv til <email> i stedet"),
        ("Svar til ola.nordmann(@)gmail.com", "Svar til <email>"),
        ("Svar til ola@gmail. com, takk", "Svar til <email>, takk"),
        # lowercase IBAN, cards grouped with dots
        ("IBAN-en no65 8864 2300 487 ble avvist", "IBAN-en <account> ble avvist"),
        ("Till se45 5000 0000 0583 9825 7466, tack", "Till <account>, tack"),
        ("Kortet 5169.8716.8976.8463 spärrades", "Kortet <card> spärrades"),
        # order numbers after the bare noun, and plural words before a list
        ("Ordre 10455781 ble levert feil", "Ordre <case> ble levert feil"),
        ("Beställning 4521987 kom aldrig", "Beställning <case> kom aldrig"),
        ("Min order 774512 er borte", "Min order <case> er borte"),
        ("ordre NO-2033871 var forsinket", "ordre <case> var forsinket"),
        ("Sporingsnummer 70712345678901234 virker ikke", "Sporingsnummer <case> virker ikke"),
        ("Tre saksnumre: 23-118842, 23-120017 og 24-000391.", "Tre saksnumre: <case>, <case> og <case>."),
        # a date of birth with dots in a fødselsnummer; a bank's name before an account
        ("Fødselsnr. 04.06.72 36209 står i brevet", "Fødselsnr. <fnr> står i brevet"),
        ("Återbetalning till Handelsbanken 6123-412 887 301", "Återbetalning till Handelsbanken <account>"),
    ],
)
def test_typed_forms_are_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Kundeservice er bare åpen 0800-1600, det passer dårlig",
        "Åpningstider kl 0830–1530 på hverdager",
        "Öppet 08.00 – 16.00 och ingen svarar efter 1630",
        "Telefontid 0900 - 1500",
        "Brevet var datert 15032024 og fristen 01042024",
        "Jeg ble belastet fra 20240301",
        "Avtalen gjaldt 01.01.2023 - 31.12.2023",
        "Fra 2019 – 2023 var jeg kunde",
        "Fakturaen var på 12 500 – 15 000 kr",
        "Bestilling 12 500 ble trukket to ganger",
        "Faktura for 03/2024 og 2024-04 kom samtidig",
        "Ordre på 12 varer, 3 manglet",
        "postnummer 0150 Oslo",
        "Skickat till 114 55 Stockholm",
        "Renten steg til 4,5 % – igjen",
        "Leveringen tok 10–15 dager",
        "Jeg synes at finn.no er bedre",
        "Gå inn på nav.no og se punkt 3",
    ],
)
def test_typed_look_alikes_stay(text):
    assert mask(text) == text


def test_spans_point_at_the_original_characters():
    text = f"Ring 070{NBSP}-{NBSP}482 19 55 eller skriv kari.moen＠hotmail.no"
    spans = find(text)
    assert [(s.kind, s.text) for s in spans] == [
        ("phone", f"070{NBSP}-{NBSP}482 19 55"),
        ("email", "kari.moen＠hotmail.no"),
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_two_numbers_around_a_spaced_dash_stay_two_numbers():
    assert kinds("Ring 915 62 408 - eller 482 71 953") == ["phone", "phone"]
    assert mask("tlf 91562408 - 48271953") == "tlf <phone> - <phone>"


def test_a_personnummer_after_an_account_word_is_a_personnummer():
    assert kinds("personnummer och kontonummer: 198608258912") == ["pnr"]


# Planted in the typed forms, each twice, and trained with the number placeholders
# off ("word+char-numbers"), so a digit the masker missed would reach the features.
TYPED = {
    "fnr_nbsp": f"040672{NBSP}36209",
    "fnr_glued": "fnr21029621435",
    "fnr_dash": "201075–31530",
    "pnr_spaced_dash": "19860825 - 8912",
    "pnr_em_dash": "197708081026"[:8] + "—" + "197708081026"[8:],
    "phone_dots": "482.19.377",
    "phone_dashes": "93-12-84-55",
    "phone_se_spaced": "070 - 482 19 55",
    "phone_thin": f"079{THIN}140{THIN}22{THIN}67",
    "card_dots": "5169.8716.8976.8463",
    "card_en_dash": "4518–8447–2940–5579",
    "account_em_dash": "9397—61—58464",
    "iban_lower": "no65 8864 2300 487",
    "email_spaced": "qzxkristin . qzxlie @ qzxmail . com",
    "email_fullwidth": "qzxkari.qzxmoen＠qzxpost.no",
    "email_words": "qzxgeir dot qzxsolheim at qzxmail dot com",
    "order": "Ordre 10455781",
}


def _digit_windows(identifier: str, width: int = 5) -> set[str]:
    """Every run of `width` digits of the identifier, separators left out."""
    digits = _only_digits(unicodedata.normalize("NFKC", identifier))
    return {digits[i : i + width] for i in range(len(digits) - width + 1)}


def _only_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _leaks(strings, identifier: str) -> list[str]:
    """The strings (vocabulary terms, ...) that hold 5 digits in a row of the identifier,
    separators left out: "5169.8716" holds "51698"."""
    windows = _digit_windows(identifier)
    return [s for s in strings if len(s) <= 60 and any(w in _only_digits(s) for w in windows)]


def test_typed_identifiers_leave_no_digits_after_masking():
    from classifier.text.preprocess import Preprocessor

    for name, identifier in TYPED.items():
        comment = [f"Nummeret er {identifier}, ring meg."]
        unmasked = Preprocessor(mask_identifiers=False, numbers=False).transform(comment)[0]
        masked = Preprocessor(numbers=False).transform(comment)[0]
        assert _leaks([unmasked], identifier) or "qzx" in unmasked, name  # the control: it would leak
        assert not _leaks([masked], identifier) and "qzx" not in masked, (name, masked)


@pytest.fixture(scope="module")
def typed_model(tmp_path_factory):
    from classifier import save_model, train
    from classifier.model.dataset import LabelledData, load_labelled

    data = load_labelled(shipped_data())
    keep = list(range(0, len(data), len(data) // 300))[:300]
    texts = [data.texts[i] for i in keep]
    labels = [data.labels[i] for i in keep]
    langs = [data.languages[i] for i in keep] if data.languages else None
    for j, identifier in enumerate(TYPED.values()):
        for k in range(2):
            i = keep[(5 * j + 2 * k) % len(keep)]
            texts.append(f"{data.texts[i]} Nummeret er {identifier}, ring meg.")
            labels.append(data.labels[i])
            if langs is not None:
                langs.append(data.languages[i])
    typed = LabelledData(texts, labels, data.codebook, langs)
    model = train(typed, variant="word+char-numbers", seed=0, evaluate=False)
    return model, save_model(model, tmp_path_factory.mktemp("typed_model"))


def test_typed_identifiers_not_in_vocabularies(typed_model):
    model, _ = typed_model
    features = model.pipeline.named_steps["features"]
    vocabularies = [set(t.vocabulary_) for _, t in features.transformer_list]
    assert len(vocabularies) >= 2 and all(vocabularies)
    # the control: numbers are not placeholders in this variant, other digits did become features
    assert any(_only_digits(term) for term in vocabularies[0])
    for vocab in vocabularies:
        assert not any("qzx" in term for term in vocab)
        for name, identifier in TYPED.items():
            assert not _leaks(vocab, identifier), name


def test_typed_identifiers_not_in_saved_files(typed_model):
    import json

    from classifier.model.store import MODEL_FILE

    _, out = typed_model
    # every string the model file (its schema and arrays of text) and the JSON files hold
    strings = {MODEL_FILE: _model_file_strings(out / MODEL_FILE)}
    assert len(strings[MODEL_FILE]) > 1000, "the vocabularies were not found"
    for f in out.glob("*.json"):
        strings[f.name] = list(_json_strings(json.loads(f.read_text(encoding="utf-8"))))
    for name, found in strings.items():
        assert not any("qzx" in s.lower() for s in found), name
        for identifier in TYPED.values():
            assert not _leaks(found, identifier), (name, identifier)
    for f in out.glob("*.md"):
        text = f.read_text(encoding="utf-8")
        assert "qzx" not in text.lower()
        assert not any(identifier in text for identifier in TYPED.values())  # (its scores are not text)


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)


# --------------------------------------------------------------------------- the keyword first test

KEYWORD_PATTERNS = ("_CASE", "_CONTEXT_ACCOUNT", "_CONTEXT_IBAN", "_CONTEXT_CLEARING", "_CONTEXT_ID", "_CONTEXT_PHONE")


@pytest.mark.parametrize(
    "word, texts",
    [
        (r"\w*saks?(?:num(?:mer|re|ret)|nr)?", ("sak",)),  # the letters every match holds, not "saks"
        (r"d-?num(?:mer|re|ret)", ("num",)),  # the longest required run, not the optional "d-"
        (r"best\.?nr", ("best",)),
        (r"danske\s?bank", ("danske",)),
        (r"(?:kunde|Kund|faktura)(?=\.?\s*nr)", ("kunde", "kund", "faktura")),  # a leading group of words
    ],
)
def test_required_texts_are_what_every_match_of_a_keyword_holds(word, texts):
    from classifier.text.privacy import required_texts

    assert required_texts(word) == texts


@pytest.mark.parametrize("word", [r"f\.?n", r"\w*s?", r"sak|ref", r"(?:k\w+)", r"(?:kunde|kund)?x"])
def test_a_keyword_without_text_to_test_for_is_refused(word):
    from classifier.text.privacy import required_texts

    with pytest.raises(ValueError, match="keyword regex"):
        required_texts(word)


def test_hint_text_holds_every_letter_the_case_insensitive_regexes_match():
    # "İ", "ı", "ſ" and "K" (Kelvin) match "i", "s" and "k" case-insensitively, so the
    # first test must see those letters in them, or it would skip a keyword the regex finds.
    import re
    import sys

    from classifier.text import privacy

    letters = sorted({c for name in KEYWORD_PATTERNS for h in getattr(privacy, name).hints for c in h if c.isalpha()})
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in letters:
        for char in re.findall(re.escape(letter), everything, re.IGNORECASE):
            assert letter in privacy.hint_text(char), (letter, char, hex(ord(char)))


def test_the_first_test_passes_every_text_the_keyword_regexes_match():
    # Over every labelled privacy set, as written, in capitals and with look-alike letters:
    # the cheap test never turns away a comment the full regex would find a number in.
    import csv

    from classifier.text import privacy

    texts = []
    for path in sorted(DATA.glob("privacy_eval*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)]
    texts += [t.upper() for t in texts] + [t.replace("i", "ı").replace("s", "ſ") for t in texts]
    matched = 0
    for name in KEYWORD_PATTERNS:
        pattern = getattr(privacy, name)
        for text in texts:
            if pattern.regex.search(text):
                matched += 1
                lowered = privacy.hint_text(text)
                assert any(h in lowered for h in pattern.hints), (name, text)
                assert list(pattern.finditer(text, lowered)), (name, text)
    assert matched > 500  # the sets name identifiers by their keywords often enough to test this (998 matches)
