"""Attribution: the central difference gives the gradient dot products TracIn needs, the pool
says where each chunk came from and keeps BM25's own ranking of the chunks BM25 brought, the shared
model is never changed, and on the shipped model a planted passage's next word is pushed by the
planted copies."""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pytest
import torch

from glassbox.attribution import attribute as attr
from glassbox.attribution import pool as gb_pool
from glassbox.attribution import scores
from glassbox.paths import EMBEDDED_MODEL_DIR


def weights_hash(model: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(value.detach().float().numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_central_difference_matches_the_exact_dot_product(tiny_lm, dtype):
    """∇f · ∇L for each chunk, from two forward passes, against two backward passes: the whole
    loss's difference (float32), and the trunk's difference with the output layer's exact
    derivative in bf16 matmuls (where the CPU has no bf16 hardware, torch emulates it: slower, same
    numbers)."""
    model = copy.deepcopy(tiny_lm.model).float().eval()
    ids, token = [50279, 510, 5798, 273], 1074
    chunks = [[50279, 510, 5798, 273, 1074, 15], [187, 1231, 588, 1056, 19615, 18275, 273], [2, 9, 30, 400, 8]]
    found, norm = scores.directional(model, ids, token, chunks, dtype=dtype)
    grads, _ = scores.query_gradient(model, ids, token)
    params = [p for p in model.parameters() if p.requires_grad]
    assert norm == pytest.approx(float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads))), rel=1e-6)
    for chunk, per_token in zip(chunks, found, strict=True):
        x = torch.tensor([chunk])
        logits = model(input_ids=x[:, :-1]).logits[0].float()
        loss = torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum")
        exact = sum(float((a.double() * b.double()).sum()) for a, b in zip(grads, torch.autograd.grad(loss, params),
                                                                             strict=True))  # fmt: skip
        assert len(per_token) == len(chunk) - 1
        assert float(per_token.sum()) == pytest.approx(exact, rel=2e-2, abs=1e-3 * norm)


@pytest.mark.slow  # the shipped corpus's index takes 30 s to build
def test_the_pool_says_where_each_chunk_came_from(shipped_index, tiny_lm):
    context = "Now is the winter of our discontent\nMade glorious summer by this sun of"
    token = shipped_index.tokenize(" York")[0]
    pool = gb_pool.build_pool(shipped_index, tiny_lm.tokenizer, context, token, taught=["My own sentence."], seed=3)
    sources = {s for c in pool for s in c.sources}
    assert sources == set(gb_pool.SOURCES)
    assert all(2 <= len(c.token_ids) <= gb_pool.CHUNK_TOKENS + 2 for c in pool)
    assert len({c.key for c in pool}) == len(pool)  # a chunk found twice is one chunk with two reasons
    continuation = [c for c in pool if "continuation" in c.sources]
    wanted = gb_pool.continuation_ids(shipped_index, shipped_index.tokenize(context), token)
    assert len(wanted) > 3  # the whole line and its next word occur (the anthology)
    for c in continuation:  # each holds the context's longest occurring suffix followed by the token
        assert any(list(c.token_ids[k : k + len(wanted)]) == wanted for k in range(len(c.token_ids)))
    taught = [c for c in pool if "taught" in c.sources]
    assert [c.title for c in taught] == ["My own sentence."] and taught[0].doc_ix == -1
    again = gb_pool.build_pool(shipped_index, tiny_lm.tokenizer, context, token, taught=["My own sentence."], seed=3)
    assert again == pool


