"""What every command shares: reading the text, opening the model, printing a result safely."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from glassbox import paths
from glassbox.errors import GlassboxError

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
    """The model named by --model (default: the embedded one), loaded on --device."""
    from glassbox.model.loading import load_model, prepare_source

    source = prepare_source(args.model or paths.default_model_source())
    return load_model(source, device=getattr(args, "device", None))


def emit(obj: dict, as_json: bool, human: str) -> None:
    """Print one JSON object with --json, else the readable report."""
    if as_json:
        json.dump(obj, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(human)


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model folder or hub id (default: the embedded Tiny OLMoE)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def add_text_args(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("text", nargs="?", metavar=name, help=f"the {name.lower()} ('-' reads stdin)")
    p.add_argument("--file", help="read the text from a UTF-8 file")
