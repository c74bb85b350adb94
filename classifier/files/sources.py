"""What a file holds, judged by its content: a CSV (plain, or in gzip, bz2 or ZIP), an Excel
workbook (or a password-protected one), an old .xls, or Parquet; and limits on unpacking.

Compressed files are read as they are unpacked, and never past a limit, so that a
small file that unpacks to gigabytes (a "decompression bomb") is refused with a
message instead of filling memory or disk. The limits are documented in
docs/robustness.md.
"""

from __future__ import annotations

import bz2
import gzip
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from ..errors import InputError

MB = 1 << 20
# A compressed CSV (.gz, .bz2, .zip) may unpack to at most this many bytes.
MAX_UNPACKED_CSV = 1024 * MB
# An .xlsx is a ZIP of XML parts. The worksheet is read as it is unpacked (memory stays
# flat, time grows with its size); the other parts, above all the table of texts
# (xl/sharedStrings.xml), are held in memory whole, so they get a tighter limit.
MAX_XLSX_SHEET = 2048 * MB
MAX_XLSX_PART = 256 * MB

# What a damaged compressed file raises while it is unpacked.
UNPACK_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, RuntimeError, NotImplementedError)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003 files, and encrypted Office files
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream a password-protected .xlsx keeps
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
# The files a folder scan takes as tables (a file named on the command line is judged by content).
TABLE_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Source:
    """A file's kind ("text", "xlsx", "parquet") and, for text, how to unpack its bytes."""

    path: Path
    kind: str
    compression: str | None = None  # "gzip", "bz2" or "zip" for a compressed CSV
    member: str | None = None  # the file inside a ZIP archive

    def open(self) -> BinaryIO:
        """The file's bytes, unpacked; InputError when they pass MAX_UNPACKED_CSV."""
        if self.compression is None:
            return open(self.path, "rb")
        raw: _Readable
        if self.compression == "gzip":
            raw = gzip.open(self.path, "rb")  # noqa: SIM115 - closed with the returned stream
        elif self.compression == "bz2":
            raw = bz2.open(self.path, "rb")  # noqa: SIM115 - closed with the returned stream
        else:
            archive = zipfile.ZipFile(self.path)
            raw = _Closing(archive.open(self.member or ""), archive)
        return io.BufferedReader(_Bounded(raw, self.path, MAX_UNPACKED_CSV))

    def damaged(self, exc: Exception) -> InputError:
        """The error for a file that fails to read or (when compressed) to unpack."""
        what = f"is not a readable {self.compression} file" if self.compression else "cannot be read"
        return InputError(f"{what} ({exc})", path=self.path)


def identify(path: Path, head: bytes) -> Source:
    """The kind of file by its first bytes (the suffix only where the content cannot tell)."""
    suffix = path.suffix.lower()
    if head.startswith(_OLE2_MAGIC):
        if _contains(path, _ENCRYPTED_PACKAGE):
            raise InputError("is password protected; open it in Excel and save it without a password", path=path)
        raise InputError(_OLD_XLS, path=path)
    if suffix == ".xls":
        raise InputError(_OLD_XLS, path=path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_source(path, suffix)
    if head.startswith(b"\x1f\x8b"):
        return _checked(Source(path, "text", "gzip"))
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return _checked(Source(path, "text", "bz2"))
    if head.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        return Source(path, "parquet")
    if suffix in EXCEL_SUFFIXES:
        return Source(path, "xlsx")
    return Source(path, "text")


_OLD_XLS = "is an old Excel 97-2003 (.xls) file; open it in Excel and save it as .xlsx or as CSV UTF-8"


def _zip_source(path: Path, suffix: str) -> Source:
    """An .xlsx workbook, or a ZIP archive holding one CSV file."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        if suffix == ".zip":
            raise InputError("is not a readable ZIP archive", path=path) from None
        return Source(path, "xlsx")  # and reading it says it is not a readable workbook
    names = [i.filename for i in infos]
    if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
        check_xlsx_sizes(path, infos)
        return Source(path, "xlsx")
    files = [i for i in infos if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(files) != 1:
        raise InputError(f"is a ZIP archive of {len(files)} files; unzip it and give the survey file itself", path=path)
    return _checked(Source(path, "text", "zip", files[0].filename))


def _checked(source: Source) -> Source:
    """The source, once its first bytes unpack (a damaged archive is an InputError here)."""
    try:
        with source.open() as fh:
            fh.read(1)
    except UNPACK_ERRORS as exc:
        raise source.damaged(exc) from None
    return source


def check_xlsx_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """InputError for an .xlsx part that unpacks past its limit (checked before any is read).

    The sizes come from the ZIP's directory; Python's zipfile stops at the size it
    declares, so a part that lies about its size fails its checksum instead.
    """
    for info in infos:
        sheet = info.filename.startswith("xl/worksheets/")
        limit = MAX_XLSX_SHEET if sheet else MAX_XLSX_PART
        if info.file_size > limit and not info.filename.startswith("xl/media/"):
            raise InputError(
                f"{info.filename} unpacks to {info.file_size / MB:,.0f} MB, over the limit of "
                f"{limit / MB:,.0f} MB for an Excel file; save the sheet as CSV UTF-8 and give that",
                path=path,
            )


def _contains(path: Path, needle: bytes) -> bool:
    overlap = len(needle) - 1
    tail = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MB), b""):
            if needle in tail + block:
                return True
            tail = block[-overlap:]
    return False


class _Bounded(io.RawIOBase):
    """A stream that raises InputError once more than `limit` bytes came out of it."""

    def __init__(self, raw: _Readable, path: Path, limit: int):
        self._raw, self._path, self._limit, self._count = raw, path, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        data = self._raw.read(len(target))
        self._count += len(data)
        if self._count > self._limit:
            raise InputError(
                f"unpacks to more than {self._limit / MB:,.0f} MB, the limit for a compressed file; "
                "unpack it yourself and give the CSV file",
                path=self._path,
            )
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Closing(io.RawIOBase):
    """A member of a ZIP archive that closes the archive with it."""

    def __init__(self, member: _Readable, archive: zipfile.ZipFile):
        self._member, self._archive = member, archive

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        data = self._member.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        self._archive.close()
        super().close()
