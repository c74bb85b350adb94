"""Text encodings of CSV exports: UTF-8 (with or without BOM), UTF-16, Windows-1252, or a mix.

A file that is UTF-8 except for a few lines (one stray byte, or rows pasted in from a
Windows-1252 file) is decoded line by line: each line as UTF-8 if it is valid UTF-8,
else as Windows-1252. Decoding the whole file as Windows-1252 instead would turn every
å, æ and ø of every other row into `Ã¥`, `Ã¦`, `Ã¸`.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

MIXED = "utf-8, lines that are not as cp1252"  # the encoding name of a mixed file (pandas never sees it)
LISTED_LINES = 5  # how many fallback line numbers a warning names
MAX_LINE_BYTES = 64 << 20  # a longer line (a file of one endless line) is not a survey table
_BLOCK = 1 << 24


@dataclass
class Encoding:
    """How a text file is decoded; for a MIXED file, which lines needed Windows-1252."""

    name: str
    fallback_lines: list[int] = field(default_factory=list)  # the first LISTED_LINES of them, 1-based
    fallback_count: int = 0

    def warning(self) -> str | None:
        """For a MIXED file: which lines were read as Windows-1252 (the first few, and how many)."""
        if self.name != MIXED:
            return None
        listed = ", ".join(map(str, self.fallback_lines))
        more = self.fallback_count - len(self.fallback_lines)
        if self.fallback_count == 1:
            lines = f"line {listed}, read as Windows-1252; check its special letters"
        else:
            lines = f"{self.fallback_count} lines ({listed}{f' and {more} more' if more else ''})"
            lines += ", read as Windows-1252; check their special letters"
        return f"is UTF-8 except {lines}"


class LineDecoder:
    """Bytes to text, line by line: UTF-8, or Windows-1252 for a line that is not valid UTF-8.

    Lines end at \\n, \\r\\n or a lone \\r. `decode` returns the text of the whole lines
    received so far and keeps a cut-off last line for the next call.
    """

    def __init__(self) -> None:
        self.line = 1  # the number of the line that starts the pending bytes
        self.fallback_lines: list[int] = []
        self.fallback_count = 0
        self.utf8_letters = False  # some valid UTF-8 line has a non-ASCII character
        self._pending: list[bytes] = []  # the start of a line that has not ended yet
        self._pending_size = 0

    def decode(self, data: bytes, final: bool = False) -> str:
        self._pending.append(data)
        self._pending_size += len(data)
        if not final and b"\n" not in data and b"\r" not in data:  # still in the same line
            if self._pending_size > MAX_LINE_BYTES:
                raise LineTooLong(self.line)
            return ""
        buf = b"".join(self._pending)
        if final:
            cut = len(buf)
        else:
            cut = buf.rfind(b"\n") + 1 or buf.rfind(b"\r", 0, len(buf) - 1) + 1  # a final \r may be half a \r\n
        self._pending, self._pending_size = [buf[cut:]], len(buf) - cut
        return self._decode_lines(buf[:cut])

    def _decode_lines(self, data: bytes) -> str:
        parts, pos, view = [], 0, memoryview(data)
        while pos < len(data):
            try:
                text, _ = codecs.utf_8_decode(view[pos:], "strict", True)
            except UnicodeDecodeError as exc:
                bad = pos + exc.start
                start = max(data.rfind(b"\n", pos, bad), data.rfind(b"\r", pos, bad)) + 1 or pos
                end = _line_end(data, bad)
                good = str(view[pos:start], "utf-8")
                self.utf8_letters = self.utf8_letters or not good.isascii()
                number = self.line + _breaks(data, pos, start)
                try:
                    fallback = str(view[start:end], "cp1252")
                except UnicodeDecodeError:
                    raise UndecodableLine(number) from None
                parts += [good, fallback]
                self.fallback_count += 1
                if len(self.fallback_lines) < LISTED_LINES:
                    self.fallback_lines.append(number)
                self.line += _breaks(data, pos, end)
                pos = end
            else:
                self.utf8_letters = self.utf8_letters or not text.isascii()
                parts.append(text)
                self.line += _breaks(data, pos, len(data))
                pos = len(data)
        return "".join(parts)


class BadLine(Exception):
    """A line the decoder cannot take; `line` is its number (1-based)."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class UndecodableLine(BadLine):
    """Neither UTF-8 nor Windows-1252 (a byte Windows-1252 leaves undefined, such as 0x81)."""


