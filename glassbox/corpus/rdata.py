"""Read character vectors out of an installed R package's lazy-load data (`data/Rdata.rdb` + `.rdx`).

R packages ship their data sets as a "lazy-load database": the `.rdx` file is a zlib-compressed,
XDR-serialized index (name -> byte range), and each range of the `.rdb` file is one compressed,
serialized R object. This module implements just enough of R's serialization format (version 2
and 3, XDR) to read plain vectors, lists, pairlists and attributes. It leaves out environments,
closures, byte code and the other object kinds that data sets of text never contain.

Why not PyPI's `rdata` (1.1.0, judged against the janeaustenr data): it reads .rda and .rds files,
but not a lazy-load database (`read_rda` on the .rdb says "Unknown file format"). It can parse one
object once this module has unwrapped and decompressed it, but it needs pandas and xarray (about
100 MB) to hand back the few character vectors the corpus needs, so the small reader stays.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import struct
import zlib
from pathlib import Path

NIL, SYM, PAIRLIST, CHAR, LGL, INT, REAL, STR, VEC, EXPR = 254, 1, 2, 9, 10, 13, 14, 16, 19, 20
SPECIAL_ENVS = {242, 241, 253, 252, 251, 247}  # empty/base/global env, unbound, missing arg, base namespace
REF = 255
NA_INT = -(2**31)
LATIN1_MASK = 1 << 2  # in a CHARSXP's "levels" (flags >> 12); UTF-8 and ASCII strings decode as UTF-8


class RDataError(ValueError):
    """The bytes are not an R serialization this reader understands."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.refs: list[object] = []

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise RDataError("truncated R data")
        self.pos += n
        return chunk

    def int(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def length(self) -> int:
        n = self.int()
        if n == -1:  # long vector: two more ints
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        return n

    def header(self) -> None:
        if self.take(2) != b"X\n":
            raise RDataError("not an XDR R serialization")
        version = self.int()
        self.int(), self.int()  # writer and minimal reader R versions
        if version == 3:
            self.take(self.int())  # native encoding name
        elif version != 2:
            raise RDataError(f"R serialization version {version}")

    def item(self) -> object:
        flags = self.int()
        kind = flags & 0xFF
        has_attr, has_tag = bool(flags & 512), bool(flags & 1024)
        if kind == NIL or kind in SPECIAL_ENVS:
            return None
        if kind == REF:
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == SYM:
            name = self.item()
            self.refs.append(name)
            return name
        if kind == CHAR:
            n = self.int()
            latin1 = (flags >> 12) & LATIN1_MASK
            return None if n == -1 else self.take(n).decode("latin-1" if latin1 else "utf-8")
        if kind == PAIRLIST:
            return self.pairlist(has_attr, has_tag)
        if kind in (LGL, INT):
            n = self.length()
            value: object = [None if v == NA_INT else v for v in struct.unpack(f">{n}i", self.take(4 * n))]
        elif kind == REAL:
            n = self.length()
            value = list(struct.unpack(f">{n}d", self.take(8 * n)))
        elif kind == STR:
            value = [self.item() for _ in range(self.length())]
        elif kind in (VEC, EXPR):
            value = [self.item() for _ in range(self.length())]
        else:
            raise RDataError(f"R object type {kind} is not supported")
        if has_attr:
            attrs = self.item()
            names = attrs.get("names") if isinstance(attrs, dict) else None
            if kind in (VEC, EXPR) and names is not None:
                return dict(zip(names, value, strict=True))
        return value

    def pairlist(self, has_attr: bool, has_tag: bool) -> dict:
        out: dict = {}
        while True:
            if has_attr:
                self.item()
            tag = self.item() if has_tag else str(len(out))
            out[tag] = self.item()
            flags = self.int()
            if flags & 0xFF == NIL:
                return out
            if flags & 0xFF != PAIRLIST:
                raise RDataError("malformed pairlist")
            has_attr, has_tag = bool(flags & 512), bool(flags & 1024)


def unserialize(data: bytes) -> object:
    """One R object from its XDR serialization (as `serialize()` or `saveRDS()` writes it)."""
    reader = _Reader(data)
    reader.header()
    return reader.item()


def _decompress(chunk: bytes) -> bytes:
    """A lazy-load record: 4-byte big-endian size, then zlib data (or a type byte and bzip2/xz)."""
    size = struct.unpack(">I", chunk[:4])[0]
    kind = chunk[4:5]
    if kind == b"2":
        return bz2.decompress(chunk[5:])
    if kind == b"X":
        return lzma.decompress(chunk[5:])
    if kind == b"0":
        return chunk[5 : 5 + size]
    return zlib.decompress(chunk[4:])


def read_lazyload(base: Path) -> dict[str, object]:
    """Every object of the database `base`.rdb/.rdx, by name (e.g. `.../data/Rdata`)."""
    base = Path(base)
    raw = base.with_suffix(".rdx").read_bytes()
    index = unserialize(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else _decompress(raw))
    if not isinstance(index, dict) or "variables" not in index:
        raise RDataError(f"{base}.rdx is not a lazy-load index")
    blob = base.with_suffix(".rdb").read_bytes()
    out: dict[str, object] = {}
    for name, (offset, length) in index["variables"].items():
        out[name] = unserialize(_decompress(blob[offset : offset + length]))
    return out
