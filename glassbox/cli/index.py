"""Command line for the corpus index and tracing: `glassbox trace|count|ngram|novelty`.

Each command prints a short report, or one JSON object with --json. `trace` reports every maximal
match with its count and the documents of the most distinctive ones (not of the others). `count` and `ngram` can ask the
hosted infini-gram service instead (--hosted), for the full-size OLMoE's training data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassbox.cli.common import add_text_args, emit, read_text


def _open(args: argparse.Namespace):
    from glassbox.index.engine import open_index

    return open_index(Path(args.index) if args.index else None)


def cmd_trace(args: argparse.Namespace) -> int:
    from glassbox.index.trace import trace

    result = trace(_open(args), read_text(args), max_docs=args.max_docs)
    found = len(result.matches)
    lines = [f"{found} stretch{'es' * (found != 1)} found in the training data ({result.tokens} tokens); "
             f"the {len(result.spans)} most distinctive, with documents:"]  # fmt: skip
    for span in result.spans:
        lines.append(f"  [{span.start}:{span.end}] {span.text!r}  ×{span.count}  distinct {span.distinctiveness:.1f}")
        for doc in span.docs[:3]:
            lines.append(f"      {doc.relevance:<6} {doc.doc_id} ({doc.domain}) {doc.title}")
    if found > len(result.spans):
        lines.append("All matches (* most distinctive):")
        lines += [f"  {'*' if m.distinctive else ' '} {m.text!r}  ×{m.count}" for m in result.matches]
    emit(result.to_json(), args.json, "\n".join(lines))
    return 0


def cmd_count(args: argparse.Namespace) -> int:

    if args.hosted:
        from glassbox.index.hosted import HostedIndex

        got = HostedIndex(url=args.url, index=args.hosted_index).count(args.phrase)
        emit(got.to_json(), args.json, f"{got.count:,}{' (approx.)' if got.approx else ''}  {args.phrase!r}")
        return 0
    from glassbox.index.ngrams import phrase_count

    got = phrase_count(_open(args), args.phrase)
    human = f"{got.count:,}  {' '.join(got.tokens)}  (as typed, without a leading space: {got.as_typed:,})"
    emit(got.to_json(), args.json, human)
    return 0


def cmd_ngram(args: argparse.Namespace) -> int:

    if args.hosted:
        from glassbox.index.hosted import HostedIndex

        got = HostedIndex(url=args.url, index=args.hosted_index).next_tokens(args.context, top=args.top)
        rows = [f"  {c.prob:6.1%}  {c.count:>10,}  {c.token}" for c in got.candidates]
        emit(got.to_json(), args.json, "\n".join([f"after {got.longest_suffix!r} ({got.suffix_len} tokens):", *rows]))
        return 0
    from glassbox.index.ngrams import next_token_distribution

    got = next_token_distribution(_open(args), args.context, top=args.top)
    head = f"after {got.suffix_text or '(nothing)'} — {got.suffix_tokens} tokens, seen {got.suffix_count:,} times:"
    rows = [f"  {c.prob:6.1%}  {c.count:>8,}  {c.text}" for c in got.candidates]
    emit(got.to_json(), args.json, "\n".join([head, *rows]))
    return 0


def cmd_novelty(args: argparse.Namespace) -> int:
    from glassbox.index.ngrams import novelty

    got = novelty(_open(args), read_text(args), n=args.n)
    human = (
        f"{got.share:.0%} of {got.tokens} tokens lie in corpus matches of ≥ {got.n} tokens; "
        f"longest match {got.longest_tokens} tokens: {got.longest_text!r}"
    )
    emit(got.to_json(), args.json, human)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _hosted(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hosted", action="store_true", help="ask the hosted infini-gram service (full OLMoE data)")
    p.add_argument("--url", help="hosted service URL (default: https://api.infini-gram.io/)")
    p.add_argument("--hosted-index", help="hosted index name (default: v4_olmoe-0125-1b-7b-instruct_llama)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("trace", help="which training documents hold the phrases of a text")
    add_text_args(p, "TEXT")
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
    add_text_args(p, "TEXT")
    _common(p)
    p.add_argument("--n", type=int, default=8, help="shortest match that counts, in tokens")
    p.set_defaults(run=cmd_novelty)
