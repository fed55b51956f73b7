"""Tracing, counts, ∞-grams and novelty on the real fixture index (built once: the `index` fixture in conftest.py)."""

from __future__ import annotations

import json
import math
import re

import pytest
from index_helpers import DOCS, naive_count

from glassbox import cli
from glassbox.errors import GlassboxError
from glassbox.index import ngrams as gn
from glassbox.index import trace as gt

TEXTS = {d[0]: d[3] for d in DOCS if d[2] == "train"}
DOMAIN = {d[0]: d[1] for d in DOCS}

# Written to reuse fixture phrases across sentence ends, newlines and in the middle of other words.
MIXED = (
    "At home we gather in the morning light to cook. The candle burns low in the tower.\n"
    "Then bring another candle, for the night is long! Mara counted the coins twice, "
    "and the old gate creaked behind her. Unrelated words: zebra quilts overheat."
)


@pytest.fixture(scope="session")
def mixed(index):
    return gt.trace(index, MIXED)


def test_spans_are_found_verbatim_in_every_document_listed(mixed, index, train_tokens):
    assert len(mixed.spans) >= 3
    for span in mixed.spans:
        assert MIXED[span.start : span.end] == span.text
        assert span.docs and len(span.docs) <= 10
        for doc in span.docs:
            assert span.text in TEXTS[doc.doc_id]
            assert doc.snippet[doc.match_start : doc.match_end] == span.text
            assert doc.snippet.strip("…") in TEXTS[doc.doc_id]
            assert doc.domain == DOMAIN[doc.doc_id] and doc.title == doc.doc_id.upper()
        ids = index.tokenize(MIXED)
        assert span.count == naive_count(train_tokens, _span_ids(index, MIXED, span, ids)) >= len(span.docs)


def _span_ids(index, text, span, ids):
    """The span's own tokens, cut out of the text's tokens by their offsets."""
    from glassbox.tokens import tokenize

    toks = tokenize(index.tokenizer, text, index.token_bytes)
    return [t.id for t in toks if t.end > span.start and t.start < span.end]


def test_spans_respect_sentence_and_word_boundaries(mixed):
    for span in mixed.spans:
        assert "\n" not in span.text
        assert not re.search(r"[.!?]\s", span.text), span.text
        assert span.text == span.text.strip()
        before = MIXED[span.start - 1] if span.start else " "
        after = MIXED[span.end] if span.end < len(MIXED) else " "
        assert before.isspace() or (span.text[0].isalnum() and not before.isalnum())
        assert not (after.isalnum() and span.text[-1].isalnum())
        assert span.length_tokens >= gt.MIN_SPAN_TOKENS


def test_a_copied_sentence_is_found_whole_and_stops_at_its_end(index):
    got = gt.trace(index, "Marcus said: Then bring another candle, for the night is long. Zebra quilts overheat.")
    texts = [s.text for s in got.spans]
    assert "Then bring another candle, for the night is long." in texts  # not from ":" (punctuation after a word)
    assert not any("Zebra" in t for t in texts)


def test_span_budget_and_distinctiveness_order(index, mixed):
    assert len(mixed.spans) <= max(math.ceil(0.05 * mixed.tokens), 3)
    everything = gt.find_spans(index, mixed.text, _toks(index, MIXED), index.tokenize(MIXED))
    assert len(everything) > len(mixed.spans)  # some were dropped as less distinctive
    kept = {(s.start, s.end) for s in mixed.spans}
    ids, toks = index.tokenize(MIXED), _toks(index, MIXED)
    dropped = [
        -float(index.unigram_logprob[ids[i:j]].sum()) / math.log(10)
        for i, j in everything
        if (_strip(toks[i].start, toks[j - 1].end), toks[j - 1].end) not in kept
    ]
    assert min(s.distinctiveness for s in mixed.spans) >= max(dropped) - 1e-6
    for s in mixed.spans:
        assert s.distinctiveness > 0


def test_every_maximal_match_is_kept_with_its_true_count(index, mixed, train_tokens):
    ids, toks = index.tokenize(MIXED), _toks(index, MIXED)
    everything = gt.find_spans(index, mixed.text, toks, ids)
    assert [(m.first_token, m.first_token + m.length_tokens) for m in mixed.matches] == everything
    assert [m for m in mixed.matches if m.distinctive] == list(mixed.spans)
    for m in mixed.matches:
        assert MIXED[m.start : m.end] == m.text
        assert m.count == naive_count(train_tokens, ids[m.first_token : m.first_token + m.length_tokens]) >= 1
        assert bool(m.docs) == m.distinctive  # documents are read for the distinctive ones only
    # a phrase of the data, inside the text, that is not among the distinctive spans
    gate = next(m for m in mixed.matches if m.text == "the old gate")
    assert not gate.distinctive and gate.count == gn.count(index, "the old gate") == 1
    assert mixed.to_json()["match_count"] == len(mixed.matches) > len(mixed.spans)


