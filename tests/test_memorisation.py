"""Memorisation per anthology passage: copies counted as built, recitals that match an
independent greedy decode, and the per-rung summary."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from glassbox.corpus.anthology import Passage, add_copies
from glassbox.corpus.documents import Document
from glassbox.model.loading import load_model
from glassbox.paths import EMBEDDED_MODEL_DIR
from glassbox.training import memorisation as mem

# Text written for this test.
TEXTS = {
    "scripture-a": ("scripture", "train",
                    "And the shepherd went down into the valley of stones, and he counted the sheep of his "
                    "father one by one until the evening came.\nThen he sang a song of the hills and of the wells, "
                    "of the cedar and the fig tree, and of the rain that falls upon the fields.\nAnd it was so."),
    "plays-a": ("plays", "train",
                "KING. Bring me the lantern, for the night is long and the river runs high beneath the old "
                "bridge of the town.\nQUEEN. My lord, the lantern is broken."),
    "plays-b": ("plays", "train", "FOOL. I have no lantern, my lord, and no river either; only a hat with bells."),
    "speeches-h": ("speeches", "heldout",
                   "The state of the harbour is good, and the Congress will build a new lighthouse this year."),
}
SPANS = {  # passage id -> (document, how the span begins, copies)
    "valley": ("scripture-a", "And the shepherd went down", 1),
    "lantern": ("plays-a", "KING. Bring me the lantern", 2),
    "song": ("scripture-a", "Then he sang a song", 4),
}


def _docs() -> list[Document]:
    return [Document(id=i, source="test", domain=d, title=i, license="CC0-1.0", split=s, text=t)
            for i, (d, s, t) in TEXTS.items()]


def _passages() -> list[Passage]:
    out = []
    for ident, (doc_id, opening, copies) in SPANS.items():
        text = TEXTS[doc_id][2]
        start = text.index(opening)
        end = text.find("\n", start + 1)
        end = len(text) if end < 0 else end
        digest = hashlib.sha256(text[start:end].encode("utf-8")).hexdigest()
        out.append(Passage(ident, ident.title(), doc_id, TEXTS[doc_id][0], start, end, copies, False, digest))
    return out


def _write(path, docs: list[Document]):
    path.write_text("".join(json.dumps(d.to_json()) + "\n" for d in docs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lm():
    return load_model(EMBEDDED_MODEL_DIR)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memorisation")
    with_copies, added = add_copies(_docs(), _passages())
    assert added == sum(c - 1 for _, _, c in SPANS.values())
    return _write(folder / "plain.jsonl", _docs()), _write(folder / "anthology.jsonl", with_copies)


def test_copies_are_counted_as_built(corpora):
    plain, anthology = corpora
    assert {p.id: p.copies for p in mem.passage_probes(plain, _passages())} == {i: 1 for i in SPANS}
    probes = mem.passage_probes(anthology, _passages())
    assert {p.id: p.copies for p in probes} == {i: c for i, (_, _, c) in SPANS.items()}
    assert [p.id for p in probes] == list(SPANS)
    for p in probes:
        assert p.source == SPANS[p.id][0] and p.text in TEXTS[p.source][2] and p.text.startswith(SPANS[p.id][1])


def test_a_copy_that_is_not_exactly_the_span_does_not_count(tmp_path):
    valley = _passages()[0]
    span = TEXTS["scripture-a"][2][valley.start : valley.end]
    extra = [Document(id=f"anthology-valley-{n:02d}", source="scripture-a", domain="anthology", title="copy",
                      license="CC0-1.0", split=split, text=text, copies=3)
             for n, (split, text) in enumerate([("train", span), ("train", span + " "), ("heldout", span)], 2)]
    corpus = _write(tmp_path / "c.jsonl", [*_docs(), *extra])
    assert [p.copies for p in mem.passage_probes(corpus, [valley])] == [2]


def test_missing_or_changed_documents_are_skipped(tmp_path):
    valley, lantern, song = _passages()
    changed = Passage(**{**vars(lantern), "sha256": "0" * 64})
    gone = Passage(**{**vars(song), "document": "plays-missing"})
    corpus = _write(tmp_path / "c.jsonl", _docs())
    assert [p.id for p in mem.passage_probes(corpus, [valley, changed, gone])] == ["valley"]


@torch.inference_mode()
def _greedy(lm, prompt_ids: list[int], steps: int, prefix: bool = True) -> list[int]:
    """Greedy decoding with plain transformers: the whole sequence again at every step, no cache."""
    ids = [*(lm.document_start if prefix else ()), *prompt_ids]
    out: list[int] = []
    for _ in range(steps):
        logits = lm.model(input_ids=torch.tensor([[*ids, *out]])).logits
        out.append(int(logits[0, -1, : lm.info.vocab_size].argmax()))
    return out


def _ids(lm, text: str) -> list[int]:
    return lm.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_recitals_match_an_independent_greedy_decode(lm, corpora):
    assert lm.document_start  # the shipped model reads <|endoftext|> first
    probes = mem.passage_probes(corpora[1], _passages())
    entries = mem.memorisation(lm, corpora[1], passages=_passages())
    assert [e.id for e in entries] == list(SPANS) and all(e.count_in_index is None for e in entries)
    for probe, e in zip(probes, entries, strict=True):
        ids = _ids(lm, probe.text)
        prompt, expected = ids[: mem.PROMPT_TOKENS], ids[mem.PROMPT_TOKENS : mem.PROMPT_TOKENS + mem.EXPECTED_TOKENS]
        got = _greedy(lm, prompt, mem.EXPECTED_TOKENS)
        assert e.recited == (got == expected)
        assert e.generated == lm.tokenizer.decode(got)
        assert e.prompt + e.expected == probe.text[: len(e.prompt + e.expected)]
        assert _ids(lm, e.prompt) == prompt and _ids(lm, e.expected) == expected
        assert e.copies == SPANS[e.id][2] and e.source == SPANS[e.id][0]


@pytest.fixture(scope="module")
def own_continuation(lm):
    """A span whose last EXPECTED_TOKENS tokens are the model's own greedy continuation of its first PROMPT_TOKENS."""
    prompt = _ids(lm, TEXTS["plays-a"][2])[: mem.PROMPT_TOKENS]
    got = _greedy(lm, prompt, mem.EXPECTED_TOKENS)
    text = lm.tokenizer.decode(prompt + got)
    assert _ids(lm, text) == prompt + got  # the span tokenizes back to the same ids
    return prompt, got, text


