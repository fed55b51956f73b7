"""`glassbox train` and `glassbox eval`: the recipe and the evaluation from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glassbox import paths
from glassbox.cli.common import open_model

# the presets of glassbox.training.recipe (named here so that the CLI starts without importing torch)
PRESET_NAMES = ("full", "quick")


def cmd_train(args: argparse.Namespace) -> int:
    from glassbox.corpus.documents import iter_documents  # noqa: F401 - fails early with a clear message
    from glassbox.training.recipe import PRESETS, train

    corpus = Path(args.corpus) if args.corpus else paths.corpus_path()
    out = Path(args.out) if args.out else (paths.EMBEDDED_MODEL_DIR if args.preset.startswith("full")
                                            else paths.data_dir() / "quick-olmoe")
    limit = 400_000 if args.preset.startswith("quick") else None
    log = train(corpus, out, PRESETS[args.preset], preset=args.preset, limit_chars=limit, progress=not args.json,
                resume=args.resume)
    summary = {
        "out": str(out), "preset": args.preset, "seconds": log["seconds"], "tokens_seen": log["tokens_seen"],
        "first_loss": log["train_loss"][0], "last_loss": log["train_loss"][-1],
        "heldout": log["heldout"][-1], "checkpoints": log["checkpoints"],
    }
    if args.json:
        json.dump(summary, sys.stdout)
        print()
    else:
        print(f"trained {args.preset} in {log['seconds']} s: loss {summary['first_loss']} -> {summary['last_loss']},"
              f" held-out {summary['heldout']['loss']}; saved to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from glassbox.training.evaluate import evaluate

    lm = open_model(args)
    corpus = Path(args.corpus) if args.corpus else paths.corpus_path()
    result = evaluate(lm, corpus, windows_per_domain=args.windows)
    data = result.to_json()
    if args.save:
        from glassbox.corpus.documents import manifest_path
        from glassbox.model.folder import training_log, write_evaluation
        from glassbox.training.cards import write_cards

        folder = Path(lm.info.source)
        write_evaluation(folder, data)
        if training_log(folder) is not None:
            write_cards(folder, manifest_path(corpus))
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False)
        print()
    else:
        print("held-out loss (nats/token):", ", ".join(f"{k} {v:.3f}" for k, v in result.heldout_loss.items()))
        low = min(min(layer) for layer in result.expert_load)
        print(f"lowest expert load: {low:.1%} of routing slots")
        print(f"memorisation probe: {result.memorised}/{len(result.memorisation)} reproduced")
        for p in result.memorisation:
            print(f"  {'✓' if p.reproduced else '✗'} {p.name}: {p.prompt!r} -> {p.produced!r} (corpus {p.expected!r})")
        from glassbox.training.memorisation import EXPECTED_TOKENS, PROMPT_TOKENS

        effect = result.document_start_effect
        print(f"anthology passages recited ({EXPECTED_TOKENS} tokens after {PROMPT_TOKENS}):"
              f" {effect['with']}/{effect['passages']}"
              f" ({effect['without']} without the document start)")
        for rung in result.memorisation_by_rung:
            print(f"  {rung['copies']:>3} copies: {rung['recited']}/{rung['passages']} recited")
        for ckpt in result.memorisation_by_checkpoint or ():
            shares = ", ".join(f"{r['copies']}×{r['recited']}/{r['passages']}" for r in ckpt["rungs"])
            print(f"  step {ckpt['step']} ({ckpt['label']}): {shares}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the Tiny OLMoE from the corpus (seeded, deterministic)")
    p.add_argument("--preset", choices=PRESET_NAMES, default="full",
                   help="full: the shipped model's recipe; quick: a toy version for tests (about a minute)")
    p.add_argument("--corpus", help="corpus JSONL (default: the built corpus)")
    p.add_argument("--out", help="output folder (default: assets/tiny-olmoe for full)")
    p.add_argument("--resume", action="store_true",
                   help="go on from the state an interrupted run left in the output folder (resume.pt)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("eval", help="held-out loss, expert load and a memorisation probe")
    p.add_argument("--model", help="model folder or hub id (default: the embedded Tiny OLMoE)")
    p.add_argument("--device")
    p.add_argument("--corpus", help="corpus JSONL (default: the built corpus)")
    p.add_argument("--windows", type=int, default=48, help="held-out windows of 128 tokens per domain")
    p.add_argument("--save", action="store_true", help="write eval.json and the cards into the model folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_eval)