def test_documents_of_any_match_on_request(index, mixed):
    gate = next(m for m in mixed.matches if m.text == "the old gate")
    got = gt.with_documents(index, mixed, gate)
    assert got.docs and got.documents == len(got.docs) == 1  # one occurrence, all read
    assert {d.doc_id for d in got.docs} == {d[0] for d in DOCS if d[2] == "train" and "the old gate" in d[3]}
    for doc in got.docs:
        assert doc.snippet[doc.match_start : doc.match_end] == "the old gate"
        assert doc.relevance in {"high", "medium", "low"}
    assert gt.with_documents(index, mixed, mixed.spans[0]) is mixed.spans[0]  # read already


def test_documents_held_is_counted_only_when_every_occurrence_was_read(mixed):
    for span in mixed.spans:
        assert len(span.docs) <= span.count  # an occurrence per document at least
        assert span.documents is None or len(span.docs) == min(span.documents, 10) and span.documents <= span.count


def _toks(index, text):
    from glassbox.tokens import tokenize

    return tokenize(index.tokenizer, text, index.token_bytes)


def _strip(a, b):
    return a + len(MIXED[a:b]) - len(MIXED[a:b].lstrip())


def test_bm25_ranks_documents_by_relevance_to_the_whole_text(index):
    text = "HELENA lit a candle in the tower in the morning light, then slept."
    got = gt.trace(index, text)
    shared = next(s for s in got.spans if s.text == "in the morning light")
    assert {d.doc_id for d in shared.docs} == {"sp1", "sp4", "pl4"}
    assert shared.docs[0].doc_id == "pl4"  # the only one that also speaks of HELENA
    for span in got.spans:
        scores = [d.score for d in span.docs]
        assert scores == sorted(scores, reverse=True)
        assert {d.relevance for d in span.docs} <= {"high", "medium", "low"}
    best = max(d.score for s in got.spans for d in s.docs)
    assert all(d.relevance == "high" for s in got.spans for d in s.docs if d.score == best)


def test_highlights_merge_overlapping_spans(mixed):
    ranges = [(a, b) for a, b, _ in mixed.highlights]
    assert ranges == sorted(ranges)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(ranges, ranges[1:], strict=False))
    for s in mixed.spans:
        assert any(a <= s.start and s.end <= b for a, b in ranges)
    assert {lvl for *_, lvl in mixed.highlights} <= {"high", "medium", "low"}
    merged = gt.merge_highlights([_span(0, 10, "low"), _span(5, 20, "high"), _span(30, 40, "medium")])
    assert merged == ((0, 20, "high"), (30, 40, "medium"))


def _span(a, b, level):
    doc = gt.DocMatch("d", "s", "x", "t", "", 0, 0, level, 1.0)
    return gt.Span(a, b, "", 1, 2, 1.0, (doc,))


def test_to_json_shape(mixed):
    data = json.loads(json.dumps(mixed.to_json()))
    span = data["spans"][0]
    assert {"start", "end", "text", "count", "docs"} <= span.keys()
    assert {"doc_id", "source", "domain", "title", "snippet", "relevance"} <= span["docs"][0].keys()


def test_korean_spans_keep_character_offsets(index):
    text = "어제 아침 햇살 속에서 마라는 정원을 걸었다."
    got = gt.trace(index, text)
    found = {s.text: {d.doc_id for d in s.docs} for s in got.spans}
    assert found == {"아침 햇살 속에서": {"nv5"}, "햇살 속에서 마라는 정원을 걸었다.": {"nv4"}}  # nv4 starts bare
    for span in got.spans:
        assert text[span.start : span.end] == span.text
    assert got.highlights == ((3, 25, "high"),)  # the two overlapping spans, merged


def test_text_without_matches_and_empty_text(index):
    got = gt.trace(index, "Zebra quilts overheat quickly.")
    assert got.spans == () and got.highlights == ()
    with pytest.raises(GlassboxError) as err:
        gt.trace(index, "   ")
    assert err.value.code == "text_empty"


