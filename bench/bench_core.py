"""Benchmark the inspector core against plain transformers in the same run.

1. Capture overhead: `inspect_text` on a 128-token text (one forward pass that also records
   routing, tokens and next-token tops) vs a plain forward pass of the same model.
2. Generation speed: tokens/s of `generate` with routing capture, without it, and of
   `model.generate` (transformers' own loop, no capture) with the same sampling settings.
Targets: overhead <= 1.15x; generation with routing >= 0.85x plain generation.
Run: .venv/bin/python bench/bench_core.py [--model FOLDER] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from glassbox import paths
from glassbox.model import olmoe
from glassbox.model.generation import generate
from glassbox.model.inspection import inspect_text
from glassbox.model.loading import load_model, prepare_source
from glassbox.model.sampling import Settings

TEXT_SEED = (
    "The history of the world is written in many hands, in speeches to the Congress, in plays for "
    "the stage, in chapters of scripture and in long novels about people and the sea. "
)


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, called in turn round by round (so that load from
    elsewhere on the machine falls on all of them alike, and each follows each of the others),
    after two warm-up rounds."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for round_ in range(repeats + 2):
        for name in names[round_ % len(names):] + names[: round_ % len(names)]:  # each goes first in turn
            start = time.perf_counter()
            fns[name]()
            if round_ >= 2:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def timed(fn, repeats: int) -> float:
    """Median seconds of `repeats` calls after two warm-up calls."""
    fn(), fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    lm = load_model(prepare_source(args.model or paths.default_model_source()), device="cpu")
    ids = lm.tokenizer(TEXT_SEED * 8, add_special_tokens=False)["input_ids"][:128]
    text = lm.tokenizer.decode(ids)
    ids = lm.tokenizer(text, add_special_tokens=False)["input_ids"]
    input_ids = torch.tensor([ids])
    info = lm.info
    print(f"model {info.name}: {info.layers} layers x {info.experts} experts (top-{info.experts_per_token}),"
          f" {info.parameters / 1e6:.1f}M parameters; text of {len(ids)} tokens;"
          f" torch threads {torch.get_num_threads()}")

    def plain_forward():  # logits at every position, no cache kept: what inspection's pass computes too
        with torch.inference_mode():
            lm.model(input_ids=input_ids, use_cache=False)

    def captured_forward():
        with olmoe.capture_routing():
            olmoe.forward(lm.model, input_ids)

    t = interleaved({
        "plain": plain_forward,
        "captured": captured_forward,
        "inspect": lambda: inspect_text(lm, text, top_k=10),
        "records": lambda: inspect_text(lm, text, top_k=10).next_token,
    }, args.repeats)
    plain = t["plain"]
    print(f"plain forward      {plain * 1000:8.1f} ms")
    print(f"forward + routing  {t['captured'] * 1000:8.1f} ms   ratio {t['captured'] / plain:.3f}x"
          "  (routing capture alone)")
    print(f"inspect_text       {t['inspect'] * 1000:8.1f} ms   overhead {t['inspect'] / plain:.3f}x  (target <= 1.15x)")
    print(f"  + all records    {t['records'] * 1000:8.1f} ms   overhead {t['records'] / plain:.3f}x"
          f"  (next-token records of all {len(ids)} positions built too)")

    settings = Settings(temperature=0.8, top_k=40, top_p=0.95)
    prompt = "In the beginning"
    n = args.new_tokens

    def ours(capture: bool):
        return lambda: generate(lm, prompt, max_new_tokens=n, settings=settings, seed=1, capture=capture,
                                stop_at_eos=False)

    prompt_ids = torch.tensor([lm.tokenizer(prompt, add_special_tokens=False)["input_ids"]])

    def hf_generate():
        torch.manual_seed(1)
        with torch.inference_mode():
            lm.model.generate(prompt_ids, max_new_tokens=n, min_new_tokens=n, do_sample=True, temperature=0.8,
                              top_k=40, top_p=0.95, pad_token_id=1)

    repeats = max(3, args.repeats // 3)
    with_routing = n / timed(ours(True), repeats)
    without = n / timed(ours(False), repeats)
    hf = n / timed(hf_generate, repeats)
    print(f"generate, routing  {with_routing:8.1f} tok/s")
    print(f"generate, no capture {without:6.1f} tok/s   ratio {with_routing / without:.3f}x  (target >= 0.85x)")
    print(f"transformers generate {hf:5.1f} tok/s   ratio {with_routing / hf:.3f}x  (target >= 0.85x)")


if __name__ == "__main__":
    main()
