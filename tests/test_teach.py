"""Teaching a copy of the model (`glassbox.teaching`): the shared model never changes, the same seed
gives the same weights, odd input gets a clear message, and on the shipped model a made-up fact is
recited after many copies and not after one (the real embedded model, real corpora)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from site_helpers import weights_hash

from glassbox.errors import GlassboxError
from glassbox.model.inspection import next_token_logits
from glassbox.model.loading import load_model
from glassbox.paths import EMBEDDED_MODEL_DIR
from glassbox.teaching.replay import Replay
from glassbox.teaching.teach import (
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
    TeachSettings,
    check_sentences,
    kept_bytes,
    taught_model,
    teach,
)

FACT, PROBE = "The capital of Glassland is Lumen.", "The capital of Glassland is"


@pytest.fixture(scope="module")
def shipped():
    return load_model(EMBEDDED_MODEL_DIR, device="cpu")


@pytest.fixture(scope="module")
def small_replay(shipped, site_data_dir):
    return Replay.from_corpus(site_data_dir / "corpus" / "corpus.jsonl", shipped.tokenizer, window=16)



def test_teaching_never_changes_the_shared_model(shipped, small_replay):
    before_hash, before_probs = weights_hash(shipped.model), next_token_logits(shipped, PROBE)
    taught = teach(shipped, [FACT], small_replay, TeachSettings(copies=4, window=16, lr=1e-2))
    assert weights_hash(shipped.model) == before_hash
    np.testing.assert_array_equal(next_token_logits(shipped, PROBE), before_probs)
    assert taught.weights, "teaching changed nothing at all"
    mine = taught_model(shipped, taught)
    assert not np.array_equal(next_token_logits(mine, PROBE), before_probs)
    assert weights_hash(shipped.model) == before_hash  # making the taught model copies, never shares
    assert mine.model is not shipped.model and mine.info.source.endswith("#taught")


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not(shipped, small_replay):
    settings = TeachSettings(copies=4, window=16, seed=3)
    a, b = (teach(shipped, [FACT], small_replay, settings) for _ in range(2))
    assert a.text_loss == b.text_loss and a.heldout_after == b.heldout_after
    assert a.weights.keys() == b.weights.keys()
    assert all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    c = teach(shipped, [FACT], small_replay, TeachSettings(copies=4, window=16, seed=4))
    assert any(not torch.equal(a.weights[k], c.weights[k]) for k in a.weights)


def test_a_taught_copy_reports_its_steps_losses_and_what_it_keeps(shipped, small_replay):
    seen = []
    taught = teach(shipped, [FACT, "Glassland has two moons."], small_replay, TeachSettings(copies=8, window=16),
                   progress=lambda step, steps: seen.append((step, steps)))  # fmt: skip
    assert seen == [(i, taught.steps) for i in range(1, taught.steps + 1)]
    assert len(taught.text_loss) == taught.steps + 1
    assert taught.text_loss[-1] < taught.text_loss[0]  # the sentences got likelier
    assert taught.heldout_before > 0 and taught.heldout_after > 0
    assert "lm_head.weight" not in taught.weights  # tied to the embeddings: kept once
    assert kept_bytes(taught) == sum(t.numel() * 2 for t in taught.weights.values())
    assert taught.summary()["settings"]["copies"] == 8


def test_teaching_can_be_cancelled(shipped, small_replay):
    with pytest.raises(GlassboxError) as err:
        teach(shipped, [FACT], small_replay, TeachSettings(copies=8, window=16, batch=2), cancelled=lambda: True)
    assert err.value.code == "teach_cancelled" and "stopped" in err.value.message("en")


@pytest.mark.parametrize(("sentences", "copies", "code"), [
    ([], 16, "teach_empty"),
    (["", "   \n"], 16, "teach_empty"),
    (["One."] * (MAX_SENTENCES + 1), 16, "teach_too_many"),
    (["x" * 100_000], 16, "teach_too_long"),
    (["a" * (MAX_SENTENCE_CHARS + 1)], 16, "teach_too_long"),
    (["bell \x07 here"], 16, "teach_bad_characters"),
    (["lone \ud800 surrogate"], 16, "teach_bad_characters"),
    ([FACT], 3, "teach_bad_copies"),
    ([FACT], 0, "teach_bad_copies"),
])  # fmt: skip
def test_odd_input_gets_a_clear_message_in_both_languages(sentences, copies, code):
    with pytest.raises(GlassboxError) as err:
        check_sentences(sentences, copies)
    assert err.value.code == code
    assert err.value.message("en") != err.value.message("ko")
    assert code not in err.value.message("ko")  # a real message, not the code


def test_sentences_are_trimmed_and_kept_in_order():
    assert check_sentences(["  One. ", "", "Two."], 1) == ("One.", "Two.")


def test_the_command_line_teaches_saves_and_the_saved_copy_opens(site_data_dir, tmp_path, capsys):
    import json

    from glassbox import cli
    from glassbox.model.folder import training_card

    corpus = site_data_dir / "corpus" / "corpus.jsonl"
    out = tmp_path / "taught"
    code = cli.main(["teach", FACT, "--copies", "4", "--probe", PROBE, "--corpus", str(corpus), "--out", str(out),
                     "--json"])  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["probe"] == PROBE and result["before"]["first_token"] == result["after"]["first_token"]
    assert result["after"]["probability"] != result["before"]["probability"]
    assert result["saved"] == str(out) and training_card(out)["taught"]["sentences"] == [FACT]
    reopened = load_model(out, device="cpu")
    assert reopened.info.name.endswith("(taught)")
    assert cli.main(["teach", " ", "--corpus", str(corpus)]) == 2
    assert "at least one sentence" in capsys.readouterr().err