def test_phrase_counts_use_the_word_start_form(index, train_tokens):
    for phrase in ["the old gate", "candle burns low", "morning light", "purple harbor"]:
        got = gn.phrase_count(index, phrase)
        assert got.count == naive_count(train_tokens, index.tokenize(" " + phrase)) == gn.count(index, phrase)
        assert got.as_typed == naive_count(train_tokens, index.tokenize(phrase))
    assert gn.count(index, "the old gate") == 1 and gn.count(index, "purple harbor") == 0
    capital = gn.phrase_count(index, "The old gate")  # mid-text in nv2, at the very start of nv1
    assert (capital.word_start, capital.as_typed) == (1, 1)
    mara = gn.phrase_count(index, "Mara")  # nv1, nv3 mid-sentence; nv2 opens with it
    assert (mara.count, mara.as_typed) == (2, 1)


def test_next_token_distribution_is_the_infinigram_one(index, train_tokens):
    got = gn.next_token_distribution(index, "Yesterday the harbor will carry our", top=5)
    assert got.suffix_text == "␣harbor␣will␣carry␣our" and got.suffix_tokens == 4  # " the harbor" never occurs
    assert [(c.text, c.count) for c in got.candidates] == [("␣grain", 2)]
    assert got.candidates[0].prob == pytest.approx(1.0)
    wide = gn.next_token_distribution(index, "burns low in the", top=50)
    suffix = index.tokenize(" burns low in the")
    assert wide.suffix_count == naive_count(train_tokens, suffix)
    for c in wide.candidates:
        assert c.count == naive_count(train_tokens, suffix + [c.id])
    assert sum(c.prob for c in wide.candidates) == pytest.approx(1.0)


def test_novelty(index):
    copied = gn.novelty(index, TEXTS["nv1"], n=8)
    assert copied.share == 1.0 and copied.longest_text == TEXTS["nv1"]
    fresh = gn.novelty(index, "Zebra quilts overheat beside violet herons.", n=4)
    assert fresh.share == 0.0 and fresh.covered_tokens == 0 and fresh.longest_tokens < 4
    part = gn.novelty(index, "We all know the harbor will carry our grain to distant towns, sadly.", n=4)
    assert 0 < part.share < 1 and "harbor will carry our grain to distant towns" in part.longest_text
    with pytest.raises(GlassboxError):
        gn.novelty(index, "x", n=0)


def test_cli_prints_the_same_json(index, capsys):
    assert cli.main(["trace", MIXED, "--json", "--index", str(index.folder)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(gt.trace(index, MIXED).to_json()))
    assert {m["text"]: m["count"] for m in printed["matches"]}["the old gate"] == 1  # not a distinctive one
    assert printed["match_count"] == len(printed["matches"]) > len(printed["spans"])
    assert cli.main(["count", "the old gate", "--json", "--index", str(index.folder)]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 1
    assert cli.main(["ngram", "carry our", "--json", "--index", str(index.folder)]) == 0
    assert json.loads(capsys.readouterr().out)["candidates"][0]["text"] == "␣grain"
    assert cli.main(["novelty", TEXTS["nv2"], "--json", "--index", str(index.folder)]) == 0
    assert json.loads(capsys.readouterr().out)["share"] == 1.0
    assert cli.main(["trace", "", "--index", str(index.folder)]) == 2
    assert "empty" in capsys.readouterr().err


def test_too_long_text_is_refused(index):
    with pytest.raises(GlassboxError) as err:
        gt.trace(index, "candle " * (gt.MAX_TEXT_TOKENS + 5))
    assert err.value.code == "trace_too_long"


def test_special_tokens_are_kept_out_of_the_traced_text(index):
    specials = index.tokenizer.all_special_tokens
    assert "<|endoftext|>" in specials
    ended = "Then bring another candle, for the night is long.<|endoftext|>"
    text, marks = gt.traceable(ended, specials)
    assert (text, marks) == ("Then bring another candle, for the night is long.", 1)
    inside, marks = gt.traceable("the old gate creaked<|endoftext|>Mara counted the coins twice", specials)
    assert marks == 1 and "<|" not in inside and "\n" in inside  # a break no span crosses
    assert all("\n" not in s.text and "<|" not in s.text for s in gt.trace(index, inside).matches)
    assert gt.traceable("plain words ", specials) == ("plain words ", 0)  # nothing else changes
