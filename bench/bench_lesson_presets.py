"""The lessons' attributions: opened from what `glassbox prepare` kept, against working them out.

For each lesson example that opens "Which documents pushed this?" (glassbox.lessons.attribution_examples),
on the shipped model and the data folder's index: the seconds to find and read the kept result as
the page does (`prepared.key` + `prepared.load`), first in a fresh process with the modules imported
(as in a running site; the first look hashes the checkpoints' weights) and again in the same one,
against the seconds of an attribution worked out now (the baseline, as a page without the kept file
would). Target: <= 1 s for a lesson preset.

    .venv/bin/python bench/bench_lesson_presets.py      (after `.venv/bin/python -m glassbox prepare`)

Results (2 cores, 2026-12-07, after `glassbox prepare`):

    example                          token      kept, first look   kept, again   worked out now   ratio
    ' twice before she spoke to her'  ' sister'  0.056 s            0.054 s       5.63 s           100x
    'that he gave his only begotten'  ' Son'     0.064 s            0.007 s       2.26 s            35x

Timings depend on the machine; the ratio is what the bench is for.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glassbox import paths  # noqa: E402
from glassbox.attribution import prepared  # noqa: E402
from glassbox.attribution.attribute import attribute  # noqa: E402
from glassbox.index.build import index_stamp  # noqa: E402
from glassbox.index.engine import open_index  # noqa: E402
from glassbox.lessons import attribution_examples  # noqa: E402
from glassbox.model.loading import load_model  # noqa: E402

OPEN = """
import sys, time
from glassbox.attribution import prepared  # torch and transformers imported, as in a running site
from glassbox import paths
t = time.perf_counter()
found = prepared.load(prepared.key(paths.EMBEDDED_MODEL_DIR, sys.argv[1], sys.argv[2], int(sys.argv[3])))
print(time.perf_counter() - t if found is not None else -1.0)
"""


def main() -> None:
    torch.set_num_threads(2)
    stamp = index_stamp(paths.index_dir()) or ""
    lm = load_model(paths.EMBEDDED_MODEL_DIR, device="cpu")
    index = open_index()
    print("| example | token | kept, fresh process (s) | kept, again (s) | worked out now (s) | ratio |")
    print("|---|---|---|---|---|---|")
    for context, token in attribution_examples(lm):
        cold = float(subprocess.run([sys.executable, "-c", OPEN, stamp, context, str(token)], cwd=ROOT, text=True,
                                    capture_output=True, check=True).stdout.split()[-1])  # fmt: skip
        start = time.perf_counter()
        kept = prepared.load(prepared.key(paths.EMBEDDED_MODEL_DIR, stamp, context, token))
        warm = time.perf_counter() - start
        start = time.perf_counter()
        attribute(paths.EMBEDDED_MODEL_DIR, index, context, token, shared=lm)
        now = time.perf_counter() - start
        if kept is None or cold < 0:
            print(f"| {context[-30:]!r} | {lm.tokenizer.decode([token])!r} | not kept: run glassbox prepare | | "
                  f"{now:.2f} | |")  # fmt: skip
            continue
        print(f"| {context[-30:]!r} | {lm.tokenizer.decode([token])!r} | {cold:.3f} | {warm:.4f} | {now:.2f} | "
              f"{now / max(cold, 1e-6):.0f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