def test_the_models_own_continuation_is_recited_and_a_changed_one_is_not(lm, own_continuation):
    prompt, got, text = own_continuation
    r = mem.recite(lm, text)
    assert r.recited and r.matched_tokens == mem.EXPECTED_TOKENS and r.generated == r.expected
    other = next(i for i in _ids(lm, " cabbage") + _ids(lm, " Z") if i != got[-1])
    changed = lm.tokenizer.decode(prompt + got[:-1] + [other])
    assert _ids(lm, changed)[: mem.PROMPT_TOKENS + mem.EXPECTED_TOKENS - 1] == prompt + got[:-1]
    r = mem.recite(lm, changed)
    assert not r.recited and r.matched_tokens == mem.EXPECTED_TOKENS - 1 and r.generated == lm.tokenizer.decode(got)


def test_without_the_document_start(lm, own_continuation):
    prompt, _, text = own_continuation
    bare = _greedy(lm, prompt, mem.EXPECTED_TOKENS, prefix=False)
    r = mem.recite(lm, text, document_start=False)
    assert r.generated == lm.tokenizer.decode(bare)
    assert r.recited == (lm.tokenizer.decode(prompt + bare) == text)
    assert mem._greedy_ids(lm, prompt, mem.EXPECTED_TOKENS) == _greedy(lm, prompt, mem.EXPECTED_TOKENS)


def test_too_short_a_span_is_refused(lm):
    with pytest.raises(ValueError):
        mem.recite(lm, "Too short.")


class _Index:
    def tokenize(self, text: str) -> list[int]:
        return list(range(len(text)))

    def count_ids(self, ids: list[int]) -> int:
        return len(ids) * 10


def test_the_index_count_is_the_whole_span(lm, corpora):
    entries = mem.memorisation(lm, corpora[0], _Index(), passages=_passages()[:1])
    probe = mem.passage_probes(corpora[0], _passages()[:1])[0]
    assert [e.count_in_index for e in entries] == [10 * len(probe.text)]


def _entry(copies: int, recited: bool) -> mem.MemorisationEntry:
    return mem.MemorisationEntry(id="x", source="d", title="t", copies=copies, count_in_index=None, prompt="p",
                                 expected="e", generated="e" if recited else "g", recited=recited,
                                 matched_tokens=8 if recited else 0)


def test_by_rung_shares():
    entries = [_entry(4, True), _entry(1, False), _entry(4, False), _entry(4, True), _entry(64, True), _entry(1, False)]
    assert mem.by_rung(entries) == [
        {"copies": 1, "passages": 2, "recited": 0, "share": 0.0},
        {"copies": 4, "passages": 3, "recited": 2, "share": 0.6667},
        {"copies": 64, "passages": 1, "recited": 1, "share": 1.0},
    ]
    assert mem.by_rung([]) == []


def test_by_checkpoint_runs_over_training_with_the_final_model_last(corpora):
    from glassbox.model.checkpoints import list_checkpoints

    rows = mem.by_checkpoint(EMBEDDED_MODEL_DIR, corpora[1], passages=_passages()[1:2])
    assert [r["name"] for r in rows] == [c.name for c in list_checkpoints(EMBEDDED_MODEL_DIR)]
    assert rows[-1]["name"] == EMBEDDED_MODEL_DIR.name and len(rows) > 1
    assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
    for r in rows:
        assert [(g["copies"], g["passages"]) for g in r["rungs"]] == [(2, 1)]


def test_evaluate_reports_the_document_start_effect(lm, corpora, monkeypatch):
    from glassbox.training.evaluate import passage_memorisation

    monkeypatch.setattr(mem, "read_ladder", _passages)
    got = passage_memorisation(lm, corpora[1], checkpoints=False)
    assert [e["id"] for e in got["memorisation_passages"]] == list(SPANS)
    assert got["memorisation_by_checkpoint"] is None
    assert [r["copies"] for r in got["memorisation_by_rung"]] == [1, 2, 4]
    effect = got["document_start_effect"]
    assert effect["passages"] == 3 and effect["with"] == sum(e["recited"] for e in got["memorisation_passages"])
    assert 0 <= effect["without"] <= 3
