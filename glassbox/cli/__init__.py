"""Command line: `glassbox inspect|generate|info|trace|count|attribute|...` (also `python -m glassbox`).

Every command prints JSON with --json, or a short readable report. Errors a learner can make
(empty text, too long, bad file, bad model) print one clear line and exit with status 2.
Each module of this package adds its commands with `register(subparsers)`:
`model` (inspect, generate, info), `index` (trace, count, ngram, novelty), `training` (train, eval),
`teaching` (teach), `attribution` (attribute: which training passages pushed a next token), `build`
(build corpus|ladder|index, prepare) and `lessons` (the lessons' claims, measured).
"""

from __future__ import annotations

import argparse
import sys

from glassbox.cli import attribution, build, index, lessons, model, teaching, training
from glassbox.cli.common import terminal_safe
from glassbox.errors import GlassboxError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glassbox", description="See what an OLMoE model does with text.")
    sub = parser.add_subparsers(dest="command", required=True)
    for part in (model, index, training, teaching, attribution, build, lessons):
        part.register(sub)
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
