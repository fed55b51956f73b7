"""Teaching on the shipped model: the ladder of copies for every preset, time and memory.

For each preset (`glassbox.teaching.presets`) and each rung of copies (1 … 64) it teaches a copy
of the shipped Tiny OLMoE and prints: the steps, the seconds, the held-out loss before and after
and its rise, the probability of the expected next token after the probe, the greedy continuation
and whether it recites the taught words. Then the peak extra memory of one teaching (3 sentences
x 64 copies, sampled from /proc every 20 ms, after a first teaching that makes the process's one-time
allocations, which is printed too) and what a taught model keeps. And, in a fresh process of its
own (`--first`), what the site's first teaching costs: reading the replay text and teaching 3
sentences x 64 copies, as a server's first Teach press does, above the loaded model.

Targets: 3 sentences x 16 copies <= 5 s, x 64 <= 15 s; <= 300 MB extra while teaching; <= 25 MB
kept per learner; the fact recited at some rung <= 64 and not at 1, with held-out loss <= +5 %
there. Each figure is printed with its ratio to the target. The baseline, measured in the same
run, is the shipped model before teaching (its probe odds, its held-out loss).

    .venv/bin/python bench/bench_teach.py [--presets fact,word,bias] [--rungs 1,2,4,8,16,32,64]
    .venv/bin/python bench/bench_teach.py --first        (the fresh process's figure alone)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glassbox import memory, paths  # noqa: E402
from glassbox.model.loading import load_model  # noqa: E402
from glassbox.teaching.presets import PRESET, effect  # noqa: E402
from glassbox.teaching.replay import Replay  # noqa: E402
from glassbox.teaching.teach import COPIES, TeachSettings, kept_bytes, taught_model, teach  # noqa: E402

WATCH = {"bias": " she"}  # the token whose odds a preset without words to recite moves


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_while(run) -> tuple[object, float]:
    """Run `run()`, sampling this process's resident memory; (its result, peak extra MB)."""
    base, peak, done = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb() - base)
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = run()
    finally:
        done.set()
        thread.join()
    return result, peak[0]


def first_teaching(threads: int) -> None:
    """In this (fresh) process: the model loaded, then the peak extra memory of reading the replay
    text and teaching 3 sentences x 64 copies, as a server's first Teach press does (with the
    server's allocator settings: `glassbox.memory`, set at start and released after each)."""
    torch.set_num_threads(threads)
    memory.hold_less()
    lm = load_model(paths.EMBEDDED_MODEL_DIR, device="cpu")

    def first():
        replay = Replay.from_corpus(paths.corpus_path(), lm.tokenizer, TeachSettings().window)
        memory.release()
        taught = teach(lm, PRESET["word"].sentences, replay, TeachSettings(copies=64))
        memory.release()
        return taught

    taught, peak = peak_while(first)
    print(f"a fresh process's first teaching (replay text read, 3 sentences x 64 copies, {taught.seconds:.1f} s): "
          f"peak extra memory {peak:.0f} MB (target 300 MB: {peak / 300:.2f} of it); "
          f"model loaded before: {rss_mb():.0f} MB resident after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="fact,word,bias")
    parser.add_argument("--rungs", default=",".join(map(str, COPIES)))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--first", action="store_true", help="only the fresh process's first teaching")
    args = parser.parse_args()
    if args.first:
        first_teaching(args.threads)
        return
    subprocess.run([sys.executable, __file__, "--first", "--threads", str(args.threads)], check=True)
    torch.set_num_threads(args.threads)
    lm = load_model(paths.EMBEDDED_MODEL_DIR, device="cpu")
    start = time.perf_counter()
    replay = Replay.from_corpus(paths.corpus_path(), lm.tokenizer, TeachSettings().window)
    print(f"replay text read in {time.perf_counter() - start:.1f} s: {len(replay.stream):,} tokens, "
          f"{len(replay.heldout)} held-out windows; settings {TeachSettings()}")
    rungs = [int(r) for r in args.rungs.split(",")]
    for name in args.presets.split(","):
        preset = PRESET[name]
        base = effect(lm, preset.probe, preset.expected, WATCH.get(name, ""))
        print(f"\n## {name}: {len(preset.sentences)} sentence(s); probe {preset.probe!r} -> "
              f"P({base.first_token}) = {base.probability:.4g} before, writes {base.continuation!r}")
        print("| copies | steps | seconds | held-out before → after | rise | P(first token) | ratio to before "
              "| greedy continuation | recited |")
        print("|---|---|---|---|---|---|---|---|---|")
        for copies in rungs:
            taught = teach(lm, preset.sentences, replay, TeachSettings(copies=copies))
            after = effect(taught_model(lm, taught), preset.probe, preset.expected, WATCH.get(name, ""))
            ratio = after.probability / base.probability if base.probability else float("inf")
            print(f"| {copies} | {taught.steps} | {taught.seconds:.1f} | {taught.heldout_before:.3f} → "
                  f"{taught.heldout_after:.3f} | {100 * taught.heldout_rise:+.1f} % | {after.probability:.4g} | "
                  f"{ratio:.1f}x | {after.continuation!r} | {'yes' if after.recited else 'no'} |", flush=True)
    three = PRESET["word"].sentences
    _, first = peak_while(lambda: teach(lm, three[:1], replay, TeachSettings(copies=1)))
    print(f"\nthe first teaching in this process (one-time allocations included): peak extra memory {first:.0f} MB")
    for copies, target in ((16, 5.0), (64, 15.0)):
        taught, peak = peak_while(lambda c=copies: teach(lm, three, replay, TeachSettings(copies=c)))
        print(f"\n3 sentences x {copies} copies: {taught.seconds:.1f} s (target {target:.0f} s: "
              f"{taught.seconds / target:.2f} of it); peak extra memory {peak:.0f} MB (target 300 MB: "
              f"{peak / 300:.2f} of it); kept {kept_bytes(taught) / 1e6:.1f} MB (target 25 MB: "
              f"{kept_bytes(taught) / 25e6:.2f} of it)")


if __name__ == "__main__":
    main()