@pytest.mark.slow  # the shipped corpus's index takes 30 s to build
def test_the_pool_keeps_bm25s_own_ranking(shipped_index, tiny_lm):
    """The chunks BM25 brought, by their `bm25_rank`, are the index's BM25 order of the documents
    (most similar first, ranks 1, 2, ...), whatever other route also found them; the rest have none."""
    context = "The quick brown fox jumps over the lazy dog while the farmer sleeps"
    token = shipped_index.tokenize(" in")[0]
    sizes = gb_pool.PoolSizes()
    pool = gb_pool.build_pool(shipped_index, tiny_lm.tokenizer, context, token, seed=1, sizes=sizes)
    bm25 = shipped_index.bm25_scores(context, list(range(shipped_index.info.documents)))
    expected = [int(i) for i in np.argsort(-bm25, kind="stable")[: sizes.bm25] if bm25[i] > 0]
    assert len(expected) == sizes.bm25  # the text shares words with many documents
    ranked = sorted((c for c in pool if c.bm25_rank is not None), key=lambda c: c.bm25_rank)
    assert [c.doc_ix for c in ranked] == expected
    assert [c.bm25_rank for c in ranked] == list(range(1, len(expected) + 1))
    assert all(("bm25" in c.sources) == (c.bm25_rank is not None) for c in pool)


@pytest.mark.slow
def test_a_planted_passage_is_pushed_by_its_copies(shipped_index):
    """On the shipped model, " York" after Richard III's opening is pushed most by the anthology's
    planted copies of those lines, far above the noise floor; the shared model is unchanged."""
    from glassbox.model.loading import load_model

    shared = load_model(EMBEDDED_MODEL_DIR, device="cpu")
    before = weights_hash(shared.model)
    token = shipped_index.tokenize(" York")[0]
    context = "Now is the winter of our discontent\nMade glorious summer by this sun of"
    found = attr.attribute(EMBEDDED_MODEL_DIR, shipped_index, context, token, shared=shared)  # as on the site
    assert weights_hash(shared.model) == before
    assert [c.step for c in found.checkpoints] == [2000, 4000, 10000]
    assert all(c.lr > 0 and c.weight == 1.0 for c in found.checkpoints)
    top = found.chunks[0]
    assert top.chunk.doc_id.startswith("anthology-richard-winter") and "sun of York" in top.text
    assert top.ratio > 3
    assert list(np.argsort([-s.score for s in found.chunks])) == list(range(len(found.chunks)))
    random = np.array([s.score for s in found.by_source("random")])  # the noise floor: the random sample's RMS
    assert len(random) >= 30 and found.noise_floor == pytest.approx(float(np.sqrt(np.mean(random**2))))
    assert all(s.ratio == pytest.approx(s.score / found.noise_floor) for s in found.chunks)
    bm25 = found.by_bm25()  # BM25's ranking of the same chunks, each with its attribution score
    assert [s.chunk.bm25_rank for s in bm25] == list(range(1, len(bm25) + 1)) and set(bm25) <= set(found.chunks)
    assert [c["bm25_rank"] for c in found.to_json()["chunks"]] == [s.chunk.bm25_rank for s in found.chunks]


def test_a_chunk_holds_the_text_when_it_holds_six_of_its_tokens_in_a_row():
    text = [1, 2, 3, 4, 5, 6, 7, 8]
    assert attr.holds_words([9, 9, 3, 4, 5, 6, 7, 8, 9], text)
    assert not attr.holds_words([9, 3, 4, 5, 6, 7, 9, 8], text)  # five in a row, then a break
    assert not attr.holds_words([1, 2, 3, 9, 4, 5, 6, 7], text)
    assert attr.holds_words([0, 4, 2, 0], [4, 2])  # a text shorter than six: all of it
    assert not attr.holds_words([1, 2, 3], [])


def test_a_model_without_checkpoints_is_refused_with_a_reason(tiny_model_dir):
    from glassbox.errors import GlassboxError

    with pytest.raises(GlassboxError) as refused:  # before any index is read
        attr.attribute(tiny_model_dir, None, "For God so loved the world", 5)
    assert refused.value.code == "attribution_unavailable"
    english, korean = refused.value.message("en"), refused.value.message("ko")
    assert str(tiny_model_dir) in english and str(tiny_model_dir) in korean and english != korean
