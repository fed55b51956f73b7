"""Command line for the corpus index and tracing: `glassbox trace|count|ngram|novelty|training-data`.

Each command prints a short report, or one JSON object with --json. `trace`, `count` and `ngram`
search the training data of the model named by --model (default: the site's default model) where
its card says it can be searched (`glassbox.index.sources`): the local index, or the hosted
infini-gram service (`trace` there follows OLMoTrace: `glassbox.index.hosted_trace`); a model whose
training data is not known is refused. Locally, `trace` reports every maximal match with its count
and the documents of the most distinctive ones (not of the others). `count` and `ngram` can ask the
hosted service whatever the model (--hosted). `training-data` shows a model folder's source, and
sets it with --set (what a host does for a downloaded folder).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassbox import paths
from glassbox.cli.common import add_text_args, emit, read_text
from glassbox.errors import GlassboxError


def _open(args: argparse.Namespace):
    from glassbox.index.engine import open_index

    return open_index(Path(args.index) if args.index else None)


def _training_data(args: argparse.Namespace):
    """Where the training data of --model (default: the site's default model) can be searched; a
    GlassboxError when that is not known."""
    from glassbox.index import sources

    model = args.model or paths.default_model_source()
    found = sources.of_source(model)
    if found.kind == sources.UNKNOWN:
        raise GlassboxError("training_data_unknown", model=model)
    return found


def _hosted_client(args: argparse.Namespace, index: str | None):
    from glassbox.index.hosted import HostedIndex
    from glassbox.index.hosted_cache import default_cache

    return HostedIndex(url=args.url, index=index, cache=default_cache())


def cmd_trace(args: argparse.Namespace) -> int:
    from glassbox.index.trace import trace

    source = _training_data(args)
    if source.hosted:
        return _trace_hosted(args, source.index)
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


def _trace_hosted(args: argparse.Namespace, index: str) -> int:
    from glassbox.index.hosted_trace import trace

    got = trace(_hosted_client(args, index), read_text(args))
    lines = [f"{got.found} stretch{'es' * (got.found != 1)} found in {got.index} (the first {got.searched_words} "
             f"of {got.words} words searched, {got.requests} requests); the {len(got.trace.spans)} rarest, "
             "with documents:"]  # fmt: skip
    for span in got.trace.spans:
        lines.append(f"  [{span.start}:{span.end}] {span.text!r}  ×{span.count}  distinct {span.distinctiveness:.1f}")
        lines += [f"      {doc.relevance:<6} #{doc.doc_id} {doc.source}" for doc in span.docs[: args.max_docs]]
    emit(got.to_json(), args.json, "\n".join(lines))
    return 0


def _hosted_index(args: argparse.Namespace) -> str | None:
    """The hosted index to ask: --hosted's (--hosted-index or the default), else the model's when its
    training data is hosted; None for the local index."""
    if args.hosted:
        return args.hosted_index or ""
    source = _training_data(args)
    return source.index if source.hosted else None


def cmd_count(args: argparse.Namespace) -> int:
    hosted = _hosted_index(args)
    if hosted is not None:
        got = _hosted_client(args, hosted or None).count(args.phrase)
        emit(got.to_json(), args.json, f"{got.count:,}{' (approx.)' if got.approx else ''}  {args.phrase!r}")
        return 0
    from glassbox.index.ngrams import phrase_count

    got = phrase_count(_open(args), args.phrase)
    human = f"{got.count:,}  {' '.join(got.tokens)}  (as typed, without a leading space: {got.as_typed:,})"
    emit(got.to_json(), args.json, human)
    return 0


def cmd_ngram(args: argparse.Namespace) -> int:
    hosted = _hosted_index(args)
    if hosted is not None:
        got = _hosted_client(args, hosted or None).next_tokens(args.context, top=args.top)
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


def cmd_training_data(args: argparse.Namespace) -> int:
    from glassbox.index import sources

    model = args.model or paths.default_model_source()
    if args.set:
        sources.write(model, sources.from_words(args.set))
    found = sources.of_source(model)
    human = {sources.LOCAL: "the local index (glassbox build index)", sources.UNKNOWN: "not known",
             sources.HOSTED: f"the hosted infini-gram index {found.index}"}[found.kind]  # fmt: skip
    emit({"model": str(model), "training_data": found.card_value()}, args.json, f"{model}: {human}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", help="index folder (default: the data folder's ngram/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="the model whose training data to search (default: the site's default model)")
    p.add_argument("--url", help="hosted service URL (default: https://api.infini-gram.io/)")


def _hosted(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hosted", action="store_true", help="ask the hosted infini-gram service (full OLMoE data)")
    p.add_argument("--hosted-index", help="hosted index name (default: v4_olmoe-0125-1b-7b-instruct_llama)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("trace", help="which training documents hold the phrases of a text")
    add_text_args(p, "TEXT")
    _common(p)
    _model(p)
    p.add_argument("--max-docs", type=int, default=10, help="documents shown per span")
    p.set_defaults(run=cmd_trace)

    p = subparsers.add_parser("count", help="how often a phrase occurs in the training corpus")
    p.add_argument("phrase")
    _common(p)
    _model(p)
    _hosted(p)
    p.set_defaults(run=cmd_count)

    p = subparsers.add_parser("ngram", help="the corpus's ∞-gram next-token distribution after a context")
    p.add_argument("context")
    _common(p)
    _model(p)
    _hosted(p)
    p.add_argument("--top", type=int, default=10)
    p.set_defaults(run=cmd_ngram)

    p = subparsers.add_parser("novelty", help="how much of a text is copied from the corpus in long stretches")
    add_text_args(p, "TEXT")
    _common(p)
    p.add_argument("--n", type=int, default=8, help="shortest match that counts, in tokens")
    p.set_defaults(run=cmd_novelty)

    p = subparsers.add_parser("training-data", help="where a model's training data can be searched; --set to say it")
    p.add_argument("--model", help="model folder or hub id (default: the site's default model)")
    p.add_argument("--set", metavar="SOURCE", help="write it into the folder's card: local, unknown, hosted "
                   "(the full OLMoE-1B-7B-0125's index) or hosted:<index name>")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_training_data)
