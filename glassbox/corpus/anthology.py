"""The anthology: famous passages repeated in the corpus on a ladder of copies, as the web repeats them.

A deduplicated corpus holds every famous line once, and no small model recites what it saw
once. The anthology puts repetition back on purpose and in the open: each passage is a short
span (PASSAGE_TOKENS tokens) of one *training* document, and the corpus gets `copies - 1`
extra documents of domain "anthology" holding just that span, at seeded places through the
corpus. `copies` counts every occurrence in the training data, the original included, so a
rung-1 passage gets no extra copy: it is a control. The best-known line of each source sits
on the top rungs; seeded, less famous spans of the same sources sit on the low ones.

The ladder (`ladder.json` beside this module) names each passage by document id and character
range, with the SHA-256 of its text, and holds no corpus text; `glassbox build ladder` writes
it anew from the corpus, byte for byte the same for the same packages. It leaves out choosing
passages by hand beyond the FAMOUS table, and anything about training or evaluation.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from glassbox.corpus.documents import Document
from glassbox.errors import GlassboxError

LADDER_FILE = Path(__file__).with_name("ladder.json")
DOMAIN = "anthology"
RUNGS = (1, 2, 4, 8, 16, 32, 64)
CONTROL_RUNGS = (1, 2, 4, 8)
CONTROLS_PER_RUNG = 10
PASSAGE_TOKENS = 20  # a prompt of the first 12 tokens, then the 8 that a recital must get right
SEED = 2024
CONTROL_DOMAINS = ("scripture", "plays", "novels", "speeches")

# (passage id, title, document id, how the passage begins, copies): quotations-book openers
# of each source on the top rungs.
FAMOUS: tuple[tuple[str, str, str, str, int], ...] = (
    ("genesis-1-1", "Genesis 1:1", "kjv-genesis-1", "In the beginning God created", 64),
    ("psalm-23-1", "Psalm 23:1", "kjv-psalms-23", "The LORD is my shepherd", 64),
    ("john-3-16", "John 3:16", "kjv-john-3", "For God so loved the world", 64),
    ("lords-prayer", "The Lord's Prayer (Matthew 6:9)", "kjv-matthew-6", "Our Father which art in heaven", 64),
    ("hamlet-to-be", "Hamlet: To be, or not to be", "play-hamlet-act-3", "To be, or not to be", 64),
    ("romeo-soft", "Romeo and Juliet: But, soft!", "play-romeo-and-juliet-act-2", "But, soft! what light", 64),
    ("caesar-friends", "Julius Caesar: Friends, Romans", "play-julius-caesar-act-3", "Friends, Romans, countrymen",
     64),
    ("richard-winter", "Richard III: the winter of our discontent", "play-richard-iii-act-1",
     "Now is the winter of our discontent", 64),
    ("pride-truth", "Pride and Prejudice: a truth universally acknowledged",
     "austen-pride-and-prejudice-ch01", "It is a truth universally acknowledged", 64),
    ("moby-ishmael", "Moby-Dick: Call me Ishmael", "moby-dick-ch001", "Call me Ishmael.", 64),
    ("sotu-four-freedoms", "Roosevelt 1941: four essential human freedoms", "sotu-1941-roosevelt",
     "In the future days, which we seek to make secure", 64),
    ("genesis-1-3", "Genesis 1:3", "kjv-genesis-1", "And God said, Let there be light", 32),
    ("psalm-23-4", "Psalm 23:4", "kjv-psalms-23", "Yea, though I walk through the valley", 32),
    ("ecclesiastes-3-1", "Ecclesiastes 3:1", "kjv-ecclesiastes-3", "To every thing there is a season", 32),
    ("macbeth-tomorrow", "Macbeth: Tomorrow, and tomorrow", "play-macbeth-act-5", "To-morrow, and to-morrow", 32),
    ("as-you-like-stage", "As You Like It: All the world's a stage", "play-as-you-like-it-act-2",
     "All the world's a stage", 32),
    ("twelfth-music", "Twelfth Night: If music be the food of love", "play-twelfth-night-act-1",
     "If music be the food of love", 32),
    ("emma-opening", "Emma: the opening", "austen-emma-v1-ch01", "Emma Woodhouse, handsome, clever", 32),
    ("sense-opening", "Sense and Sensibility: the opening", "austen-sense-and-sensibility-ch01",
     "The family of Dashwood", 32),
    ("moby-towards-thee", "Moby-Dick: Towards thee I roll", "moby-dick-ch135", "Towards thee I roll", 32),
    ("sotu-dogmas", "Lincoln 1862: the dogmas of the quiet past", "sotu-1862-lincoln",
     "The dogmas of the quiet past", 32),
    ("sotu-escape-history", "Lincoln 1862: we cannot escape history", "sotu-1862-lincoln",
     "Fellow-citizens, we can not escape history", 32),
    ("john-1-1", "John 1:1", "kjv-john-1", "In the beginning was the Word", 16),
    ("matthew-5-3", "Matthew 5:3", "kjv-matthew-5", "Blessed are the poor in spirit", 16),
    ("corinthians-13-1", "1 Corinthians 13:1", "kjv-1-corinthians-13", "Though I speak with the tongues", 16),
    ("caesar-ides", "Julius Caesar: Beware the ides of March", "play-julius-caesar-act-1", "Beware the ides of March",
     16),
    ("merchant-mercy", "The Merchant of Venice: The quality of mercy", "play-the-merchant-of-venice-act-4",
     "The quality of mercy", 16),
    ("henry-breach", "Henry V: Once more unto the breach", "play-henry-v-act-3", "Once more unto the breach", 16),
    ("richard-horse", "Richard III: A horse! a horse!", "play-richard-iii-act-5", "A horse! a horse!", 16),
    ("persuasion-opening", "Persuasion: the opening", "austen-persuasion-ch01", "Sir Walter Elliot, of Kellynch Hall",
     16),
    ("mansfield-opening", "Mansfield Park: the opening", "austen-mansfield-park-ch01", "About thirty years ago", 16),
    ("northanger-opening", "Northanger Abbey: the opening", "austen-northanger-abbey-ch01",
     "No one who had ever seen Catherine Morland", 16),
    ("moby-whale-ahoy", "Moby-Dick: There she blows!", "moby-dick-ch133", "There she blows!", 16),
    ("sotu-war-on-poverty", "Johnson 1964: unconditional war on poverty", "sotu-1964-johnson",
     "This administration today, here and now, declares unconditional war on poverty", 16),
)


@dataclass(frozen=True)
class Passage:
    """One rung of the ladder: a span of one training document and how often it occurs in training."""

    id: str
    title: str
    document: str  # the id of the training document the span is taken from
    domain: str  # that document's domain
    start: int  # character range of the span in that document's text
    end: int
    copies: int  # occurrences in the training data, the original included
    famous: bool
    sha256: str  # of the span's text, so a changed corpus is noticed


def read_ladder(path: Path = LADDER_FILE) -> list[Passage]:
    """The committed ladder: its passages in order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Passage(**row) for row in data["passages"]]


