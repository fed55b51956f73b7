"""Command line: `glassbox inspect|generate|info|...` (also `python -m glassbox`).

Every command prints JSON with --json, or a short readable report. Errors a learner can make
(empty text, too long, bad file, bad model) print one clear line and exit with status 2.
Commands from other parts of the core (corpus, training, index, tracing) register
themselves through `COMMAND_MODULES`: each module has `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

from glassbox import paths
from glassbox.errors import GlassboxError

COMMAND_MODULES: tuple[str, ...] = ("glassbox.training_cli", "glassbox.tracing_cli", "glassbox.corpus.cli")
# modules with a `prepare()` that builds missing data for the site (corpus, index)
PREPARE_STEPS: tuple[str, ...] = ("glassbox.corpus", "glassbox.tracing_cli")  # the corpus before its index
# Characters a terminal would obey rather than show (cursor moves, colours, bells) and lone surrogates.
UNSHOWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
UNSHOWABLE_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # newlines and tabs too


def terminal_safe(text: str, one_line: bool = False) -> str:
    """Text to print: control characters and lone surrogates shown as ⟨U+001B⟩; with `one_line`,
    newlines and tabs too, and a very long text cut."""
    shown = (UNSHOWABLE_IN_A_LINE if one_line else UNSHOWABLE).sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)
    return shown[:1000] + "…" if one_line and len(shown) > 1000 else shown


def read_text(args: argparse.Namespace) -> str:
    """The text from the positional argument, --file, or stdin ('-')."""
    if getattr(args, "file", None):
        path = Path(args.file)
        try:
            found = path.is_file()
        except OSError:  # a name too long for the file system
            found = False
        if not found:
            raise GlassboxError("file_missing", path=path)
        data = path.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise GlassboxError("text_not_utf8", path=path, position=err.start) from err
    if args.text == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise GlassboxError("text_not_utf8", path="<stdin>", position=err.start) from err
    if args.text is None:
        raise GlassboxError("text_empty")
    return args.text


def open_model(args: argparse.Namespace):
    from glassbox.model import load_model, prepare_source

    source = prepare_source(args.model or paths.default_model_source())
    return load_model(source, device=getattr(args, "device", None))


def emit(obj: dict, as_json: bool, human: str) -> None:
    if as_json:
        json.dump(obj, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(human)


def cmd_inspect(args: argparse.Namespace) -> int:
    from glassbox.inspection import inspect_text

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
    from glassbox.generation import generate
    from glassbox.sampling import Settings

    prompt = read_text(args)
    lm = open_model(args)
    settings = Settings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    result = generate(lm, prompt, max_new_tokens=args.max_new_tokens, settings=settings, seed=args.seed)
    emit(result.to_json(), args.json, terminal_safe(result.prompt + result.completion))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    lm = open_model(args)
    info = lm.info.to_json()
    info.update(
        model_path=lm.info.source,
        corpus_path=str(paths.corpus_path()),
        index_path=str(paths.index_dir()),
        data_dir=str(paths.data_dir()),
    )
    human = "\n".join(f"{k}: {v}" for k, v in info.items())
    emit(info, args.json, human)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Build whatever the site needs and is missing (each part registers a step)."""
    from glassbox.model import prepare_source

    if not (paths.EMBEDDED_MODEL_DIR / "config.json").exists():
        print("No trained model is shipped yet: using an untrained model (the site says so).")
    prepare_source(paths.default_model_source())
    for step in PREPARE_STEPS:
        importlib.import_module(step).prepare()
    return 0


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model folder or hub id (default: the embedded Tiny OLMoE)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def add_text_args(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("text", nargs="?", metavar=name, help=f"the {name.lower()} ('-' reads stdin)")
    p.add_argument("--file", help="read the text from a UTF-8 file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glassbox", description="See what an OLMoE model does with text.")
    sub = parser.add_subparsers(dest="command", required=True)

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

    p = sub.add_parser("prepare", help="build what the site needs and is missing")
    p.set_defaults(run=cmd_prepare)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except GlassboxError as err:
        print(f"glassbox: {terminal_safe(err.message('en'), one_line=True)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as err:  # a path the system refuses: too long, no permission, not a folder
        print(f"glassbox: {terminal_safe(str(err), one_line=True)}", file=sys.stderr)
        return 2