class LineTooLong(BadLine):
    """Longer than MAX_LINE_BYTES."""


def _breaks(data: bytes, start: int, end: int) -> int:
    """Line breaks in data[start:end] (\\n, \\r\\n and a lone \\r count one each)."""
    return data.count(b"\n", start, end) + data.count(b"\r", start, end) - data.count(b"\r\n", start, end)


def _line_end(data: bytes, at: int) -> int:
    """The index after the line break that ends the line holding data[at]."""
    ends = [i for i in (data.find(b"\n", at), data.find(b"\r", at)) if i >= 0]
    if not ends:
        return len(data)
    end = min(ends)
    return end + 2 if data[end : end + 2] == b"\r\n" else end + 1


def detect_encoding(path: Path, head: bytes, open_bytes: Callable[[], BinaryIO] | None = None) -> str:
    """UTF-8 (with or without BOM), UTF-16, Windows-1252, or MIXED; else InputError."""
    return scan_encoding(path, head, open_bytes).name


def scan_encoding(path: Path, head: bytes, open_bytes: Callable[[], BinaryIO] | None = None) -> Encoding:
    """The encoding of a text file from its first bytes, reading the whole file if it may be UTF-8.

    A file of valid UTF-8 is UTF-8; one whose lines with letters beyond ASCII are all
    invalid UTF-8 is Windows-1252; one with both kinds is MIXED.
    """
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return Encoding("utf-16")
    if b"\x00" in head:
        # UTF-16 without BOM shows as every other byte NUL in ASCII text.
        if head[1::2].count(0) > 0.4 * len(head[1::2]):
            return Encoding("utf-16-le")
        if head[0::2].count(0) > 0.4 * len(head[0::2]):
            return Encoding("utf-16-be")
        raise InputError("is a binary file, not a CSV table", path=path)
    bom = head.startswith(codecs.BOM_UTF8)
    decoder = LineDecoder()
    try:
        with (open_bytes or (lambda: open(path, "rb")))() as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except LineTooLong as exc:
        raise InputError(
            f"line {exc.line} is longer than {MAX_LINE_BYTES >> 20} MB; this is not a CSV table", path=path
        ) from None
    except UndecodableLine as exc:
        raise InputError(f"line {exc.line} cannot be decoded: not UTF-8, UTF-16 or Windows-1252", path=path) from None
    if not decoder.fallback_count:
        return Encoding("utf-8-sig" if bom else "utf-8")
    if not decoder.utf8_letters and not bom:
        return Encoding("cp1252")
    return Encoding(MIXED, decoder.fallback_lines, decoder.fallback_count)


def decode_sample(head: bytes, encoding: str) -> str:
    """The first bytes of a file as text (its last line may be cut short)."""
    if encoding == MIXED:
        text = LineDecoder().decode(head, final=True)
    else:
        text = head.decode(encoding, errors="ignore")
    return text.lstrip("\ufeff")


class Utf8Stream(io.RawIOBase):
    """A MIXED file re-encoded as UTF-8, read as it is read (for pandas)."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._decoder = LineDecoder()
        self._buffer, self._offset = b"", 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while self._offset == len(self._buffer) and not self._done:
            block = self._raw.read(1 << 20)
            self._done = not block
            self._buffer, self._offset = self._decoder.decode(block, final=self._done).encode("utf-8"), 0
        n = min(len(target), len(self._buffer) - self._offset)
        target[:n] = self._buffer[self._offset : self._offset + n]
        self._offset += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()
