"""Benchmark one training step of the full recipe: today's step in `training.train` vs
`output_loss.fast_step_loss` (the chunked output loss with its gradients taken in forward).

Each case runs in its own subprocess (so peak RSS is that case's own), cases alternate round by
round, and every figure is the median of the rounds. Each case starts from the same seeded weights
and sees the same seeded batches, so the first step's loss is compared directly (target: within 1%).
Cases: old (plain forward + F.cross_entropy + balance loss + backward + clip + AdamW), new
(fast_step_loss instead of the forward and cross_entropy), new-fused (and AdamW(fused=True)).
Target: new >= 2.5x old in tokens/s (set for CPUs with bf16 matmuls, AMX; on an AVX2-only CPU the
matmuls stay float32 and the output layer's three matmuls alone are ~1 s of the step).
Run: .venv/bin/python bench/bench_train.py [--rounds 3] [--steps 4] [--threads 2] [--cases old,new]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch


def run_case(case: str, steps: int, threads: int) -> dict:
    """Time `steps` training steps (after two warm-up steps) of one case in this process."""
    from glassbox.training.output_loss import fast_step_loss
    from glassbox.training.recipe import PRESETS, build_model, make_optimizer, plain_step_loss, train_step

    torch.set_num_threads(threads)
    recipe = PRESETS["full"]
    model = build_model(recipe)
    opt = make_optimizer(model, recipe, fused=case.endswith("fused") or None)
    gen = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size

    def step() -> float:
        batch = torch.randint(0, vocab, (recipe.batch_size, recipe.seq_len + 1), generator=gen)
        ce, _ = train_step(model, opt, batch, recipe, plain_step_loss if case == "old" else fast_step_loss)
        return ce.item()

    first_loss = step()  # the same weights and batch in every case
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return {
        "case": case, "first_loss": first_loss, "seconds": seconds,
        "tokens_per_s": recipe.batch_size * recipe.seq_len / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4, help="timed steps per case and round")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", default="old,new,new-fused")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)  # the subprocess's own case
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.steps, args.threads)))
        return
    cases = args.cases.split(",")
    results: dict[str, list[dict]] = {c: [] for c in cases}
    for round_ in range(args.rounds):
        for case in cases[round_ % len(cases):] + cases[: round_ % len(cases)]:  # each goes first in turn
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, "--steps", str(args.steps), "--threads", str(args.threads)],
                capture_output=True, text=True, check=True,
            )
            results[case].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {c: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "tokens_per_s", "peak_rss_mb")}
           for c, rs in results.items()}
    from glassbox.training.output_loss import default_dtype

    print(f"full recipe step (16 x 128 tokens), torch threads {args.threads}, median of {args.rounds} rounds"
          f" x {args.steps} steps; CPU {torch.backends.cpu.get_cpu_capability()},"
          f" output-loss matmuls in {str(default_dtype()).removeprefix('torch.')}")
    base = med[cases[0]]
    base_loss = results[cases[0]][0]["first_loss"]
    for case in cases:
        m = med[case]
        loss = results[case][0]["first_loss"]
        print(f"{case:10s} {m['tokens_per_s']:8.0f} tok/s  {m['seconds'] * 1000:7.0f} ms/step"
              f"  ratio {m['tokens_per_s'] / base['tokens_per_s']:5.2f}x  peak RSS {m['peak_rss_mb']:6.0f} MB"
              f"  first-step loss {loss:.7f} (rel. diff {abs(loss - base_loss) / base_loss:.2e})")
    print("target: new >= 2.5x old; first-step loss within 1%")


if __name__ == "__main__":
    main()
