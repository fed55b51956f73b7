"""Inspection: routing matches an independent recomputation, distributions are proper,
token offsets slice back to the text."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from glassbox.errors import GlassboxError
from glassbox.model import olmoe
from glassbox.model.inspection import blockwise_topk, inspect_text, top_probabilities
from glassbox.tokens import normalise

TEXTS = {
    "english": "The quick brown fox jumps over the lazy dog.\n\tIndented   spaces.",
    "korean": "안녕하세요, 세계! 한국어 문장은 토큰이 많아요.",
    "emoji": "Family: 👩‍👩‍👧 and flags 🇰🇷 plus é (e + accent).",
}


def recompute_routing(lm, text):
    """Router inputs captured by the test's own hooks, then softmax and top-k done here."""
    inputs = []
    hooks = [
        layer.post_attention_layernorm.register_forward_hook(lambda m, a, out: inputs.append(out.detach()))
        for layer in lm.model.model.layers
    ]
    try:
        ids = lm.tokenizer(normalise(text), add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            lm.model(input_ids=torch.tensor([ids]))
    finally:
        for h in hooks:
            h.remove()
    k = lm.model.config.num_experts_per_tok
    out = []
    for layer, hidden in zip(lm.model.model.layers, inputs, strict=True):
        logits = hidden[0].double() @ layer.mlp.gate.weight.detach().double().T  # (tokens, experts)
        probs = torch.softmax(logits, dim=-1)
        weights, experts = torch.topk(probs, k, dim=-1)
        if lm.model.config.norm_topk_prob:
            weights = weights / weights.sum(-1, keepdim=True)
        out.append((probs.numpy(), experts.numpy(), weights.numpy()))
    return out


@pytest.mark.parametrize("name", list(TEXTS))
def test_routing_equals_softmax_topk_of_gate(tiny_lm, name):
    result = inspect_text(tiny_lm, TEXTS[name])
    expected = recompute_routing(tiny_lm, TEXTS[name])
    r = result.routing
    assert r.probs.shape == (tiny_lm.info.layers, len(result.tokens), tiny_lm.info.experts)
    for layer, (probs, experts, weights) in enumerate(expected):
        np.testing.assert_allclose(r.probs[layer], probs, atol=1e-5)
        np.testing.assert_array_equal(r.experts[layer], experts)
        np.testing.assert_allclose(r.weights[layer], weights, atol=1e-5)
        # OLMoE does not renormalise: the weights are the chosen experts' probabilities.
        chosen = np.take_along_axis(r.probs[layer], r.experts[layer], -1)
        np.testing.assert_allclose(r.weights[layer], chosen, atol=1e-6)


def test_renormalised_topk_when_config_says_so(tmp_path):
    from glassbox.model.loading import load_model, save_model
    from glassbox.model.tokenizer import load_tokenizer

    model = olmoe.random_model(hidden_size=32, layers=1, experts=4, experts_per_token=2, norm_topk_prob=True)
    lm = load_model(save_model(model, load_tokenizer(), tmp_path / "renorm"))
    r = inspect_text(lm, "Renormalised routing.").routing
    np.testing.assert_allclose(r.weights.sum(-1), 1.0, atol=1e-5)
    for layer, (_probs, experts, weights) in enumerate(recompute_routing(lm, "Renormalised routing.")):
        np.testing.assert_array_equal(r.experts[layer], experts)
        np.testing.assert_allclose(r.weights[layer], weights, atol=1e-5)


def test_next_token_distributions_are_proper(tiny_lm):
    result = inspect_text(tiny_lm, TEXTS["english"], top_k=5, temperature=0.7)
    assert len(result.next_token) == len(result.tokens)
    logits = result.final_logits.astype(np.float64) / 0.7
    full = np.exp(logits - logits.max())
    full /= full.sum()
    assert full.sum() == pytest.approx(1.0)
    last = result.next_token[-1]
    assert [t.id for t in last.top] == list(np.argsort(-full)[:5])
    for t in last.top:
        assert t.prob == pytest.approx(full[t.id], rel=1e-6)
    for nxt in result.next_token:
        probs = [t.prob for t in nxt.top]
        assert probs == sorted(probs, reverse=True)
        assert 0 < sum(probs) <= 1 + 1e-9


def test_every_position_agrees_with_the_models_own_forward(tiny_lm):
    """The guesses at every position (top tokens and probabilities, after the in-place softmax and
    the block-wise top-k) are those of transformers' own forward pass, recomputed here in float64."""
    result = inspect_text(tiny_lm, TEXTS["korean"], top_k=5)
    ids = [t.id for t in result.tokens]
    with torch.no_grad():
        logits = tiny_lm.model(input_ids=torch.tensor([ids])).logits[0, :, : tiny_lm.info.vocab_size].double()
    values, order = torch.topk(torch.softmax(logits, dim=-1), 5)
    assert np.array_equal(result.top_ids, order.numpy())
    np.testing.assert_allclose(result.top_probs, values.numpy(), rtol=1e-5)
    np.testing.assert_allclose(result.final_logits, logits[-1].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(TEXTS))
def test_offsets_cover_text_and_slice_back(tiny_lm, name):
    text = normalise(TEXTS[name])
    result = inspect_text(tiny_lm, TEXTS[name])
    assert result.text == text
    covered = set()
    data = b""
    for tok in result.tokens:
        piece = tiny_lm.token_bytes(tok.id)
        data += piece
        assert 0 <= tok.start < tok.end <= len(text)
        chars = text[tok.start : tok.end]
        # the token's bytes lie inside the bytes of the characters it points at
        assert piece in chars.encode("utf-8")
        covered.update(range(tok.start, tok.end))
        assert "Ġ" not in tok.text and "\ufffd" not in tok.text
    assert data == text.encode("utf-8")
    assert covered == set(range(len(text)))
    starts = [t.start for t in result.tokens]
    assert starts == sorted(starts)


def test_korean_byte_pieces_are_legible(tiny_lm):
    result = inspect_text(tiny_lm, "한국어")
    assert len(result.tokens) > 1  # this English-centred tokenizer splits Korean syllables
    assert any("⟨" in t.text for t in result.tokens)
    assert all("\ufffd" not in t.text for t in result.tokens)


def test_disabled_expert_is_never_chosen(tiny_lm):
    normal = inspect_text(tiny_lm, TEXTS["english"])
    busiest = int(np.argmax(normal.routing.load()[0]))
    result = inspect_text(tiny_lm, TEXTS["english"], disabled_experts=frozenset({busiest}))
    assert not (result.routing.experts == busiest).any()
    assert np.allclose(result.routing.probs[:, :, busiest], 0.0)
    assert not np.allclose(result.final_logits, normal.final_logits)
    # the shared model is unchanged afterwards
    again = inspect_text(tiny_lm, TEXTS["english"])
    np.testing.assert_array_equal(again.routing.experts, normal.routing.experts)


def test_bad_text_is_refused_clearly(tiny_lm):
    with pytest.raises(GlassboxError) as err:
        inspect_text(tiny_lm, "   \n ")
    assert err.value.code == "text_empty"
    with pytest.raises(GlassboxError) as err:
        inspect_text(tiny_lm, "word " * (tiny_lm.info.context + 5))
    assert err.value.code == "text_too_long"
    assert "토큰" in err.value.message("ko")


def test_threads_see_only_their_own_routing(tiny_lm):
    texts = [TEXTS["english"], TEXTS["korean"]] * 3
    expected = {t: inspect_text(tiny_lm, t).routing.experts for t in set(texts)}
    errors: list[str] = []

    def work(text):
        for _ in range(3):
            got = inspect_text(tiny_lm, text).routing.experts
            if got.shape != expected[text].shape or not (got == expected[text]).all():
                errors.append(text)

    threads = [threading.Thread(target=work, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


@pytest.mark.parametrize("k", [1, 10, 40])
def test_blockwise_topk_equals_a_full_sort(k):
    gen = torch.Generator().manual_seed(k)
    x = torch.randn(16, 50304, generator=gen)
    x[3, 640:640 + k] = 100 + torch.arange(k, dtype=torch.float)  # all of a row's best in one block
    x[5, ::1000] = 50 + torch.arange(51, dtype=torch.float)  # each of a row's best in its own block
    values, ids = blockwise_topk(x, k)
    order = np.argsort(-x.numpy(), axis=-1, kind="stable")[:, :k]
    assert np.array_equal(ids.numpy(), order)
    assert torch.equal(values, torch.gather(x, 1, ids))


def test_output_rows_past_the_vocabulary_are_never_guessed():
    logits = torch.zeros(2, 50304)
    logits[:, 50290] = 30.0  # an output row no token of the tokenizer has
    logits[:, 7] = 2.0
    probs, ids = top_probabilities(logits, vocab=50280, k=3, temperature=1.0)
    assert ids[:, 0].tolist() == [7, 7]
    assert (ids < 50280).all()
    assert probs[0, 0].item() == pytest.approx(np.exp(2.0) / (np.exp(2.0) + 50279), rel=1e-4)


def test_next_token_logits_are_the_inspections_last_scores(tiny_lm):
    """The cheap pass (output layer at the last position only) scores the next token as the full one does."""
    from glassbox.model.inspection import next_token_logits

    for text in ("The cat sat on the", "고양이가 창가에"):
        full = inspect_text(tiny_lm, text).final_logits
        cheap = next_token_logits(tiny_lm, text)
        assert cheap.shape == full.shape
        np.testing.assert_allclose(cheap, full, rtol=1e-4, atol=1e-4)
    off = next_token_logits(tiny_lm, "The cat sat on the", frozenset({0}))
    assert not np.allclose(off, inspect_text(tiny_lm, "The cat sat on the").final_logits)
