"""Reading a source file's bytes defensively: plain or gzip, streamed, bounded, and never raising.

Gzip is recognised by its magic bytes, not the file name, and inflated as a stream: a stream damaged or cut
midway keeps every line before the damage and ends with `FILE: corrupt gzip after N lines`. A UTF-8 byte-order
mark is dropped; UTF-16 text is one clear reject rather than thousands of garbled lines. A line longer
than `MAX_LINE_BYTES` is reported with its size, never held in memory whole; whole-file formats (CharacterAI
dumps, YAML) stop at `MAX_DOCUMENT_BYTES`.
"""

from __future__ import annotations

import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hubtools.data.sources import RAW_LIMIT

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_LINE_BYTES = 16 << 20
MAX_DOCUMENT_BYTES = 256 << 20
_CHUNK = 1 << 20
_COMPRESSED_CHUNK = 64 << 10
_SALVAGE_STEP = 256


@dataclass(frozen=True)
class Line:
    """One line (without its newline); `size` is its full length when it is longer than `data` keeps."""

    number: int
    data: bytes
    size: int


@dataclass(frozen=True)
class FileProblem:
    """Why (the rest of) a file could not be read; reported as `FILE: reason`."""

    reason: str


class _Damaged(Exception):
    """The gzip stream is corrupt or cut short at this point."""


def _open(path: Path) -> BinaryIO | FileProblem:
    try:
        info = os.stat(path)
    except OSError as error:
        return FileProblem(f"cannot read file ({error.strerror or error})")
    if stat.S_ISDIR(info.st_mode):
        return FileProblem("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        return FileProblem("not a regular file (a device, pipe or socket)")
    try:
        return open(path, "rb")  # noqa: SIM115 - the callers close it
    except OSError as error:
        return FileProblem(f"cannot read file ({error.strerror or error})")


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    """The file's bytes in chunks, inflated when it is gzip; raises `_Damaged` after the last good bytes."""
    head = handle.read(2)
    handle.seek(0)
    if head != GZIP_MAGIC:
        while chunk := handle.read(_CHUNK):
            yield chunk
        return
    yield from _inflate(handle)


def _inflate(handle: BinaryIO) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits=31)  # gzip header and trailer; the CRC is checked
    started, first_member = False, True
    pending = b""
    while True:
        if not pending:
            pending = handle.read(_COMPRESSED_CHUNK)
            if not pending:
                break
        if not started and not first_member:
            pending = pending.lstrip(b"\0")  # zero padding after the last member, as gzip(1) allows
            if not pending:
                continue
        started = True
        saved = decompressor.copy()
        try:
            output = decompressor.decompress(pending)
        except zlib.error:
            yield _salvage(saved, pending)
            raise _Damaged from None
        if output:
            yield output
        if decompressor.eof:  # one member ended: another may follow (concatenated .gz files)
            pending = decompressor.unused_data
            decompressor = zlib.decompressobj(wbits=31)
            started, first_member = False, False
        else:
            pending = b""
    if started:
        raise _Damaged  # the stream was cut before its end-of-stream marker


def _salvage(decompressor, data: bytes) -> bytes:
    """What a damaged piece still inflates to before the damage: fed in small steps, then byte by byte."""
    out, start, step = [], 0, _SALVAGE_STEP
    while start < len(data):
        saved = decompressor.copy()
        try:
            out.append(decompressor.decompress(data[start : start + step]))
        except zlib.error:
            if step == 1:
                break
            decompressor, step = saved, 1
            continue
        start += step
    return b"".join(out)


def iter_lines(path: Path) -> Iterator[Line | FileProblem]:
    """Every line of a file (plain or gzip, UTF-8 BOM dropped), then a `FileProblem` if reading stopped early."""
    handle = _open(path)
    if isinstance(handle, FileProblem):
        yield handle
        return
    with handle:
        number, parts, size = 0, [], 0
        try:
            for chunk in _chunks(handle):
                start = 0
                while True:
                    end = chunk.find(b"\n", start)
                    piece = chunk[start:] if end < 0 else chunk[start:end]
                    if size <= MAX_LINE_BYTES:
                        parts.append(piece)
                    size += len(piece)
                    if end < 0:
                        break
                    number += 1
                    line = _line(number, parts, size)
                    if line is None:
                        yield FileProblem("UTF-16 text: save the file as UTF-8")
                        return
                    yield line
                    parts, size, start = [], 0, end + 1
        except _Damaged:
            yield FileProblem(f"corrupt gzip after {number} lines")
            return
        except OSError as error:
            yield FileProblem(f"read error after {number} lines ({error.strerror or error})")
            return
        if size:
            line = _line(number + 1, parts, size)
            yield line if line is not None else FileProblem("UTF-16 text: save the file as UTF-8")


def _line(number: int, parts: list[bytes], size: int) -> Line | None:
    data = b"".join(parts)
    if size > MAX_LINE_BYTES:
        data = data[:RAW_LIMIT]  # what the rejects file would keep anyway
    if number == 1:
        if data.startswith(UTF16_BOMS):
            return None
        if data.startswith(UTF8_BOM):
            data, size = data[len(UTF8_BOM) :], size - len(UTF8_BOM)
    return Line(number, data, size)


def read_document(path: Path) -> bytes | FileProblem:
    """A whole file's bytes (plain or gzip, UTF-8 BOM dropped), or why it cannot be read whole."""
    handle = _open(path)
    if isinstance(handle, FileProblem):
        return handle
    parts: list[bytes] = []
    size = 0
    with handle:
        try:
            for chunk in _chunks(handle):
                parts.append(chunk)
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    return FileProblem(f"larger than {MAX_DOCUMENT_BYTES >> 20} MiB: split it into smaller files")
        except _Damaged:
            lines = sum(part.count(b"\n") for part in parts)
            return FileProblem(f"corrupt gzip after {lines} lines")
        except OSError as error:
            return FileProblem(f"cannot read file ({error.strerror or error})")
    data = b"".join(parts)
    if data.startswith(UTF16_BOMS):
        return FileProblem("UTF-16 text: save the file as UTF-8")
    return data.removeprefix(UTF8_BOM)


def decode_utf8(data: bytes) -> str | tuple[int, str]:
    """The text, or `(line, reason)` naming the first byte that is not UTF-8 (Latin-1 text, binary data…)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - line_start + 1
        byte = data[error.start]
        return line, f"not UTF-8 text (byte 0x{byte:02x} at column {column}); Latin-1 or binary data?"


def read_text(path: Path, display: str) -> str | tuple[str, str]:
    """A whole file as UTF-8 text, or `(location, reason)` for a file that is not: `display`, with `:LINE` when
    the problem is at a line."""
    data = read_document(path)
    if isinstance(data, FileProblem):
        return display, data.reason
    text = decode_utf8(data)
    if isinstance(text, tuple):
        return f"{display}:{text[0]}", text[1]
    return text
