"""How tokens are shown to a learner, and where each one sits in the original text.

Byte-level BPE tokens are byte strings. A token may hold only part of a multi-byte character
(Korean syllables and emoji are 3-4 bytes), so rendering decodes whole pieces where it can and
shows stray bytes as hex, never as mojibake. Offsets come from walking the bytes of the text,
so they always cover it and slice back to the characters each token's bytes belong to.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from glassbox.errors import GlassboxError

VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Token:
    """One token of a text: id, readable text, and [start, end) character offsets."""

    id: int
    text: str  # readable rendering: ␣ for space, ↵ for newline, ⟨EC 95⟩ for stray bytes
    start: int
    end: int
    special: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "start": self.start, "end": self.end}


@lru_cache(maxsize=1)
def _unicode_to_byte() -> dict[str, int]:
    # The GPT-2 byte-level alphabet: printable bytes map to themselves, the rest to U+0100+.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class TokenBytes:
    """Maps token ids to their exact bytes for one tokenizer (cached per tokenizer)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.added = {i: t.content for i, t in tokenizer.added_tokens_decoder.items()}
        self.special = {i for i, t in tokenizer.added_tokens_decoder.items() if t.special}
        self._table = _unicode_to_byte()
        self._cache: dict[int, bytes] = {}
        self._shown: dict[int, str] = {}  # readable renderings, filled on first use

    def __call__(self, token_id: int) -> bytes:
        got = self._cache.get(token_id)
        if got is None:
            if token_id in self.added:
                got = self.added[token_id].encode("utf-8")
            else:
                piece = self.tokenizer.convert_ids_to_tokens(token_id) or ""
                got = bytes(self._table.get(ch, 0x3F) for ch in piece)
            self._cache[token_id] = got
        return got

    def readable(self, token_id: int) -> str:
        shown = self._shown.get(token_id)
        if shown is None:
            data = self(token_id)
            if not data and token_id not in self.added:
                shown = f"⟨unused {token_id}⟩"  # padding rows of the embedding, not in the vocabulary
            else:
                shown = readable(data)
            self._shown[token_id] = shown
        return shown


def readable(data: bytes) -> str:
    """A token's bytes as a learner can read them: whitespace made visible, stray bytes as hex."""
    out: list[str] = []
    i = 0
    while i < len(data):
        # Take the longest run that decodes as UTF-8 from here; else one byte as hex.
        for j in range(len(data), i, -1):
            try:
                chunk = data[i:j].decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append("".join(VISIBLE.get(c, _control(c)) for c in chunk))
            i = j
            break
        else:
            run = []
            while i < len(data):
                try:
                    data[i:].decode("utf-8")
                    break
                except UnicodeDecodeError as err:
                    if err.start != 0:
                        break
                    run.append(f"{data[i]:02X}")
                    i += 1
            out.append("⟨" + " ".join(run) + "⟩")
    return "".join(out)


def _control(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in VISIBLE:
        return f"⟨U+{ord(ch):04X}⟩"
    return ch


def normalise(text: str) -> str:
    """The text as the tokenizer sees it (NFC), so offsets refer to what was inspected.

    A lone surrogate (what is left of an undecodable byte in a command-line argument, say) is
    no Unicode character: it is refused here with a clear message, before any tokenizer sees it.
    """
    check_unicode(text)
    return unicodedata.normalize("NFC", text)


def check_unicode(text: str) -> str:
    """`text` itself, or GlassboxError("text_not_unicode") naming where a lone surrogate sits."""
    bad = SURROGATE.search(text)
    if bad is not None:
        raise GlassboxError("text_not_unicode", position=bad.start())
    return text


def char_offsets(text: str, pieces: list[bytes]) -> list[tuple[int, int]]:
    """[start, end) character offsets of each byte piece; pieces must concatenate to the text.

    A token holding part of a character gets that whole character's span, so several tokens
    may share one character (subtle: offsets overlap only there).
    """
    # byte position -> index of the character that byte belongs to (itself, in ASCII text)
    owner: Sequence[int] = range(len(text))
    if len(text.encode("utf-8")) != len(text):
        owner = []
        for ci, ch in enumerate(text):
            owner.extend([ci] * len(ch.encode("utf-8")))
    spans = []
    pos = 0
    for piece in pieces:
        if not piece:
            spans.append((owner[pos] if pos < len(owner) else len(text),) * 2)
            continue
        start = owner[pos]
        end = owner[pos + len(piece) - 1] + 1
        spans.append((start, end))
        pos += len(piece)
    if pos != len(owner):
        raise ValueError("token bytes do not add up to the text")
    return spans


def tokenize(tokenizer, text: str, token_bytes: TokenBytes | None = None) -> list[Token]:
    """Tokens of `text` (already NFC) with readable renderings and character offsets."""
    tb = token_bytes or TokenBytes(tokenizer)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return tokens_from_ids(ids, text, tb)


def tokens_from_ids(ids: list[int], text: str, tb: TokenBytes) -> list[Token]:
    """Token records for ids whose bytes spell `text` exactly."""
    pieces = [tb(i) for i in ids]
    offsets = char_offsets(text, pieces)
    return [
        Token(id=int(i), text=tb.readable(i), start=s, end=e, special=i in tb.special)
        for i, p, (s, e) in zip(ids, pieces, offsets, strict=True)
    ]


def decode_bytes(pieces: list[bytes]) -> str:
    """Text of concatenated token bytes; an unfinished character at the end is dropped."""
    data = b"".join(pieces)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.end == len(data):
            return data[: err.start].decode("utf-8", errors="replace")
        return data.decode("utf-8", errors="replace")


def _stray_bytes(err: UnicodeDecodeError) -> tuple[str, int]:
    return "⟨" + " ".join(f"{b:02X}" for b in err.object[err.start : err.end]) + "⟩", err.end


codecs.register_error("glassbox-stray-bytes", _stray_bytes)


def decode_shown(pieces: Sequence[bytes]) -> str:
    """Text of concatenated token bytes as a reader should see it: bytes that are no UTF-8 character
    (pieces of a character the model never finished, or put together wrongly) show as ⟨EC 95⟩, as
    the token chips show them, never as �. Spaces and new lines stay as they are."""
    return b"".join(pieces).decode("utf-8", errors="glassbox-stray-bytes")
