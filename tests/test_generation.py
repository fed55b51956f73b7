"""Generation: seeded runs repeat, settings shape the distribution, routing is captured per step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassbox.errors import GlassboxError
from glassbox.model import olmoe
from glassbox.model.generation import generate
from glassbox.model.sampling import Settings, keep_mask, sampling_distribution, softmax


def test_same_seed_same_text(tiny_lm):
    settings = Settings(temperature=1.2, top_k=40, top_p=0.95)
    a = generate(tiny_lm, "Once upon a time", max_new_tokens=12, settings=settings, seed=7)
    b = generate(tiny_lm, "Once upon a time", max_new_tokens=12, settings=settings, seed=7)
    c = generate(tiny_lm, "Once upon a time", max_new_tokens=12, settings=settings, seed=8)
    assert [s.token.id for s in a.steps] == [s.token.id for s in b.steps]
    assert a.completion == b.completion
    assert [s.token.id for s in a.steps] != [s.token.id for s in c.steps]


def test_each_step_is_drawn_from_its_recorded_distribution(tiny_lm):
    settings = Settings(temperature=0.8, top_k=5)
    g = generate(tiny_lm, "In the beginning", max_new_tokens=8, settings=settings, seed=3)
    assert len(g.steps) == 8
    for step in g.steps:
        ids = [t.id for t in step.top]
        assert step.token.id in ids[:5]  # top-k 5: only those can be drawn
        assert len([t for t in step.top if t.prob > 0]) <= 5
        assert sum(t.prob for t in step.top) == pytest.approx(1.0, abs=1e-6)
        assert step.prob == pytest.approx(dict((t.id, t.prob) for t in step.top)[step.token.id])


def test_greedy_follows_the_argmax_and_routing_matches_a_full_pass(tiny_lm):
    g = generate(tiny_lm, "Four score and seven", max_new_tokens=6, settings=Settings(temperature=0), seed=0)
    prompt_ids = tiny_lm.tokenizer(g.prompt, add_special_tokens=False)["input_ids"]
    new_ids = [s.token.id for s in g.steps]
    ids = torch.tensor([prompt_ids + new_ids])
    with olmoe.capture_routing() as cap:
        logits, _ = olmoe.forward(tiny_lm.model, ids)
    for i, step in enumerate(g.steps):
        pos = len(prompt_ids) + i - 1  # the position whose output chose this token
        assert step.token.id == int(torch.argmax(logits[0, pos]))
        assert step.routing.probs.shape == (tiny_lm.info.layers, 1, tiny_lm.info.experts)
    # routing recorded while generating token i+1 is the routing of generated token i
    for i in range(len(new_ids) - 1):
        row = len(prompt_ids) + i
        for layer in range(tiny_lm.info.layers):
            full = torch.softmax(cap.logits[layer][row].float(), -1).numpy()
            np.testing.assert_allclose(g.steps[i + 1].routing.probs[layer, 0], full, atol=1e-4)


def test_offsets_of_generated_tokens_point_into_full_text(tiny_lm):
    g = generate(tiny_lm, "한국어 prompt", max_new_tokens=10, settings=Settings(temperature=1.0), seed=11)
    full = g.full_text
    for step in g.steps:
        assert len(g.prompt) <= step.token.start <= step.token.end <= len(full) + 1


def test_settings_are_checked():
    with pytest.raises(GlassboxError):
        Settings(temperature=-1).check()
    with pytest.raises(GlassboxError):
        Settings(top_p=0).check()
    with pytest.raises(GlassboxError):
        Settings(top_k=-3).check()


def test_sampling_cutoffs():
    logits = np.log(np.array([0.5, 0.2, 0.15, 0.1, 0.05]))
    probs = softmax(logits)
    assert probs.sum() == pytest.approx(1.0)
    assert keep_mask(probs, top_k=2).tolist() == [True, True, False, False, False]
    assert keep_mask(probs, top_p=0.7).tolist() == [True, True, False, False, False]
    assert keep_mask(probs, top_p=0.71).tolist() == [True, True, True, False, False]
    assert keep_mask(probs, top_p=0.01).tolist() == [True, False, False, False, False]
    _, kept = sampling_distribution(logits, Settings(top_k=3))
    assert kept[:3].sum() == pytest.approx(1.0) and kept[3:].sum() == 0
    hot, cold = softmax(logits, 2.0), softmax(logits, 0.5)
    assert hot.max() < probs.max() < cold.max()
    greedy = softmax(logits, 0)
    assert greedy.tolist() == [1.0, 0, 0, 0, 0]


def test_bad_generation_requests(tiny_lm):
    with pytest.raises(GlassboxError):
        generate(tiny_lm, "", max_new_tokens=3)
    with pytest.raises(GlassboxError):
        generate(tiny_lm, "hi", max_new_tokens=0)


def test_the_sampler_goes_on_where_a_continuation_stopped(tiny_lm):
    """Draw n of a seed from the distribution after n written tokens is generation's token n."""
    from glassbox.model.sampling import Sampler, distribution_t

    settings = Settings(temperature=1.0, top_k=40)
    written = generate(tiny_lm, "The cat sat", max_new_tokens=5, settings=settings, seed=3, stop_at_eos=False)
    ids = [s.token.id for s in written.steps]
    prompt_ids = tiny_lm.tokenizer("The cat sat", add_special_tokens=False)["input_ids"]
    vocab = tiny_lm.info.vocab_size
    for n, token in enumerate(ids):
        context = torch.tensor([[*tiny_lm.document_start, *prompt_ids, *ids[:n]]])
        with torch.no_grad():
            logits, _ = olmoe.forward(tiny_lm.model, context, last_only=True)
        _, drawn_from = distribution_t(logits[0, -1, :vocab], settings)
        assert Sampler(3, n, vocab).draw(drawn_from, settings) == token
    assert len(set(ids)) > 1  # a sampled text, not one token repeated
