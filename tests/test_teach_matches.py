"""Tracing a text against the learner's taught sentences (glassbox.teaching.matches): the runs
found agree with a brute-force reference, offsets are character offsets (Korean included), and a
taught sentence inside a text is found whole."""

from __future__ import annotations

import random

import pytest

from glassbox.teaching.matches import MIN_TOKENS, matches_in_sentences, runs_in
from glassbox.teaching.presets import PRESET


def reference_runs(ids, holders, min_tokens=MIN_TOKENS):
    """Every stretch ids[i:j] tried against every stretch of every holder; at each i the longest
    (first holder on a tie) is kept when it reaches past the last one kept."""

    def held_in(run, holder):
        return any(holder[k : k + len(run)] == run for k in range(len(holder) - len(run) + 1))

    found, reach = [], 0
    for i in range(len(ids)):
        best = (0, -1)
        for j in range(i + 1, len(ids) + 1):
            owners = [h for h, holder in enumerate(holders) if held_in(list(ids[i:j]), list(holder))]
            if owners:
                best = (j - i, owners[0])
        if best[0] >= min_tokens and i + best[0] > reach:
            found.append((i, *best))
            reach = i + best[0]
    return found


@pytest.mark.parametrize("seed", range(40))
def test_the_runs_agree_with_a_brute_force_search(seed):
    rng = random.Random(seed)
    alphabet = rng.randint(2, 6)  # a small alphabet makes many partial and overlapping matches
    ids = [rng.randrange(alphabet) for _ in range(rng.randint(0, 30))]
    holders = [[rng.randrange(alphabet) for _ in range(rng.randint(0, 12))] for _ in range(rng.randint(1, 4))]
    assert runs_in(ids, holders) == reference_runs(ids, holders)


def test_a_taught_sentence_inside_a_text_is_found_whole_at_its_characters(tiny_lm):
    tok = tiny_lm.tokenizer
    fact, word = PRESET["fact"].sentences[0], PRESET["word"].sentences[1]
    text = f"I read somewhere that {fact} Then: {word}"
    found = matches_in_sentences(tok, text, [*PRESET["word"].sentences, fact])
    assert [m.text for m in found] == [fact, word]  # " The" after a space is matched too
    assert [m.sentence for m in found] == [len(PRESET["word"].sentences), 1]
    for m in found:
        assert text[m.start : m.end] == m.text
        assert m.tokens == len(tok(" " + m.text, add_special_tokens=False)["input_ids"])
    lower = matches_in_sentences(tok, "that the capital of Glassland is Lumen.", [fact])
    assert [m.text for m in lower] == [fact.removeprefix("The ")]  # word for word: " the" is not " The"


def test_offsets_count_characters_in_korean_text(tiny_lm):
    text = "선생님이 말했어요. The capital of Glassland is Lumen. 정말요?"
    (found,) = matches_in_sentences(tiny_lm.tokenizer, text, ["The capital of Glassland is Lumen."])
    assert text[found.start : found.end] == "The capital of Glassland is Lumen." == found.text


def test_nothing_is_found_in_an_unrelated_text_or_for_no_sentences(tiny_lm):
    tok = tiny_lm.tokenizer
    assert matches_in_sentences(tok, "Friends, the harbour will open again in spring.", PRESET["fact"].sentences) == ()
    assert matches_in_sentences(tok, PRESET["fact"].sentences[0], []) == ()
    assert matches_in_sentences(tok, "   ", PRESET["fact"].sentences) == ()
    one_word = matches_in_sentences(tok, "We met at the capital yesterday.", PRESET["fact"].sentences)
    assert one_word == ()  # a single shared token is no stretch
