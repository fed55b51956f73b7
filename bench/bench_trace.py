"""Benchmark of the corpus index: build time, trace of 64/256-token texts, count and ∞-gram queries.

Run: `python bench/bench_trace.py [--corpus PATH] [--index DIR] [--runs N]`. Without --index it builds
a fresh index of the corpus in a temporary folder (timing the build) and removes it afterwards.
Texts are windows of held-out documents (unseen text, like a model's output) and of training
documents (copied text: long spans, many documents). Each timing is a median of N runs, printed with
its target and as a ratio to a baseline measured in the same run: one engine lookup of a single token.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glassbox import paths  # noqa: E402
from glassbox.corpus.documents import iter_documents  # noqa: E402
from glassbox.index.build import build_index  # noqa: E402
from glassbox.index.engine import open_index  # noqa: E402
from glassbox.index.ngrams import count, next_token_distribution  # noqa: E402
from glassbox.index.trace import trace  # noqa: E402

TARGETS_MS = {"trace 256 tokens": 100.0, "count": 5.0}
BUILD_TARGET_S = 60.0


def median_ms(fn, inputs: list, runs: int) -> float:
    times = []
    for k in range(runs):
        item = inputs[k % len(inputs)]
        began = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def windows(index, corpus: Path, split: str, length: int, want: int) -> list[str]:
    """Texts of `length` tokens cut from documents of one split (token windows decoded back to text)."""
    out = []
    for doc in iter_documents(corpus, split=split):
        ids = index.tokenize(doc.text)
        for start in range(len(ids) // 3, len(ids) - length, max(length * 4, len(ids) // 3 or 1)):
            text = b"".join(index.token_bytes(i) for i in ids[start : start + length]).decode("utf-8", "ignore")
            out.append(text.strip())
            if len(out) >= want:
                return out
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(paths.corpus_path()))
    parser.add_argument("--index", help="use this built index instead of building one")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    work = None
    if args.index:
        folder = Path(args.index)
    else:
        work = Path(tempfile.mkdtemp(prefix="gb-bench-", dir=paths.data_dir()))
        folder = work / "ngram"
        began = time.perf_counter()
        info = build_index(corpus, folder, progress=False)
        build_s = time.perf_counter() - began
        verdict = "ok" if build_s <= BUILD_TARGET_S else "OVER"
        print(f"index build        {build_s:8.1f} s   target ≤ {BUILD_TARGET_S:.0f} s  {verdict}  "
              f"({info.documents:,} documents, {info.tokens:,} tokens)")  # fmt: skip
    try:
        index = open_index(folder)
        one = index.tokenize(" the")
        median_ms(index.count_ids, [one], 5)  # warm the memory maps
        baseline = median_ms(index.count_ids, [one], args.runs)
        print(f"baseline lookup    {baseline:8.3f} ms  (one engine count of one token)")
        rows = []
        for length in (64, 256):
            for split in ("heldout", "train"):
                texts = windows(index, corpus, split, length, 8)
                trace(index, texts[0])  # first call loads the BM25 index
                rows.append((f"trace {length} tokens ({split})", median_ms(lambda t: trace(index, t), texts, args.runs),
                             f"trace {length} tokens"))  # fmt: skip
        phrases = ["the people", "United States", "in the beginning", "said unto them", "of the Senate and House"]
        rows.append(("count", median_ms(lambda p: count(index, p), phrases, args.runs * 5), "count"))
        contexts = ["Fellow-Citizens of the Senate and", "And God said, Let there", "It was the best of"]
        ngram_ms = median_ms(lambda c: next_token_distribution(index, c), contexts, args.runs)
        rows.append(("∞-gram next token", ngram_ms, ""))
        for name, ms, key in rows:
            target = TARGETS_MS.get(key)
            goal = f"target ≤ {target:.0f} ms {'ok' if ms <= target else 'OVER'}" if target else ""
            print(f"{name:<28} {ms:8.2f} ms  ×{ms / baseline:8.1f} baseline  {goal}")
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
