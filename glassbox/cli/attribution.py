"""`glassbox attribute`: which training passages pushed one next token, estimated.

    glassbox attribute "For God so loved the world, that he gave his only begotten" --token " Son" --json

Runs `glassbox.attribution.attribute.attribute` (TracIn over the model's late checkpoints) on a
model folder with checkpoints and a training log (the embedded Tiny OLMoE by default) and the
corpus index. `--token` is the next token's text and must be exactly one token of the model's
tokenizer; without it the model's own most likely next token is explained. `--taught FILE` adds
sentences (one a line) to the pool, as the site adds a learner's taught sentences.

--json prints `Attribution.to_json()` (every chunk, ungrouped) with the token's log-probability,
the model folder and the taught sentences added. The readable report shows the token and its
log-probability, the checkpoints, the top passages (identical texts as one row, with their
copies), the seconds taken and what the score means (the site's `pushed.meaning`).

Leaves out: models without checkpoints (the full-size OLMoE: refused before any weights are read),
the GPU (attribution runs on the CPU), and the site's BM25 comparison list (its ranks are in the JSON).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from glassbox import paths
from glassbox.cli.common import emit, terminal_safe
from glassbox.errors import GlassboxError

TEXT_SHOWN = 60  # characters of a passage's text in the readable report
SHOWN_TOKENS = 12  # tokens of a --token text that is not one token, shown in the message
FOUND = {"span": "words", "continuation": "words+token", "bm25": "BM25", "taught": "taught", "random": "random"}
# why a passage is in the pool (glassbox.attribution.pool.SOURCES): the context's words, its last words then
# the token, BM25's neighbours, the --taught sentences, the random sample


def model_folder(source: str):
    """The model folder and its checkpoint plan, or the error a learner can act on, before any
    weights are read (a hub id has no checkpoints here: the full-size OLMoE is refused at once)."""
    from glassbox.attribution.attribute import plan
    from glassbox.model.loading import HUB_ID

    try:
        folder = Path(source).expanduser()
        exists, found = folder.exists(), folder.is_dir()
    except (OSError, RuntimeError):  # a name too long for any folder, "~someone" with no such user
        folder, exists, found = Path(source), False, False
    if not found:
        if not exists and HUB_ID.match(source):
            raise GlassboxError("attribution_unavailable", path=source)
        raise GlassboxError("model_folder_missing", path=source if len(source) <= 200 else source[:200] + "…")
    folder = folder.resolve()
    steps = plan(folder)
    if not steps:
        raise GlassboxError("attribution_unavailable", path=str(folder))
    return folder, steps


def taught_sentences(name: str | None) -> tuple[str, ...]:
    """The sentences of --taught FILE, one a line (blank lines skipped), checked as teaching checks them."""
    if not name:
        return ()
    from glassbox.teaching.teach import TeachSettings, check_sentences

    path = Path(name)
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError:  # a name too long for the file system, no permission
        data = None
    if data is None:
        raise GlassboxError("file_missing", path=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise GlassboxError("text_not_utf8", path=path, position=err.start) from err
    return check_sentences(text.splitlines(), TeachSettings().copies)


def next_token(lm, context: str, text: str | None) -> tuple[int, float]:
    """The token to explain (the one `text` makes, else the model's most likely) and its log-probability
    after `context`; errors for an empty or too long context and for a text that is not one token."""
    import numpy as np

    from glassbox.model.inspection import next_token_logits
    from glassbox.tokens import normalise

    logits = next_token_logits(lm, context).astype(np.float64)  # checks the context: empty, too long
    if text is None:
        token = int(np.argmax(logits))
    else:
        ids = lm.tokenizer(normalise(text), add_special_tokens=False)["input_ids"]
        if len(ids) != 1:
            shown = " ".join(f"‘{lm.token_bytes.readable(int(t))}’" for t in ids[:SHOWN_TOKENS]) or "none"
            shown += " …" * (len(ids) > SHOWN_TOKENS)
            cut = text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "…"
            raise GlassboxError("attribute_not_one_token", text=repr(cut), n=len(ids), tokens=shown)
        token = int(ids[0])
    top = logits.max()
    return token, float(logits[token] - top - math.log(np.exp(logits - top).sum()))


def cmd_attribute(args: argparse.Namespace) -> int:
    from glassbox.index.engine import open_index
    from glassbox.model.loading import load_model
    from glassbox.tokens import normalise

    if args.top < 1:
        raise GlassboxError("bad_setting", name="--top", rule="at least 1", value=args.top)
    context = normalise(args.context)
    if not context.strip():
        raise GlassboxError("text_empty")
    taught = taught_sentences(args.taught)
    folder, steps = model_folder(args.model or paths.default_model_source())
    index = open_index(Path(args.index) if args.index else None)
    lm = load_model(steps[-1].path, device="cpu")  # the final model, read by the attribution too
    token, logprob = next_token(lm, context, args.token)
    from glassbox.attribution.attribute import attribute

    result = attribute(folder, index, context, token, taught=taught, seed=args.seed, steps=steps, shared=lm,
                       progress=_progress(args.json))  # fmt: skip
    out = {**result.to_json(), "logprob": logprob, "model": str(folder), "taught": list(taught)}
    emit(out, args.json, "" if args.json else report(result, lm, logprob, args.top))
    return 0


def _progress(quiet: bool):
    """Checkpoints done, on stderr where a person watches it."""
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\rscoring at checkpoint {done} of {total}…", end="\n" if done == total else "", file=sys.stderr)

    return show


def report(result, lm, logprob: float, top: int) -> str:
    """The readable report (see the module's docstring)."""
    from glassbox.attribution.attribute import grouped_by_text
    from glassbox.i18n import STRINGS

    token = terminal_safe(repr(result.token_text), one_line=True)
    steps = ", ".join(f"{c.step:,}" for c in result.checkpoints)
    rows = grouped_by_text(result.chunks)
    head = f"{'rank':>4}  {'×floor':>7}  {'copies':>6}  {'domain':<12} {'title':<28} {'found by':<26} text"
    lines = [f"next token {token} (id {result.token}): log p {logprob:.3f} (p {math.exp(logprob):.3g})",
             f"checkpoints: steps {steps}, equally weighted",
             f"top {min(top, len(rows))} of {len(rows)} distinct passages ({len(result.chunks)} chunks scored; "
             f"copies of one text are one row):", head]  # fmt: skip
    for rank, group in enumerate(rows[:top], start=1):
        first = group[0]
        found = ", ".join(FOUND.get(s, s) for s in dict.fromkeys(s for c in group for s in c.chunk.sources))
        title = first.chunk.title or first.chunk.doc_id
        lines.append(f"{rank:>4}  {first.ratio:>6.1f}×  {len(group):>6}  {_cell(first.chunk.domain, 12)} "
                     f"{_cell(title, 28)} {_cell(found, 26)} {_cell(first.text, TEXT_SHOWN)}")  # fmt: skip
    seconds = result.seconds
    lines.append(f"{seconds.get('total', 0):.1f} s (pool {seconds.get('pool', 0):.1f} s, "
                 f"scores {seconds.get('scores', 0):.1f} s)")  # fmt: skip
    meaning = STRINGS["en"]["pushed.meaning"].format(token=token, steps=steps, n=len(result.chunks))
    lines.append(terminal_safe(meaning + " It is a lead to check, not proof.", one_line=True))
    return "\n".join(lines)


def _cell(text: str, width: int) -> str:
    """`text` on one line, terminal-safe, cut to `width` characters ("…" when cut) and padded."""
    one = terminal_safe(" ".join(text.split()), one_line=True)
    return (one if len(one) <= width else one[: width - 1] + "…").ljust(width)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("attribute", help="which training passages pushed the next token (estimated)")
    p.add_argument("context", help="the text before the token")
    p.add_argument("--token", help="the next token's text, exactly one token (e.g. ' Son'); default: the "
                                   "model's own most likely next token")  # fmt: skip
    p.add_argument("--model", help="model folder with checkpoints and a training log (default: the embedded "
                                   "Tiny OLMoE)")  # fmt: skip
    p.add_argument("--index", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--taught", metavar="FILE", help="sentences, one a line, to add to the passages scored")
    p.add_argument("--top", type=int, default=10, help="passages shown in the readable report")
    p.add_argument("--seed", type=int, default=0, help="seed of the random passages (the noise floor)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_attribute)
