"""Write large legitimate and hostile survey files, to measure what reading them costs.

    python scripts/hostile_inputs.py OUTDIR
    /usr/bin/time -v python -c "import sys; from classifier.files.reading import open_table; \
        print(sum(len(c) for c in open_table(sys.argv[1]).chunks()))" OUTDIR/big.xlsx

Files (docs/robustness.md reports the peak memory of reading each):

* big.xlsx: 200,000 answers (id, date, score, comment), a legitimate large export.
* big.csv: the same as CSV.
* big_mixed.csv: big.csv with one Windows-1252 row appended.
* strings_bomb.xlsx: a few MB whose shared strings unpack to 2 GB.
* far_cell.xlsx: a few KB with one space in cell ALL100000 (column 1000, row 100,000).
* bomb.csv.gz: a few MB of gzip that unpacks to 2 GB of CSV rows.
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

ROWS = 200_000
WORDS = [
    "ventet",
    "lenge",
    "i",
    "telefonkøen",
    "før",
    "noen",
    "svarte",
    "og",
    "saken",
    "ble",
    "ikke",
    "løst",
    "på",
    "første",
    "forsøk",
]


def comment(i: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(5 + i % 12)) + f" (sak {i})"


def big_xlsx(path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Svar")
    ws.append(["id", "Dato", "Score", "Kommentar"])
    for i in range(ROWS):
        ws.append([i + 1, f"{1 + i % 28:02d}.10.2024 14:22", i % 11, comment(i)])
    wb.save(path)


def big_csv(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("id;Dato;Score;Kommentar\n")
        for i in range(ROWS):
            fh.write(f"{i + 1};{1 + i % 28:02d}.10.2024 14:22;{i % 11};{comment(i)}\n")


def big_mixed_csv(path: Path) -> None:
    big_csv(path)
    with open(path, "ab") as fh:
        fh.write(f"{ROWS + 1};01.10.2024 14:22;3;Ærlig talt, søppel\n".encode("cp1252"))


def far_cell_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row in (["id", "Kommentar"], [1, "Bra"], [2, "Treg"]):
        ws.append(row)
    ws.cell(row=100_000, column=1000).value = " "
    wb.save(path)


def strings_bomb_xlsx(path: Path, unpacked: int = 2 << 30) -> None:
    """A valid workbook whose sharedStrings.xml holds `unpacked` bytes of 1 MB strings."""
    write_shared_strings_xlsx(path, [b"id", b"Kommentar", b"Bra"], [b"x" * (1 << 20)] * (unpacked >> 20))


SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row></sheetData></worksheet>'
)
MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_shared_strings_xlsx(path: Path, used: list[bytes], extra: list[bytes]) -> None:
    """A minimal workbook (header id, Kommentar; one row 1, Bra) in shared strings, plus `extra` unused strings."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{MAIN}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{MAIN}.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{REL}"><sheets><sheet name="Svar" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", SHEET)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in used + extra:
                fh.write(b"<si><t>" + text + b"</t></si>")
            fh.write(b"</sst>")


def gzip_bomb(path: Path, unpacked: int = 2 << 30) -> None:
    """2 GB of CSV rows of 1 KB (in 1 MB blocks of identical rows), packed to a few MB."""
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"id;Kommentar\n")
        block = (b"1;" + b"a" * 1021 + b"\n") * 1024
        for _ in range(unpacked // len(block)):
            fh.write(block)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, make in [
        ("big.xlsx", big_xlsx),
        ("big.csv", big_csv),
        ("big_mixed.csv", big_mixed_csv),
        ("far_cell.xlsx", far_cell_xlsx),
        ("strings_bomb.xlsx", strings_bomb_xlsx),
        ("bomb.csv.gz", gzip_bomb),
    ]:
        make(out / name)
        print(f"{out / name}: {(out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
