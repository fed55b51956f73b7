"""Prompts start as documents: the model reads its document start first, and nothing returned
shows it (tokens, offsets, distributions and routing are the learner's text's own)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from glassbox.errors import GlassboxError
from glassbox.model.generation import generate
from glassbox.model.inspection import inspect_text
from glassbox.model.loading import document_start, load_model
from glassbox.model.sampling import Settings

EOS = 50279
TEXT = "The river keeps its own time."


@pytest.fixture(scope="module")
def prefixed(tiny_lm):
    return dataclasses.replace(tiny_lm, document_start=(EOS,))


def _plain_probs(lm, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = lm.model(input_ids=torch.tensor([ids])).logits[0].float()
    return torch.softmax(logits[:, : lm.info.vocab_size], dim=-1)


def test_inspection_reads_the_prefix_and_returns_only_the_text(tiny_lm, prefixed):
    ids = tiny_lm.tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    plain, with_start = inspect_text(tiny_lm, TEXT), inspect_text(prefixed, TEXT)
    assert [t.to_json() for t in with_start.tokens] == [t.to_json() for t in plain.tokens]
    assert with_start.routing.tokens == len(ids) == with_start.top_ids.shape[0]
    expected = _plain_probs(tiny_lm, [EOS, *ids])[1:]  # the distributions after each of the learner's tokens
    top = torch.from_numpy(with_start.top_probs[:, 0])
    assert torch.allclose(top, expected.max(dim=-1).values, rtol=1e-4, atol=0)
    assert not torch.allclose(torch.from_numpy(plain.top_probs[:, 0]), top, rtol=1e-3, atol=0)


def test_generation_after_the_prefix_equals_a_plain_greedy_decode(prefixed):
    ids = prefixed.tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    gen = generate(prefixed, TEXT, max_new_tokens=6, settings=Settings(temperature=0), capture=False,
                   stop_at_eos=False)
    seq = [EOS, *ids]
    for _ in range(6):
        seq.append(int(_plain_probs(prefixed, seq)[-1].argmax()))
    assert [s.token.id for s in gen.steps] == seq[len(ids) + 1 :]
    assert gen.prompt == TEXT and gen.steps[0].token.start == len(TEXT)


def test_the_prefix_counts_against_the_context(prefixed):
    context = prefixed.info.context
    with pytest.raises(GlassboxError) as err:
        inspect_text(prefixed, " a" * context)
    assert err.value.code == "text_too_long" and err.value.params["limit"] == context - 1


def test_where_the_document_start_comes_from(tiny_model_dir, tmp_path):
    from glassbox.paths import EMBEDDED_MODEL_DIR

    assert load_model(EMBEDDED_MODEL_DIR).document_start == (EOS,)  # from its card: how it was trained
    assert load_model(tiny_model_dir).document_start == ()  # a card that names none, a tokenizer without bos
    tokenizer = load_model(tiny_model_dir).tokenizer
    assert document_start(tokenizer, {"document_start": "<|endoftext|>"}) == (EOS,)
    assert document_start(tokenizer, {"document_start": "<|no such token|>"}) == ()
    config = json.loads((tiny_model_dir / "tokenizer_config.json").read_text())
    assert config.get("bos_token") is None

    class Bos:  # a tokenizer whose own config names a bos token: that wins over the card
        bos_token = "<|padding|>"
        unk_token_id = None

        def convert_tokens_to_ids(self, name: str) -> int:
            return tokenizer.convert_tokens_to_ids(name)

    padding = tokenizer.convert_tokens_to_ids("<|padding|>")
    assert document_start(Bos(), {"document_start": "<|endoftext|>"}) == (padding,)


def test_the_evals_document_start_example_matches_a_plain_forward():
    from glassbox.paths import EMBEDDED_MODEL_DIR
    from glassbox.training.evaluate import START_EXAMPLE, start_example

    lm = load_model(EMBEDDED_MODEL_DIR)
    text, word = START_EXAMPLE
    ids = lm.tokenizer(text, add_special_tokens=False)["input_ids"]
    token = lm.tokenizer(word, add_special_tokens=False)["input_ids"][0]
    measured = start_example(lm)
    for name, prefix in (("with", [EOS]), ("without", [])):
        assert measured[name] == pytest.approx(float(_plain_probs(lm, [*prefix, *ids])[-1, token]), abs=1e-4)
    assert measured["with"] > measured["without"]  # the salutation opens documents: the start helps
