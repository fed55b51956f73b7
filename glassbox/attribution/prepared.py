"""Attributions worked out ahead: the lessons' examples, kept on disk so that a step opens in a blink.

An attribution takes seconds; a lesson step that opens one (its example sets `explain`) should not.
`glassbox prepare` runs `prepare_lessons`, which works out every lesson example's attribution on the
default model and its own index and writes it under the data folder (`attribution/<key>.pkl`);
the page looks there (`load`) before it runs one. The key is a hash of everything the result
depends on: the weights of every checkpoint the attribution reads, the index build, the context,
the token, the taught sentences, and this code's result format and method, so that a retrained
model, a rebuilt index or a changed method is never answered from an old file.

Also here, for the page, the claims and `prepare` alike: which token of a text an example's
`explain` means (`last_tokens`: a text's last tokens, the last first).

Leaves out: taught models (a learner's copy is never prepared), and pruning old files (a few
hundred KB each, one per lesson example).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

from glassbox import paths
from glassbox.attribution.attribute import METHOD, Attribution, Scored, attribute, plan
from glassbox.attribution.pool import Chunk
from glassbox.attribution.scores import CheckpointScores

LAST_TOKENS = 8  # the tokens of a text whose attribution the Training data page offers: its last ones
VERSION = 2  # raised when the scores change for the same inputs (2: bf16 output layer)


def folder() -> Path:
    return paths.data_dir() / "attribution"


def last_tokens(lm, text: str) -> list:
    """The last `LAST_TOKENS` tokens of `text` that can be explained (not special, not the first),
    the last first; [] when none (or the text's bytes do not spell it back)."""
    from glassbox.tokens import tokenize

    try:
        toks = [t for t in tokenize(lm.tokenizer, text, lm.token_bytes) if not t.special and t.start > 0]
    except ValueError:  # not NFC: the tokens' bytes do not spell the text
        return []
    return toks[-LAST_TOKENS:][::-1]


def explained(lm, text: str, back: int) -> tuple[str, int] | None:
    """(context, token) for a text's `back`-th token from its end (1: the last), or None."""
    toks = last_tokens(lm, text)
    if not 1 <= back <= len(toks):
        return None
    return text[: toks[back - 1].start], toks[back - 1].id


@lru_cache(maxsize=64)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(model_dir: Path) -> str:
    """A hash of the weights of every checkpoint an attribution in `model_dir` reads."""
    parts = []
    for step in plan(Path(model_dir)):
        for weights in sorted(Path(step.path).glob("*.safetensors")):
            stat = weights.stat()
            parts.append(_file_digest(str(weights), stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def _format() -> list:
    return [[f.name for f in dataclasses.fields(c)] for c in (Attribution, Scored, Chunk, CheckpointScores)]


def key(model_dir: Path, index_stamp: str, context: str, token: int, taught: tuple[str, ...] = ()) -> str:
    what = [VERSION, METHOD, _format(), weights_digest(model_dir), index_stamp, context, int(token), list(taught)]
    return hashlib.sha256(json.dumps(what, ensure_ascii=False).encode()).hexdigest()[:32]


def load(name: str) -> Attribution | None:
    """The attribution kept under this key, or None (none kept, or unreadable)."""
    try:
        with open(folder() / f"{name}.pkl", "rb") as f:
            found = pickle.load(f)  # noqa: S301 - our own data folder, written by `save`
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return found if isinstance(found, Attribution) else None


def save(name: str, result: Attribution) -> None:
    where = folder()
    where.mkdir(parents=True, exist_ok=True)
    part = where / f"{name}.pkl.part"
    part.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(where / f"{name}.pkl")


def prepare_lessons(model_dir: Path, index, index_stamp: str, examples: Callable[[object], Sequence[tuple[str, int]]],
                    report: Callable[[str], None] = print) -> int:
    """Work out and keep the attribution of each (context, token) of `examples` not kept yet (the
    lessons': `glassbox.lessons.attribution_examples`); how many were new."""
    from glassbox.model.loading import load_model

    lm = load_model(plan(Path(model_dir))[-1].path, device="cpu")
    made = 0
    for context, token in examples(lm):
        name = key(model_dir, index_stamp, context, token)
        if load(name) is not None:
            continue
        result = attribute(Path(model_dir), index, context, token, shared=lm)
        save(name, result)
        made += 1
        report(f"Prepared which documents pushed {result.token_text!r} after {context[-40:]!r} "
               f"({result.seconds['total']:.1f} s).")  # fmt: skip
    return made
