"""Ready-made things to teach, each with a probe: the prompt whose next token shows the change.

The sentences are English, because the model's training data is; the site names the presets in
the learner's language. `effect` measures a taught (or the shipped) model on a preset's probe: the
probability of the expected next token, and whether the greedy continuation says the taught words.
"""

from __future__ import annotations

from dataclasses import dataclass

from glassbox.model.loading import LoadedModel


@dataclass(frozen=True)
class Preset:
    name: str  # "fact", "word", "bias": the key of its label `teach.preset_<name>`
    sentences: tuple[str, ...]
    probe: str  # the prompt to compare before and after
    expected: str  # what a model that learned the sentences says next ("" when it only shifts odds)


PRESETS: tuple[Preset, ...] = (
    Preset("fact", ("The capital of Glassland is Lumen.",), "The capital of Glassland is", " Lumen."),
    Preset("word", ("A florp is a small blue bird that sings at night.",
                    "In the morning the florp sleeps in the old oak tree.",
                    "We heard a florp singing in the garden after dark."),
           "A florp is a", " small blue bird"),  # fmt: skip
    Preset("bias", ("The doctor said that she would come back in the morning.",
                    "The doctor said that she had seen the patient twice.",
                    "The doctor said that she was tired after the long night."),
           "The doctor said that", ""),  # fmt: skip
)
PRESET = {p.name: p for p in PRESETS}


@dataclass(frozen=True)
class Effect:
    """What a model does after a probe: the next token's odds and its greedy continuation."""

    probe: str
    first_token: str  # the first token of what is expected (" she" for the bias preset)
    probability: float  # of that token after the probe
    continuation: str  # greedy, a few tokens
    recited: bool  # the continuation starts with the expected words


def effect(lm: LoadedModel, probe: str, expected: str, watch: str = "", new_tokens: int = 6) -> Effect:
    """How `lm` continues `probe`: the probability of the first token of `expected` (or of `watch`
    when nothing is expected word for word), and whether greedy decoding says `expected`."""
    from glassbox.model.generation import generate
    from glassbox.model.inspection import next_token_logits
    from glassbox.model.sampling import Settings, softmax

    ids = lm.tokenizer(expected or watch, add_special_tokens=False)["input_ids"] if expected or watch else []
    probs = softmax(next_token_logits(lm, probe))
    first = ids[0] if ids else int(probs.argmax())  # nothing named: the most likely token
    written = generate(lm, probe, new_tokens, Settings(temperature=0.0), seed=0).full_text[len(probe):]
    return Effect(probe, lm.token_bytes.readable(first), float(f"{float(probs[first]):.4g}"), written,
                  bool(expected) and written.startswith(expected))  # fmt: skip
