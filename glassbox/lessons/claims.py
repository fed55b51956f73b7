"""What a lesson says the learner will see, as data, measured on a real model and index.

A step (or a lesson's prediction) may carry `expect:` in its front matter: claims about what its
example shows on its page, e.g. `{top_token: " pass", top_probability: [0.5, 1.0]}` on the Next
token page. `CLAIMS` lists, per page, each claim's name and the shape of its value; the lesson
loader checks the shapes, and `check_lesson` measures every claim with the same core functions the
page calls (so a claim holds exactly when the page shows it) and returns one `ClaimCheck` each.
A range is `[low, high]`, both ends included, either end `null` for open.

On the Next token page, `top_probability_change` is the top token's probability at the example's
temperature minus its probability at temperature 1 (same prompt, top-k and top-p), so a step about
temperature states how far the tallest bar moves; `rank_of` maps texts to the rank (1 = most likely)
of their first token, as the guess box reports it.

Leaves out: claims about Streamlit rendering (the page tests cover that) and about the hosted
index of the full-size model (these claims are about the shipped model and its own corpus).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glassbox.errors import GlassboxError

RANGE, TOKEN, FLAG = "range", "token", "flag"
TOKENS_BY_LABEL, RANGES_BY_LABEL = "tokens by checkpoint", "ranges by checkpoint"
RANGES_BY_TEXT = "ranges by next text"  # {" she": [0.1, 0.5]}: the first token of each text, its probability (or rank)

# page -> claim name -> shape of its value
CLAIMS: dict[str, dict[str, str]] = {
    "home": {},
    "tokens": {"tokens": RANGE},
    "next_token": {"top_token": TOKEN, "top_probability": RANGE, "kept": RANGE, "probability_of": RANGES_BY_TEXT,
                   "top_probability_change": RANGE, "rank_of": RANGES_BY_TEXT},
    "experts": {"top_token": TOKEN, "top_probability": RANGE, "shift": RANGE, "token_text": TOKEN,
                "chosen_weight_sum": RANGE, "layers_that_change_experts": RANGE, "busiest_expert_share": RANGE,
                "least_used_expert_share": RANGE},
    # pushed_*: "Which documents pushed this?" for the example's `explain`-th token from the end of its text:
    # the top passage's kind of text, its multiple of the noise floor, whether it holds the text verbatim
    "training_data": {"count": RANGE, "count_as_typed": RANGE, "longest_match": RANGE, "novelty_share": RANGE,
                      "recited": FLAG, "copies": RANGE, "top_token": TOKEN, "pushed_top_domain": TOKEN,
                      "pushed_top_ratio": RANGE, "pushed_top_verbatim": FLAG},
    "watch_it_learn": {"top_token_at": TOKENS_BY_LABEL, "top_probability_at": RANGES_BY_LABEL,
                       "same_top_token_everywhere": FLAG, "start_loss": RANGE, "final_heldout_loss": RANGE},
    # the shared model (before) and the copy taught the example's sentences (after), after its probe
    "teach": {"probability_before": RANGES_BY_TEXT, "probability_after": RANGES_BY_TEXT, "heldout_rise": RANGE,
              "taught_continues": FLAG},
}


def shape_problem(shape: str, value: Any) -> str | None:
    """Why `value` does not have the claim shape, or None when it does."""
    if shape == RANGE:
        if not (isinstance(value, list | tuple) and len(value) == 2):
            return "must be a range [low, high] (null for an open end)"
        ends = [v for v in value if v is not None]
        if not ends or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in ends):
            return "must be a range of numbers [low, high] (null for an open end)"
        if len(ends) == 2 and ends[0] > ends[1]:
            return "has its low end above its high end"
        return None
    if shape == TOKEN:
        return None if isinstance(value, str) and value != "" else "must be a token's text"
    if shape == FLAG:
        return None if isinstance(value, bool) else "must be true or false"
    if shape in (TOKENS_BY_LABEL, RANGES_BY_LABEL, RANGES_BY_TEXT):
        if not (isinstance(value, dict) and value and all(isinstance(k, str) and k for k in value)):
            return "must map checkpoint labels (or next texts) to values"
        inner = TOKEN if shape == TOKENS_BY_LABEL else RANGE
        return next((f"at '{k}' {why}" for k, v in value.items() if (why := shape_problem(inner, v))), None)
    return f"has an unknown shape {shape}"


@dataclass(frozen=True)
class ClaimCheck:
    """One claim of one lesson step, what was measured, and whether the claim holds."""

    lesson: str
    lang: str
    where: str  # "steps[2]" or "predict"
    claim: str
    expected: Any
    measured: Any
    holds: bool

    def describe(self) -> str:
        verdict = "holds" if self.holds else "FAILS"
        return (f"{self.lesson} ({self.lang}) {self.where}: {self.claim} {self.expected!r} {verdict}, "
                f"measured {self.measured!r}")


def in_range(value: float, bounds) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass
class Measurer:
    """Measures claims on one model and one index, remembering what it already measured (the same
    example is shared by steps, lessons and both languages)."""

    lm: Any
    index: Any
    checkpoints: tuple = ()
    corpus: Any = None  # the corpus JSONL the index was built from (for anthology passages)
    _seen: dict = field(default_factory=dict)

    @classmethod
    def on_site_data(cls, lm) -> Measurer:
        """A measurer for `lm` on the site's own data: the index and corpus of the data folder, and
        the checkpoints of the model's folder (none for a hub id)."""
        from pathlib import Path

        from glassbox import paths
        from glassbox.index.engine import open_index
        from glassbox.model.checkpoints import list_checkpoints

        folder = Path(lm.info.source)
        return cls(lm, open_index(), list_checkpoints(folder) if folder.is_dir() else (), corpus=paths.corpus_path())

    def _once(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._seen:
            self._seen[key] = compute()
        return self._seen[key]

    def choice(self, values: dict, disabled: frozenset[int] = frozenset()):
        from glassbox.model.inspection import next_token_logits
        from glassbox.model.next_token import next_token_choice
        from glassbox.model.sampling import Settings

        settings = Settings(float(values.get("temperature", 1.0)), int(values.get("top_k") or 0),
                            float(values.get("top_p", 1.0)))  # fmt: skip
        key = ("choice", values["prompt"], settings, disabled)
        return self._once(key, lambda: next_token_choice(
            self.lm, next_token_logits(self.lm, values["prompt"], disabled), settings))  # fmt: skip

    def written(self, values: dict) -> str:
        """The text the Training data page traces: the example's text, or what the model writes."""
        if "text" in values:
            return values["text"]
        from glassbox.model.generation import generate
        from glassbox.site import MAX_NEW

        args = (values["prompt"], int(values.get("max_new_tokens", MAX_NEW.default)), int(values.get("seed", 0)))
        return self._once(("generate", *args), lambda: generate(self.lm, args[0], args[1], seed=args[2]).full_text)

    def recital(self, passage: str):
        """The Training data page's recital of an anthology passage, and its count in the index."""
        from glassbox.training.memorisation import passage_probes, recite

        def run():
            probe = next((p for p in self._once(("probes",), lambda: passage_probes(self.corpus)) if p.id == passage),
                         None)  # fmt: skip
            if probe is None:
                raise KeyError(f"no anthology passage {passage!r} in the corpus")
            return recite(self.lm, probe.text), self.index.count_ids(self.index.tokenize(probe.text))

        return self._once(("recite", passage), run)

    def pushed(self, values: dict):
        """The Training data page's "Which documents pushed this?" for an example: its text's
        `explain`-th token from the end, after the text before it."""
        from pathlib import Path

        from glassbox.attribution.attribute import attribute
        from glassbox.attribution.prepared import explained

        pair = explained(self.lm, values["text"], int(values.get("explain", 1)))
        if pair is None:
            raise KeyError("the example's text has no token to explain there")
        return self._once(("pushed", *pair), lambda: attribute(Path(self.lm.info.source), self.index, *pair,
                                                               shared=self.lm))  # fmt: skip

    def routing(self, prompt: str):
        from glassbox.model.inspection import inspect_text

        return self._once(("inspect", prompt), lambda: inspect_text(self.lm, prompt, top_k=1))

    def experts_claim(self, claim: str, values: dict) -> Any:
        """Claims about the Experts page's heatmap (the example's token in its layer), path chart
        (that token through every layer) and load chart (the whole prompt in the example's layer)."""
        found = self.routing(values["prompt"])
        token, layer = int(values.get("token", 0)), int(values.get("layer", 0))
        routing = found.routing
        if claim == "token_text":
            return found.tokens[token].text
        if claim == "chosen_weight_sum":
            return round(float(routing.weights[layer, token].sum()), 4)
        if claim == "layers_that_change_experts":
            path = [frozenset(routing.experts[i, token].tolist()) for i in range(routing.layers)]
            return sum(a != b for a, b in zip(path, path[1:], strict=False))
        load = routing.load()[layer]
        return round(float(load.max() if claim == "busiest_expert_share" else load.min()), 4)

    def checkpoint_tops(self, prompt: str) -> dict[str, tuple[str, float]]:
        """Each checkpoint's most likely next token after `prompt` and its probability."""
        from glassbox.model.inspection import next_token_logits
        from glassbox.model.loading import load_model

        def tops() -> dict[str, tuple[str, float]]:
            from glassbox.model.sampling import softmax

            out = {}
            for ckpt in self.checkpoints:
                lm = load_model(ckpt.path)
                probs = softmax(next_token_logits(lm, prompt))
                top = int(probs.argmax())
                out[ckpt.label] = (lm.token_bytes.readable(top), round(float(probs[top]), 4))
            return out

        return self._once(("checkpoints", prompt), tops)

    def taught(self, values: dict):
        """The Teach it page's outcome for an example: (the Taught result, the taught copy)."""
        from glassbox.teaching.replay import Replay
        from glassbox.teaching.teach import TeachSettings, taught_model, teach

        settings = TeachSettings(copies=int(values["copies"]), seed=int(values.get("seed", 0)))
        sentences = tuple(line for line in str(values["sentences"]).splitlines() if line.strip())

        def run():
            from glassbox import paths

            replay = self._once(("replay",), lambda: Replay.from_corpus(
                self.corpus or paths.corpus_path(), self.lm.tokenizer, settings.window))  # fmt: skip
            result = teach(self.lm, sentences, replay, settings)
            return result, taught_model(self.lm, result)

        return self._once(("teach", sentences, settings), run)

    def teach_claim(self, claim: str, values: dict, expected: Any) -> Any:
        """Claims about the Teach it page: odds after the probe before and after teaching, the
        held-out loss's rise, and whether the taught copy's greedy continuation (as long as the
        page's) goes on with the rest of the first sentence that begins with the probe."""
        from glassbox.model.generation import generate
        from glassbox.model.inspection import next_token_logits
        from glassbox.model.sampling import Settings, softmax
        from glassbox.teaching.teach import CONTINUATION_TOKENS

        result, mine = self.taught(values)
        probe = str(values["probe"])
        if claim == "heldout_rise":
            return round(result.heldout_rise, 4)
        if claim == "taught_continues":
            rest = next((s[len(probe):] for s in result.sentences if s.startswith(probe)), None)
            if not rest:
                raise KeyError("no taught sentence begins with the probe")
            written = generate(mine, probe, CONTINUATION_TOKENS, Settings(temperature=0.0)).full_text[len(probe):]
            return written.startswith(rest) or rest.startswith(written)
        probs = softmax(next_token_logits(self.lm if claim == "probability_before" else mine, probe))
        first = {text: self.lm.tokenizer(text, add_special_tokens=False)["input_ids"][0] for text, _ in expected}
        return {text: round(float(probs[i]), 4) for text, i in first.items()}

    def measure(self, page: str, claim: str, values: dict, expected: Any = None) -> Any:
        """The value of `claim` for an example with these values on this page (`expected` names
        the texts a `probability_of` or `rank_of` claim is about)."""
        from glassbox.index import ngrams

        if claim == "tokens":
            return len(self.lm.tokenizer(values["text"], add_special_tokens=False)["input_ids"])
        if claim in ("recited", "copies"):
            recital, count = self.recital(values["passage"])
            return recital.recited if claim == "recited" else count
        if claim in ("probability_of", "rank_of"):
            probs = self.choice(values).probs
            texts = [text for text, _ in (expected or ())]
            first = {text: self.lm.tokenizer(text, add_special_tokens=False)["input_ids"][0] for text in texts}
            if claim == "rank_of":  # as the guess box ranks a word: 1 + the tokens more likely than it
                return {text: int((probs > probs[i]).sum()) + 1 for text, i in first.items()}
            return {text: round(float(probs[i]), 4) for text, i in first.items()}
        if claim == "top_probability_change":
            at_one = self.choice({**values, "temperature": 1.0}).candidates[0].prob
            return round(self.choice(values).candidates[0].prob - at_one, 4)
        if claim in ("top_token", "top_probability", "kept"):
            if page == "training_data":  # the model's chart beside the corpus's, after the traced text
                values = {"prompt": values["text"]}
            top = self.choice(values).candidates[0]
            return {"top_token": top.text, "top_probability": round(top.prob, 4),
                    "kept": self.choice(values).kept}[claim]  # fmt: skip
        if page == "teach":
            return self.teach_claim(claim, values, expected)
        if claim in ("token_text", "chosen_weight_sum", "layers_that_change_experts", "busiest_expert_share",
                     "least_used_expert_share"):
            return self.experts_claim(claim, values)
        if claim == "shift":
            from glassbox.model.next_token import distribution_shift

            off = values.get("expert_off")
            after = self.choice(values, frozenset() if off is None else frozenset({int(off)}))
            return round(distribution_shift(self.choice(values).probs, after.probs), 4)
        if claim in ("pushed_top_domain", "pushed_top_ratio", "pushed_top_verbatim"):
            top = self.pushed(values).chunks[0]
            return {"pushed_top_domain": top.chunk.domain, "pushed_top_ratio": round(top.ratio, 2),
                    "pushed_top_verbatim": top.holds_span}[claim]  # fmt: skip
        if claim in ("count", "count_as_typed"):
            found = ngrams.phrase_count(self.index, values["phrase"])
            return found.count if claim == "count" else found.as_typed
        if claim in ("longest_match", "novelty_share"):
            found = ngrams.novelty(self.index, self.written(values), 8)
            return found.longest_tokens if claim == "longest_match" else round(found.share, 4)
        if claim in ("start_loss", "final_heldout_loss"):  # the loss curve of the model's training log
            from pathlib import Path

            from glassbox.model.checkpoints import loss_curve

            curve = loss_curve(Path(self.lm.info.source))
            if curve is None or not curve.steps:
                raise KeyError("the model has no training log")
            return round(curve.train_loss[0] if claim == "start_loss" else curve.heldout_loss[-1], 3)
        if claim in ("top_token_at", "top_probability_at", "same_top_token_everywhere"):
            tops = self.checkpoint_tops(values["prompt"])
            if claim == "same_top_token_everywhere":
                return len({token for token, _ in tops.values()}) == 1
            return {label: pair[claim == "top_probability_at"] for label, pair in tops.items()}
        raise KeyError(f"no measure for the claim {claim} on the {page} page")


def holds(shape: str, expected: Any, measured: Any) -> bool:
    if shape == RANGE:
        return in_range(measured, expected)
    if shape in (TOKENS_BY_LABEL, RANGES_BY_LABEL, RANGES_BY_TEXT):
        inner = TOKEN if shape == TOKENS_BY_LABEL else RANGE
        return all(label in measured and holds(inner, want, measured[label]) for label, want in dict(expected).items())
    return measured == expected


def check_lesson(lesson, measurer: Measurer) -> tuple[ClaimCheck, ...]:
    """Every claim of a lesson's steps and predictions, measured on the measurer's model and index
    (a prediction's place is "predict" for the first, "predict[2]" for the second)."""
    places = [(f"steps[{i}]", s.values, s.expect) for i, s in enumerate(lesson.steps)]
    places += [("predict" if n == 1 else f"predict[{n}]", p.values, p.expect)
               for n, p in enumerate(lesson.predictions, 1)]
    out = []
    for where, values, expect in places:
        for claim, expected in expect:
            try:
                measured = measurer.measure(lesson.page, claim, values, expected)
                ok = holds(CLAIMS[lesson.page][claim], expected, measured)
            except (KeyError, GlassboxError) as err:  # e.g. a passage that is not in this corpus
                measured, ok = f"not measured: {err}", False
            out.append(ClaimCheck(lesson.id, lesson.lang, where, claim, expected, measured, ok))
    return tuple(out)
