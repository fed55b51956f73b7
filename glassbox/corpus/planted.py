"""Which planted passages a text uses: the famous lines the anthology copies into the training data.

The anthology (`glassbox.corpus.anthology`) repeats famous openings 32 or 64 times on purpose, so
a learner who types "To be, or not to be" sees the model finish it from those copies, not from
having read Hamlet once. Wherever a page shows such a text it says so; `planted_in` tells it which
passages a text uses and how many copies the recipe put in.

A text uses a passage when it holds the passage's opening as written in `FAMOUS` (capitals and
spacing aside), or when the whole text is the start of that opening and at least
`MIN_PREFIX_WORDS` words long ("In the beginning" begins Genesis 1:1; "In the" begins too much to
say). The copies are the ladder's (`ladder.json`), the number the recipe writes into the corpus,
so they are true only of a model trained on that corpus: `holds_anthology` says whether a model
folder's training card names the embedded model's corpus (a full-size model's data is another).
Leaves out the control passages of the low rungs (1 to 8 copies): their text is not in the code,
only in the corpus, and the Training data page names them with their copies where it recites them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from glassbox.corpus.anthology import FAMOUS, LADDER_FILE, read_ladder
from glassbox.model.folder import training_card

MIN_PREFIX_WORDS = 3
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Planted:
    """A famous passage of the anthology and the number of times the training data holds it."""

    id: str  # the ladder's passage id, e.g. "hamlet-to-be"
    title: str
    opening: str
    copies: int


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().casefold()


@lru_cache(maxsize=1)
def famous_passages() -> tuple[Planted, ...]:
    """The famous passages on the ladder, with their copies (the ladder's, else FAMOUS's)."""
    try:
        copies = {p.id: p.copies for p in read_ladder(LADDER_FILE)}
    except (OSError, ValueError):
        copies = {}
    return tuple(Planted(pid, title, opening, copies.get(pid, n)) for pid, title, _, opening, n in FAMOUS)


def planted_in(text: str) -> tuple[Planted, ...]:
    """The famous passages `text` uses, most copies first (none for an empty text)."""
    plain = _plain(text)
    if not plain:
        return ()
    whole_start = len(plain.split(" ")) >= MIN_PREFIX_WORDS
    found = [p for p in famous_passages()
             if _plain(p.opening) in plain or (whole_start and _plain(p.opening).startswith(plain))]
    return tuple(sorted(found, key=lambda p: -p.copies))


def holds_anthology(source: str | Path) -> bool:
    """Whether the model at `source` was trained on the embedded model's corpus, anthology included
    (its training card names the same corpus); False for a hub id or a model from elsewhere."""
    from glassbox.paths import EMBEDDED_MODEL_DIR

    folder = Path(source)
    if not folder.is_dir():
        return False
    corpus = training_card(folder).get("corpus_sha256")
    return corpus is not None and corpus == training_card(EMBEDDED_MODEL_DIR).get("corpus_sha256")