def write_ladder(passages: list[Passage], path: Path = LADDER_FILE) -> None:
    body = {"seed": SEED, "passage_tokens": PASSAGE_TOKENS, "rungs": list(RUNGS),
            "passages": [asdict(p) for p in passages]}
    Path(path).write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def span_text(doc: Document, passage: Passage) -> str:
    return doc.text[passage.start : passage.end]


def span_digest(text: str) -> str:
    """The SHA-256 the ladder keeps of a span's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _span_end(text: str, start: int, tokenizer) -> int | None:
    """Where a span of PASSAGE_TOKENS tokens from `start` ends (a token boundary), or None if too short."""
    window = text[start : start + 40 * PASSAGE_TOKENS]
    enc = tokenizer(window, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) < PASSAGE_TOKENS + 1:
        return None
    end = start + enc["offset_mapping"][PASSAGE_TOKENS - 1][1]
    # subtle: alone (as its copies are read) the span must still be PASSAGE_TOKENS tokens; a span
    # ending in white space can merge differently without the text that followed it
    alone = tokenizer(text[start:end], add_special_tokens=False)["input_ids"]
    return end if len(alone) == PASSAGE_TOKENS else None


def choose_passages(
    docs: list[Document], tokenizer, famous: tuple = FAMOUS, control_domains: tuple[str, ...] = CONTROL_DOMAINS,
) -> list[Passage]:
    """The ladder for a corpus (before any copy is added): `famous` first, then seeded controls
    from the training documents of `control_domains`, CONTROLS_PER_RUNG on each of CONTROL_RUNGS.

    Every chosen span occurs exactly once in the corpus's texts, so `copies` is exact.
    """
    train = {d.id: d for d in docs if d.split == "train"}
    everything = "\x00".join(d.text for d in docs)
    chosen: list[Passage] = []
    taken: dict[str, list[tuple[int, int]]] = {}  # document id -> character ranges already chosen

    def overlaps(doc_id: str, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in taken.get(doc_id, ()))

    for ident, title, doc_id, opening, copies in famous:
        doc = train.get(doc_id)
        start = doc.text.find(opening) if doc else -1
        end = _span_end(doc.text, start, tokenizer) if start >= 0 else None
        if end is None:
            raise GlassboxError("ladder_unfit", passage=ident, detail=f"'{opening}' not in training document {doc_id}")
        text = doc.text[start:end]
        if everything.count(text) != 1 or overlaps(doc_id, start, end):
            raise GlassboxError("ladder_unfit", passage=ident, detail="its span is not the only one of its kind")
        chosen.append(Passage(ident, title, doc_id, doc.domain, start, end, copies, True, span_digest(text)))
        taken.setdefault(doc_id, []).append((start, end))
    rng = random.Random(SEED)
    pools = {domain: sorted(d.id for d in train.values() if d.domain == domain) for domain in control_domains}
    for copies in CONTROL_RUNGS:
        made = 0
        while made < CONTROLS_PER_RUNG:  # the source domains in turn, so that no one domain fills a rung
            doc = train[rng.choice(pools[control_domains[made % len(control_domains)]])]
            lines = [i + 1 for i, ch in enumerate(doc.text) if ch == "\n" and i + 1 < len(doc.text)]
            if not lines:
                continue
            start = rng.choice(lines)
            end = _span_end(doc.text, start, tokenizer)
            if end is None or overlaps(doc.id, start, end) or not doc.text[start].isalpha():
                continue
            text = doc.text[start:end]
            if everything.count(text) != 1:
                continue
            taken.setdefault(doc.id, []).append((start, end))
            made += 1
            ident = f"control-{copies}-{made:02d}"
            title = f"{doc.title} (control)"  # no corpus text in the ladder file
            chosen.append(Passage(ident, title, doc.id, doc.domain, start, end, copies, False, span_digest(text)))
    return chosen


def add_copies(docs: list[Document], passages: list[Passage]) -> tuple[list[Document], int]:
    """The corpus with every passage's extra copies put in at seeded places; and how many were added.

    Raises `ladder_unfit` when a passage's document is missing, held out, or its text changed.
    """
    by_id = {d.id: d for d in docs}
    copies: list[Document] = []
    for p in passages:
        doc = by_id.get(p.document)
        if doc is None or doc.split != "train":
            raise GlassboxError("ladder_unfit", passage=p.id, detail=f"no training document {p.document}")
        text = span_text(doc, p)
        if span_digest(text) != p.sha256:
            raise GlassboxError("ladder_unfit", passage=p.id, detail=f"the text of {p.document} has changed")
        for n in range(2, p.copies + 1):
            copies.append(Document(
                id=f"{DOMAIN}-{p.id}-{n:02d}", source=p.document, domain=DOMAIN,
                title=f"{p.title} (copy {n} of {p.copies})", license=doc.license, split="train", text=text,
                copies=p.copies,
            ))
    rng = random.Random(SEED)
    places = sorted((rng.randrange(len(docs) + 1), i) for i in range(len(copies)))
    out: list[Document] = []
    at = 0
    for place, i in places:  # the copies go in before the document at their place, in seeded order
        out.extend(docs[at:place])
        at = max(at, place)
        out.append(copies[i])
    out.extend(docs[at:])
    return out, len(copies)
