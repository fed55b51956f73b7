"""The classroom word list (`glassbox.model.classroom_safe`) on the shipped model: with the setting
on, no listed word is sampled or generated even where the model makes it the likeliest token, the
result marks where one was skipped, and `inspect` still shows the model's true probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassbox.model import classroom_safe
from glassbox.model.generation import generate
from glassbox.model.inspection import inspect_text
from glassbox.model.loading import load_model
from glassbox.model.sampling import Sampler, Settings, distribution_t
from glassbox.paths import EMBEDDED_MODEL_DIR

# The seed-0 continuation of "My favourite food is" wrote "…my sweet whore…" (the teacher guides'
# content note); cut just before the word, this prompt makes the listed word's last piece the
# likeliest next token.
FOOD = "My favourite food is"
FORCED = "My favourite food is this, and my see:\nICE of my princes, my sweet wh"


@pytest.fixture(scope="module")
def lm():
    return load_model(EMBEDDED_MODEL_DIR, device="cpu")


@pytest.fixture(scope="module")
def blocks(lm):
    return classroom_safe.blocklist(lm)


def ids_of(lm, text: str) -> list[int]:
    return lm.tokenizer.encode(text, add_special_tokens=False)


def written_ids(lm, g) -> list[int]:
    return [*ids_of(lm, g.prompt), *(s.token.id for s in g.steps)]


def test_the_list_blocks_listed_words_and_not_common_ones(lm, blocks):
    assert ids_of(lm, " bastard")[0] in blocks.single  # a word that is one token is never drawn
    whore = tuple(ids_of(lm, " whore"))
    assert len(whore) > 1 and whore in blocks.pieces
    assert whore[-1] in blocks.blocked_after([*ids_of(lm, "my sweet"), *whore[:-1]])  # its last piece, in context
    assert blocks.listed(ids_of(lm, "the great whore")) and not blocks.listed(ids_of(lm, "who is the great one"))
    # the words that begin like a listed one stay free: who, for, str..., wh...
    common = [ids_of(lm, w)[0] for w in (" who", " for", " str", " wh", " har", " Wh", " what")]
    assert not set(common) & blocks.single
    assert not set(common) & blocks.blocked_after(ids_of(lm, "And he said unto the"))
    assert len(classroom_safe.WORDS) <= 20  # short on purpose, as its docstring says


def test_the_listed_word_is_forced_likely_here_and_inspect_shows_it(lm, blocks, monkeypatch):
    context = ids_of(lm, FORCED)
    blocked = blocks.blocked_after(context)
    for setting in ("0", "1"):  # inspect shows the model's own probabilities, setting or not
        monkeypatch.setenv(classroom_safe.ENV, setting)
        ins = inspect_text(lm, FORCED)
        probs = torch.softmax(torch.as_tensor(ins.final_logits, dtype=torch.float64), -1)
        top = int(probs.argmax())
        assert top in blocked and float(probs[top]) > 0.15  # the likeliest token finishes the listed word
        assert float(probs[sorted(blocked)].sum()) > 0.2


def test_greedy_generation_skips_the_listed_word_and_marks_it(lm, blocks):
    plain = generate(lm, FORCED, max_new_tokens=6, settings=Settings(temperature=0), safe=False, capture=False)
    assert blocks.listed(written_ids(lm, plain)) and plain.skipped == () and not plain.classroom_safe
    safe = generate(lm, FORCED, max_new_tokens=6, settings=Settings(temperature=0), safe=True, capture=False)
    assert not blocks.listed(written_ids(lm, safe))
    assert safe.classroom_safe and safe.skipped[0] == 0  # the first draw was the listed word's last piece
    assert safe.steps[0].token.id != plain.steps[0].token.id
    assert safe.to_json()["skipped"] == list(safe.skipped)


def test_sampling_never_gives_a_listed_word_and_changes_nothing_else(lm, blocks):
    hits = 0
    blocked = blocks.blocked_after(ids_of(lm, FORCED))  # pieces that would finish (or go on to) a listed word
    for seed in range(40):
        plain = generate(lm, FORCED, max_new_tokens=1, seed=seed, safe=False, capture=False)
        safe = generate(lm, FORCED, max_new_tokens=1, seed=seed, safe=True, capture=False)
        assert not blocks.listed(written_ids(lm, safe)) and safe.steps[0].token.id not in blocked
        was_blocked = plain.steps[0].token.id in blocked
        hits += blocks.listed(written_ids(lm, plain))
        assert (safe.skipped == (0,)) == was_blocked  # marked exactly where a blocked piece was drawn
        if not was_blocked:  # the same draw everywhere else
            assert safe.steps[0].token.id == plain.steps[0].token.id
        assert safe.steps[0].prob > 0 and all(t.id not in blocks.single for t in safe.steps[0].top if t.prob > 0)
    assert hits >= 3  # the word really was likely: without the list it was written


def test_the_guide_s_example_and_the_setting_from_the_environment(lm, blocks, monkeypatch):
    monkeypatch.delenv(classroom_safe.ENV, raising=False)
    plain = generate(lm, FOOD, max_new_tokens=40, seed=0, capture=False)
    assert not plain.classroom_safe and "whore" in plain.completion  # the content note's example, as seen
    monkeypatch.setenv(classroom_safe.ENV, "1")
    safe = generate(lm, FOOD, max_new_tokens=40, seed=0, capture=False)
    assert safe.classroom_safe and safe.skipped and not blocks.listed(written_ids(lm, safe))
    assert "whore" not in safe.completion.lower()
    cut = safe.steps[safe.skipped[0]].token.start  # the text before the skip is the text without the list
    assert safe.full_text[:cut] == plain.full_text[:cut]


def test_a_draw_avoiding_blocked_tokens_keeps_the_other_odds():
    logits = torch.tensor([5.0, 1.0, 0.5, 0.0, -1.0], dtype=torch.float64)
    settings = Settings(temperature=1.0)
    _, kept = distribution_t(logits, settings)
    got = Sampler(3).draw_avoiding(logits, settings, {0})
    assert got.token != 0 and float(got.drawn_from[0]) == 0.0
    rest = kept[1:] / kept[1:].sum()
    assert torch.allclose(got.drawn_from[1:], rest)  # the other tokens keep their odds relative to each other
    # with nothing blocked it is the plain draw, draw for draw
    a, b = Sampler(11), Sampler(11)
    assert [a.draw(kept, settings) for _ in range(30)] == [b.draw_avoiding(logits, settings).token for _ in range(30)]
    # greedy, or a cut-off that keeps only blocked tokens: the next best token instead
    assert Sampler(0).draw_avoiding(logits, Settings(temperature=0), {0}).token == 1
    top1 = Sampler(0).draw_avoiding(logits, Settings(temperature=1.0, top_k=1), {0})
    assert top1.token == 1 and top1.skipped == 0
    counts = np.bincount([Sampler(s).draw_avoiding(logits, settings, {0}).token for s in range(400)], minlength=5)
    assert counts[0] == 0 and counts[1] > counts[3]


def test_workshop_replicas_keep_the_list_on_unless_the_host_says_otherwise(monkeypatch):
    from glassbox.workshop import serve

    monkeypatch.delenv(classroom_safe.ENV, raising=False)
    assert serve.replica_env("k" * 16)[classroom_safe.ENV] == "1"
    monkeypatch.setenv(classroom_safe.ENV, "0")
    assert serve.replica_env("k" * 16)[classroom_safe.ENV] == "0"
    monkeypatch.delenv(classroom_safe.ENV, raising=False)
    assert not classroom_safe.enabled()  # a plain site: off


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_next_token_page_samples_around_the_list_and_says_so(lang, tiny_lm, monkeypatch):
    """On the page (the site's test model), "Sample one" with the setting on never adds a blocked
    token, even the one this seed would draw, and the page says a word was skipped."""
    from site_helpers import check, open_page, texts

    from glassbox.i18n import t
    from glassbox.model.inspection import next_token_logits

    prompt, seed = "The king said unto the", 4
    drawn_from = distribution_t(torch.as_tensor(next_token_logits(tiny_lm, prompt)), Settings())[1]
    would = Sampler(seed).draw(drawn_from, Settings())  # what this seed draws without the list
    monkeypatch.setenv(classroom_safe.ENV, "1")
    monkeypatch.setattr(classroom_safe, "blocklist", lambda lm: classroom_safe.Blocklist(frozenset({would}), ()))
    at = open_page("next_token", lang)
    at.toggle(key="next.guess_first").set_value(False).run()
    at.text_area(key="next.prompt").input(prompt).run()
    at.number_input(key="next.seed").set_value(seed).run()
    assert t("classroom.safe_sampled", lang, n=1) not in texts(at)
    at.button(key="next.sample").click().run()
    check(at)
    picked = at.session_state["next.picked"]
    assert len(picked) == 1 and picked[0] != would
    assert t("classroom.safe_sampled", lang, n=1) in texts(at)
    monkeypatch.setenv(classroom_safe.ENV, "0")  # the setting off: the seed's own draw
    at.text_area(key="next.prompt").input(prompt + " ").run()
    at.text_area(key="next.prompt").input(prompt).run()
    at.button(key="next.sample").click().run()
    assert at.session_state["next.picked"] == [would]
    assert t("classroom.safe_sampled", lang, n=1) not in texts(at)


@pytest.mark.usefixtures("site")
def test_the_training_data_page_notes_a_skipped_word_under_the_text(tiny_lm, monkeypatch):
    """Generate, then trace: with the setting on, the text written has no blocked token, even the
    one the seed would give first, and a note under the text box says where one was skipped."""
    from site_helpers import check, open_page, texts

    from glassbox.i18n import t

    prompt, seed = "And the LORD spake unto", 9
    plain = generate(tiny_lm, prompt, max_new_tokens=5, seed=seed, safe=False, capture=False)
    first = plain.steps[0].token.id
    monkeypatch.setenv(classroom_safe.ENV, "1")
    monkeypatch.setattr(classroom_safe, "blocklist", lambda lm: classroom_safe.Blocklist(frozenset({first}), ()))
    at = open_page("training_data", "en")
    at.text_input(key="trace.prompt").input(prompt).run()
    at.number_input(key="trace.max_new_tokens").set_value(5).run()
    at.number_input(key="trace.seed").set_value(seed).run()
    at.button(key="trace.generate").click().run()
    check(at)
    written = at.text_area(key="trace.text").value
    assert written.startswith(prompt) and written != plain.full_text
    notes = [c.value for c in at.caption if c.value.startswith(t("classroom.safe_skipped", "en", n=1, places="")[:40])]
    assert len(notes) == 1 and prompt[-10:] in notes[0]  # where: the text just before the skipped word
    at.text_area(key="trace.text").input("Some other text").run()
    assert t("classroom.safe_skipped", "en", n=1, places="")[:40] not in texts(at)  # the note goes with its text
