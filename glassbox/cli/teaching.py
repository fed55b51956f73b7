"""`glassbox teach`: teach a copy of a model a few sentences and print what changed after a probe.

    glassbox teach "The capital of Glassland is Lumen." --copies 16 --probe "The capital of Glassland is" --json

Prints the probe's next-token odds and greedy continuation before and after, the held-out loss
before and after, and the settings; `--out FOLDER` saves the taught copy as an ordinary model
folder that `--model` opens (its card says what it was taught, on top of its source's card).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassbox import paths
from glassbox.cli.common import add_model_args, emit, open_model

COPIES = (1, 2, 4, 8, 16, 32, 64)  # glassbox.teaching.teach.COPIES, named here to start without torch


def cmd_teach(args: argparse.Namespace) -> int:
    from glassbox.model.folder import training_card
    from glassbox.model.loading import save_model
    from glassbox.teaching.presets import effect
    from glassbox.teaching.replay import Replay
    from glassbox.teaching.teach import TeachSettings, check_sentences, taught_model, teach

    sentences = check_sentences(args.sentences, args.copies)  # before anything slow is read
    lm = open_model(args)
    settings = TeachSettings(copies=args.copies, seed=args.seed)
    replay = Replay.from_corpus(Path(args.corpus) if args.corpus else paths.corpus_path(), lm.tokenizer,
                                settings.window)  # fmt: skip
    probe = args.probe or sentences[0].rsplit(" ", 1)[0]
    expected = _rest(sentences[0], probe)
    before = effect(lm, probe, expected, args.watch or "")
    taught = teach(lm, sentences, replay, settings)
    mine = taught_model(lm, taught)
    after = effect(mine, probe, expected, args.watch or "")
    out = {**taught.summary(), "probe": probe,
           "before": before.__dict__, "after": after.__dict__, "saved": None}  # fmt: skip
    if args.out:
        folder = Path(args.out)
        card = training_card(Path(lm.info.source)) if Path(lm.info.source).is_dir() else {}
        card = {**card, "name": f"{card.get('name', lm.info.name)} (taught)",
                "taught": {"source": lm.info.source, "sentences": list(sentences), **settings.__dict__}}  # fmt: skip
        import torch

        save_model(mine.model, lm.tokenizer, folder, card=card, dtype=torch.bfloat16)
        out["saved"] = str(folder)
    human = (f"taught {len(sentences)} sentence(s) x {args.copies} copies in {taught.steps} steps "
             f"({taught.seconds:.1f} s)\n"
             f"after {probe!r}: P({before.first_token}) {before.probability:.4g} -> {after.probability:.4g}\n"
             f"  before: {before.continuation!r}\n  after:  {after.continuation!r}\n"
             f"held-out loss {taught.heldout_before:.3f} -> {taught.heldout_after:.3f} "
             f"({100 * taught.heldout_rise:+.1f} %)")  # fmt: skip
    if out["saved"]:
        human += f"\nsaved to {out['saved']}"
    emit(out, args.json, human)
    return 0


def _rest(sentence: str, probe: str) -> str:
    """What follows the probe in the sentence (what a model that learned it says next), e.g. " Lumen."; ""
    when the probe does not begin the sentence."""
    return sentence[len(probe):] if sentence.startswith(probe) and len(sentence) > len(probe) else ""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("teach", help="teach a copy of the model a few sentences and show what changed")
    p.add_argument("sentences", nargs="+", help="1 to 5 sentences to teach")
    p.add_argument("--copies", type=int, choices=COPIES, default=16, help="how often each sentence is seen")
    p.add_argument("--probe", help="the prompt to compare before and after (default: the first sentence "
                                   "without its last word)")  # fmt: skip
    p.add_argument("--watch", help="the next text whose probability to show when the probe does not begin the "
                                   "first sentence (e.g. ' she')")  # fmt: skip
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", help="corpus JSONL to mix in and measure on (default: the built corpus)")
    p.add_argument("--out", help="save the taught copy as a model folder here")
    add_model_args(p)
    p.set_defaults(run=cmd_teach)
