"""Attributions worked out ahead for the lessons (glassbox.attribution.prepared): which token an
example's `explain` means, the key that changes with every input, and the files kept."""

from __future__ import annotations

import pytest

from glassbox.attribution import prepared
from glassbox.lessons import attribution_examples
from glassbox.paths import EMBEDDED_MODEL_DIR


def test_explain_counts_the_texts_tokens_from_its_end(tiny_lm):
    text = "She opened the letter and read it twice before she spoke to her sister"
    context, token = prepared.explained(tiny_lm, text, 1)
    assert context == text[: -len(" sister")] and tiny_lm.tokenizer.decode([token]) == " sister"
    context, token = prepared.explained(tiny_lm, text, 2)
    assert context == text[: -len(" her sister")] and tiny_lm.tokenizer.decode([token]) == " her"
    assert prepared.explained(tiny_lm, text, 9) is None  # the page offers the last 8
    assert prepared.explained(tiny_lm, "One", 1) is None  # nothing before the first token


def test_the_lessons_examples_are_the_two_training_data_ones(tiny_lm):
    found = {(context[-12:], tiny_lm.tokenizer.decode([token])) for context, token in attribution_examples(tiny_lm)}
    assert found == {("nly begotten", " Son"), ("spoke to her", " sister")}


def test_the_key_changes_with_every_input_and_a_kept_file_round_trips(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    base = prepared.key(EMBEDDED_MODEL_DIR, "stamp", "For God so loved", 7)
    assert base == prepared.key(EMBEDDED_MODEL_DIR, "stamp", "For God so loved", 7)
    others = {prepared.key(EMBEDDED_MODEL_DIR, "stamp2", "For God so loved", 7),
              prepared.key(EMBEDDED_MODEL_DIR, "stamp", "For God so loved ", 7),
              prepared.key(EMBEDDED_MODEL_DIR, "stamp", "For God so loved", 8),
              prepared.key(EMBEDDED_MODEL_DIR, "stamp", "For God so loved", 7, ("mine",))}  # fmt: skip
    assert base not in others and len(others) == 4
    assert prepared.load(base) is None  # nothing kept yet
    (tmp_path / "attribution").mkdir()
    (tmp_path / "attribution" / f"{base}.pkl").write_bytes(b"not a pickle")
    assert prepared.load(base) is None  # unreadable: worked out again, not an error


def test_a_model_without_checkpoints_has_no_key(tiny_model_dir):
    from glassbox.errors import GlassboxError

    with pytest.raises(GlassboxError):
        prepared.key(tiny_model_dir, "stamp", "text", 1)
