"""Text clean-up shared by the corpus sources: normalising, stripping markup, splitting, near-duplicates.

Every document passes through `normalise` (NFC, `\\n` newlines, no trailing spaces, at most one
blank line in a row). Sources with markup call `strip_markdown` first; sources with hard-wrapped
lines call `unwrap`. It leaves out language detection and spelling changes: the text stays as
the package ships it, minus formatting.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable

INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f"), " ")
BLANK_RUNS = re.compile(r"\n{3,}")
TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s*")
BOLD_LINE = re.compile(r"^\*\*([^*]+?)\*\*$")
MARKS = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])|[*_]+")  # an escaped character, or emphasis marks
HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")


def normalise(text: str) -> str:
    """NFC, `\\n` line ends, no invisible characters, no trailing spaces, single blank lines."""
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE).translate(SPACES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = TRAILING.sub("", text)
    text = BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n ")


def strip_markdown(text: str) -> str:
    """Plain text from the Markdown the play files use: headings, bold speaker lines, italics, escapes.

    A line that is only a bold name (`**HAMLET**`) becomes `HAMLET:` so the speaker stays visible.
    """
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        line = HEADING.sub("", line)
        speaker = BOLD_LINE.match(line)
        if speaker:
            line = speaker.group(1).strip().rstrip(".:") + ":"
        line = HTML_TAG.sub("", line)
        line = MARKS.sub(lambda m: m.group(1) or "", line)
        out.append(line.strip())
    return "\n".join(out)


def unwrap(lines: Iterable[str]) -> str:
    """Join hard-wrapped lines into one line per paragraph; blank lines separate paragraphs."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def split_long(text: str, limit: int = 60_000) -> list[str]:
    """`text` in as few pieces as keep each under `limit` characters, cut at paragraph breaks.

    The pieces come out about equal in size. A single paragraph longer than `limit` is cut at
    line breaks, then at sentence ends, as a last resort.
    """
    if len(text) <= limit:
        return [text]
    parts = math.ceil(len(text) / limit)
    target = len(text) / parts
    units = _units(text, limit)
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        if current and (size + len(unit) > limit or size >= target):
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit) + 2
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _units(text: str, limit: int) -> list[str]:
    units: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit // 4:
            units.append(paragraph)
            continue
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph)
        chunk = ""
        for sentence in sentences:
            if chunk and len(chunk) + len(sentence) > limit // 4:
                units.append(chunk)
                chunk = ""
            chunk = f"{chunk} {sentence}" if chunk else sentence
        if chunk:
            units.append(chunk)
    return units


def slug(text: str) -> str:
    """A lower-case ASCII id fragment: 'Henry IV, Part 1' -> 'henry-iv-part-1'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def text_hash(text: str) -> str:
    """The SHA-256 of the text, for exact-duplicate detection."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sketch(text: str, shingle: int = 8, size: int = 64) -> frozenset[int]:
    """A bottom-k MinHash sketch of the text's word 8-grams (for near-duplicate detection)."""
    words = re.findall(r"\w+", text.lower())
    grams = {" ".join(words[i : i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
    hashes = sorted(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams)
    return frozenset(hashes[:size])


def resemblance(a: frozenset[int], b: frozenset[int], size: int = 64) -> float:
    """Estimated Jaccard similarity of two texts from their sketches."""
    union = sorted(a | b)[:size]
    if not union:
        return 1.0
    both = a & b
    return sum(1 for h in union if h in both) / len(union)
