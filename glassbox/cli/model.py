"""`glassbox inspect|generate|info|map`: what a model does with a text, what it is, and the one
copy of a big model's weights that every server process on the machine maps."""

from __future__ import annotations

import argparse

from glassbox import paths
from glassbox.cli.common import add_model_args, add_text_args, emit, open_model, read_text, terminal_safe


def cmd_inspect(args: argparse.Namespace) -> int:
    from glassbox.model.inspection import inspect_text

    text = read_text(args)
    lm = open_model(args)
    result = inspect_text(lm, text, top_k=args.top, temperature=args.temperature)
    lines = [f"{len(result.tokens)} tokens:"]
    for tok, nxt in zip(result.tokens, result.next_token, strict=True):
        guess = ", ".join(f"{t.text} {t.prob:.2f}" for t in nxt.top[:3])
        experts = " ".join(
            f"L{layer}:" + "+".join(map(str, result.routing.experts[layer, nxt.position]))
            for layer in range(result.routing.layers)
        )
        lines.append(f"  {tok.id:>6} {tok.text!s:<16} next: {guess:<40} experts {experts}")
    emit(result.to_json(), args.json, "\n".join(lines))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from glassbox.model.generation import generate
    from glassbox.model.sampling import Settings

    prompt = read_text(args)
    lm = open_model(args)
    settings = Settings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    result = generate(lm, prompt, max_new_tokens=args.max_new_tokens, settings=settings, seed=args.seed)
    emit(result.to_json(), args.json, terminal_safe(result.prompt + result.completion))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """The model's shape, read from its folder's config.json and safetensors headers without loading
    the weights (`describe`: a 7B model's `info` in well under a second); a hub id, or a folder that
    cannot be read that way, is loaded (the loader says exactly what is wrong)."""
    from glassbox.model.info import describe

    found = None if getattr(args, "device", None) else describe(args.model or paths.default_model_source())
    model_info = found or open_model(args).info
    info = model_info.to_json()
    from glassbox.index import sources

    info.update(
        model_path=model_info.source,
        training_data=sources.of_source(model_info.source).card_value(),  # where tracing searches
        corpus_path=str(paths.corpus_path()),
        index_path=str(paths.index_dir()),
        data_dir=str(paths.data_dir()),
    )
    human = "\n".join(f"{k}: {v}" for k, v in info.items())
    emit(info, args.json, human)
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """Make (or find) the mapped copy of a model folder's weights (`glassbox.model.mapped`), ahead
    of the servers that will share it: the one private read happens here, not in a replica."""
    import sys
    from pathlib import Path

    from glassbox.model import mapped
    from glassbox.model.loading import load_model

    source = args.model or paths.default_model_source()
    if not Path(source).expanduser().is_dir():
        print(f"only a model folder can be mapped, not {source!r}", file=sys.stderr)
        return 2
    lm = load_model(source, device="cpu", share=True)
    dtype = next(lm.model.parameters()).dtype
    file = mapped.copy_path(Path(source).expanduser(), dtype)
    found = file.is_file()
    info = {"model": lm.info.name, "copy": str(file), "gigabytes": round(file.stat().st_size / 1e9, 2) if found else 0,
            "shared": found}
    emit(info, args.json, f"{lm.info.name}: mapped copy {file} ({info['gigabytes']} GB)" if found
         else f"{lm.info.name}: no mapped copy (no room on disk?); each process reads the weights itself")
    return 0 if found else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="tokens, next-token probabilities and expert routing of a text")
    add_text_args(p, "TEXT")
    add_model_args(p)
    p.add_argument("--top", type=int, default=10, help="how many next-token candidates per position")
    p.add_argument("--temperature", type=float, default=1.0)
    p.set_defaults(run=cmd_inspect)

    p = sub.add_parser("generate", help="continue a prompt token by token")
    add_text_args(p, "PROMPT")
    add_model_args(p)
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_generate)

    p = sub.add_parser("info", help="the model's shape and where its corpus and index live")
    add_model_args(p)
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("map", help="write the one copy of a model's weights that every server process maps")
    p.add_argument("--model", help="model folder (default: the site's default model)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_map)
