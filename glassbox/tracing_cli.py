"""Command line for the corpus index and tracing: `glassbox trace|count|ngram|novelty` and `glassbox build index`.

Each command prints a short report, or one JSON object with --json. `count` and `ngram` can ask the
hosted infini-gram service instead (--hosted), for the full-size OLMoE's training data.
`prepare()` builds the index for the site when it is missing or the corpus changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _open(args: argparse.Namespace):
    from glassbox.corpus_index import open_index

    return open_index(Path(args.index) if args.index else None)


def cmd_trace(args: argparse.Namespace) -> int:
    from glassbox.cli import emit, read_text
    from glassbox.trace import trace

    result = trace(_open(args), read_text(args), max_docs=args.max_docs)
    lines = [f"{len(result.spans)} spans found in the training data ({result.tokens} tokens):"]
    for span in result.spans:
        lines.append(f"  [{span.start}:{span.end}] {span.text!r}  ×{span.count}  distinct {span.distinctiveness:.1f}")
        for doc in span.docs[:3]:
            lines.append(f"      {doc.relevance:<6} {doc.doc_id} ({doc.domain}) {doc.title}")
    emit(result.to_json(), args.json, "\n".join(lines))
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    from glassbox.cli import emit

    if args.hosted:
        from glassbox.hosted import HostedIndex

        got = HostedIndex(url=args.url, index=args.hosted_index).count(args.phrase)
        emit(got.to_json(), args.json, f"{got.count:,}{' (approx.)' if got.approx else ''}  {args.phrase!r}")
        return 0
    from glassbox.ngrams import phrase_count

    got = phrase_count(_open(args), args.phrase)
    human = f"{got.count:,}  {' '.join(got.tokens)}  (as typed, without a leading space: {got.as_typed:,})"
    emit(got.to_json(), args.json, human)
    return 0


def cmd_ngram(args: argparse.Namespace) -> int:
    from glassbox.cli import emit

    if args.hosted:
        from glassbox.hosted import HostedIndex

        got = HostedIndex(url=args.url, index=args.hosted_index).next_tokens(args.context, top=args.top)
        rows = [f"  {c.prob:6.1%}  {c.count:>10,}  {c.token}" for c in got.candidates]
        emit(got.to_json(), args.json, "\n".join([f"after {got.longest_suffix!r} ({got.suffix_len} tokens):", *rows]))
        return 0
    from glassbox.ngrams import next_token_distribution

    got = next_token_distribution(_open(args), args.context, top=args.top)
    head = f"after {got.suffix_text or '(nothing)'} — {got.suffix_tokens} tokens, seen {got.suffix_count:,} times:"
    rows = [f"  {c.prob:6.1%}  {c.count:>8,}  {c.text}" for c in got.candidates]
    emit(got.to_json(), args.json, "\n".join([head, *rows]))
    return 0


def cmd_novelty(args: argparse.Namespace) -> int:
    from glassbox.cli import emit, read_text
    from glassbox.ngrams import novelty

    got = novelty(_open(args), read_text(args), n=args.n)
    human = (
        f"{got.share:.0%} of {got.tokens} tokens lie in corpus matches of ≥ {got.n} tokens; "
        f"longest match {got.longest_tokens} tokens: {got.longest_text!r}"
    )
    emit(got.to_json(), args.json, human)
    return 0


def cmd_build_index(args: argparse.Namespace) -> int:
    from glassbox.cli import emit
    from glassbox.index import build_index

    info = build_index(Path(args.corpus) if args.corpus else None, Path(args.dest) if args.dest else None)
    human = f"{info.documents:,} documents, {info.tokens:,} tokens, built in {info.build_seconds:.1f} s at {info.path}"
    emit(info.to_json(), args.json, human)
    return 0


def _build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", help="corpus JSONL (default: the data folder's corpus/corpus.jsonl)")
    p.add_argument("--dest", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _hosted(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hosted", action="store_true", help="ask the hosted infini-gram service (full OLMoE data)")
    p.add_argument("--url", help="hosted service URL (default: https://api.infini-gram.io/)")
    p.add_argument("--hosted-index", help="hosted index name (default: v4_olmoe-0125-1b-7b-instruct_llama)")


def register(subparsers: argparse._SubParsersAction) -> None:
    from glassbox import cli
    from glassbox.corpus import cli as corpus_cli

    corpus_cli.add_build_target(corpus_cli.BuildTarget("index", "build the corpus index (infini-gram + BM25)",
                                                       cmd_build_index, _build_arguments))  # fmt: skip
    if "build" not in subparsers.choices and "glassbox.corpus.cli" not in cli.COMMAND_MODULES:
        corpus_cli.register(subparsers)

    p = subparsers.add_parser("trace", help="which training documents hold the phrases of a text")
    cli.add_text_args(p, "TEXT")
    _common(p)
    p.add_argument("--max-docs", type=int, default=10, help="documents shown per span")
    p.set_defaults(run=cmd_trace)

    p = subparsers.add_parser("count", help="how often a phrase occurs in the training corpus")
    p.add_argument("phrase")
    _common(p)
    _hosted(p)
    p.set_defaults(run=cmd_count)

    p = subparsers.add_parser("ngram", help="the corpus's ∞-gram next-token distribution after a context")
    p.add_argument("context")
    _common(p)
    _hosted(p)
    p.add_argument("--top", type=int, default=10)
    p.set_defaults(run=cmd_ngram)

    p = subparsers.add_parser("novelty", help="how much of a text is copied from the corpus in long stretches")
    cli.add_text_args(p, "TEXT")
    _common(p)
    p.add_argument("--n", type=int, default=8, help="shortest match that counts, in tokens")
    p.set_defaults(run=cmd_novelty)


def prepare() -> None:
    """Build the index when it is missing or the corpus changed (progress on stderr)."""
    from glassbox import paths
    from glassbox.index import ensure_index

    if not paths.corpus_path().is_file():  # the index needs the corpus, whatever order the steps run in
        from glassbox.corpus import prepare as prepare_corpus

        prepare_corpus()
    info = ensure_index(progress=True)
    print(f"Corpus index: {info.documents:,} documents, {info.tokens:,} tokens.", file=sys.stderr)
