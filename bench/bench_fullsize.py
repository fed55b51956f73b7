"""The full-size OLMoE's shape on this machine: memory of one process and of two replicas, speed.

It writes a random-weight OLMoE of the real OLMoE-1B-7B shape (16 layers, 64 experts, top-8,
hidden 2048, experts' inner size 1024, vocabulary 50304: 6.92 B parameters, 13.8 GB as bf16
safetensors, one file per layer, experts kept apart as in the published checkpoint) with the real
tokenizer into a temporary folder, and loads it through the site's loader in fresh processes:

1. privately (`share=False`, the way every process read it before): the baseline;
2. shared (`glassbox.model.mapped`), first on the machine: it reads privately once and writes the
   mapped copy (13.8 GB more disk);
3. two replicas together, each mapping that copy; one of them then times `inspect_text` on a
   32-token text and `generate` (32 new tokens, the site's sampling, routing recorded).

For each it prints anonymous memory (RssAnon, and Pss_Anon), file-backed memory (RssFile;
Pss_File splits shared pages between the processes mapping them) and peak resident size.
Target: two replicas' anonymous memory in total <= 1.2 x weights + 1.5 GB per replica.
It refuses, saying why, without 30 GB of free disk or 15 GB of free memory (the private load
needs the whole weights in memory). A bench, not a test: it takes about 10 minutes.

Measured 2026-12-07 on a 2-core x86-64 VM with 23 GB of memory and no GPU (torch 2.13 CPU); the
figures are in docs/teacher-guide.md ("What a laptop needs") and the README.

Run: .venv/bin/python bench/bench_fullsize.py [--folder DIR (reuse or keep the model)]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1e9
SHAPE = dict(vocab_size=50304, hidden_size=2048, intermediate_size=1024, num_hidden_layers=16,
             num_attention_heads=16, num_key_value_heads=16, num_experts=64, num_experts_per_tok=8,
             max_position_embeddings=4096, rope_theta=10000.0, norm_topk_prob=False,
             tie_word_embeddings=False, pad_token_id=1, eos_token_id=50279, bos_token_id=None)
TEXT = ("The history of the world is written in many hands, in speeches to the Congress, in plays "
        "for the stage, in chapters of scripture and in long novels")


def hub_tensors(config, layer: int | None):
    """(name, shape, is_norm) of the published checkpoint's tensors: one layer's, or (None) the rest."""
    h, inner, e = config.hidden_size, config.intermediate_size, config.num_experts
    kv = config.num_key_value_heads * (h // config.num_attention_heads)
    if layer is None:
        return [("model.embed_tokens.weight", (config.vocab_size, h), False), ("model.norm.weight", (h,), True),
                ("lm_head.weight", (config.vocab_size, h), False)]
    p = f"model.layers.{layer}."
    rows = [(p + "input_layernorm.weight", (h,), True), (p + "post_attention_layernorm.weight", (h,), True),
            (p + "self_attn.q_proj.weight", (h, h), False), (p + "self_attn.k_proj.weight", (kv, h), False),
            (p + "self_attn.v_proj.weight", (kv, h), False), (p + "self_attn.o_proj.weight", (h, h), False),
            (p + "self_attn.q_norm.weight", (h,), True), (p + "self_attn.k_norm.weight", (kv,), True),
            (p + "mlp.gate.weight", (e, h), False)]
    for x in range(e):
        rows += [(p + f"mlp.experts.{x}.gate_proj.weight", (inner, h), False),
                 (p + f"mlp.experts.{x}.up_proj.weight", (inner, h), False),
                 (p + f"mlp.experts.{x}.down_proj.weight", (h, inner), False)]
    return rows


def make_model(folder: Path, **shape) -> int:
    """Write a random bf16 OLMoE of `shape` in the published layout; returns the weights' bytes."""
    import torch
    from safetensors.torch import save_file
    from transformers import OlmoeConfig

    from glassbox import paths

    config = OlmoeConfig(**{**SHAPE, **shape})
    folder.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(paths.TOKENIZER_DIR / name, folder / name)
    generator = torch.Generator().manual_seed(0)
    weight_map, total = {}, 0
    parts = [None, *range(config.num_hidden_layers)]
    for number, layer in enumerate(parts):
        file = f"model-{number + 1:05d}-of-{len(parts):05d}.safetensors"
        tensors = {}
        for name, size, is_norm in hub_tensors(config, layer):
            tensors[name] = (torch.ones(size, dtype=torch.bfloat16) if is_norm
                             else (torch.randn(size, generator=generator) * 0.02).to(torch.bfloat16))
            weight_map[name] = file
            total += tensors[name].numel() * 2
        save_file(tensors, str(folder / file), metadata={"format": "pt"})
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))
    return total


def check_layout() -> None:
    """The written layout loads with no key missing or left over (a small model of the same make)."""
    from transformers import OlmoeForCausalLM

    with tempfile.TemporaryDirectory() as tmp:
        make_model(Path(tmp), hidden_size=64, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                   num_key_value_heads=2, num_experts=4, num_experts_per_tok=2)
        _, info = OlmoeForCausalLM.from_pretrained(tmp, output_loading_info=True)
    wrong = {k: v for k, v in info.items() if v}
    if wrong:
        raise SystemExit(f"the written checkpoint does not match the model: {wrong}")


def status() -> dict:
    """This process's memory, in GB: RssAnon, RssFile, VmHWM (status) and Pss_Anon, Pss_File."""
    out = {}
    for file in ("/proc/self/status", "/proc/self/smaps_rollup"):
        for line in Path(file).read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM", "Pss_Anon", "Pss_File"):
                out[key] = int(value.split()[0]) * 1024 / GB
    return out


def worker(mode: str, folder: str) -> None:
    """One fresh process: load (privately or shared), report, then do what stdin says."""
    import torch

    from glassbox.model.generation import generate
    from glassbox.model.inspection import inspect_text
    from glassbox.model.loading import load_model
    from glassbox.model.sampling import Settings

    start = time.perf_counter()
    lm = load_model(folder, share=(mode != "private"))
    print(json.dumps({"loaded_s": time.perf_counter() - start, **status()}), flush=True)
    for command in sys.stdin:
        if command.strip() == "status":
            print(json.dumps(status()), flush=True)
        elif command.strip() == "time":
            text_ids = lm.tokenizer(TEXT)["input_ids"][:32]
            text = lm.tokenizer.decode(text_ids)
            with torch.no_grad():  # the same numbers, whichever way the weights were read
                check = hashlib.sha256(lm.model(torch.tensor([text_ids])).logits.float().numpy().tobytes())
            inspect_text(lm, text)  # warm-up: pages of the mapping, the allocator
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                inspect_text(lm, text)
                runs.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = generate(lm, "In the beginning", max_new_tokens=32, stop_at_eos=False,
                           settings=Settings(temperature=0.8, top_k=40, top_p=0.95), seed=1)
            took = time.perf_counter() - t
            print(json.dumps({"tokens": len(text_ids), "logits": check.hexdigest()[:16],
                              "inspect_s": statistics.median(runs), "generated": len(got.steps),
                              "generate_s": took, **status()}), flush=True)
        else:
            break


class Process:
    def __init__(self, mode: str, folder: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", mode, str(folder)], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def answer(self, command: str | None = None) -> dict:
        if command:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"a worker ended early (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def available() -> float:
    from glassbox import memory

    return (memory.available_bytes() or 0) / GB


def row(name: str, got: dict) -> str:
    return (f"{name:<34} {got.get('loaded_s', float('nan')):7.1f} s  anon {got['RssAnon']:6.2f}  "
            f"pss_anon {got['Pss_Anon']:6.2f}  file {got['RssFile']:6.2f}  pss_file {got['Pss_File']:6.2f}  "
            f"peak {got['VmHWM']:6.2f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="keep the model here (made if missing, reused if there)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    made = bool(args.folder) and (args.folder / "model.safetensors.index.json").exists()
    where = args.folder or Path(tempfile.gettempdir())
    free_disk = shutil.disk_usage(next(p for p in (where, *where.parents) if p.exists())).free / GB
    if free_disk < (16 if made else 30):
        raise SystemExit(f"needs 30 GB of free disk (the model and its mapped copy), {free_disk:.0f} GB free")
    if available() < 15:
        raise SystemExit(f"needs 15 GB of free memory (one private load), {available():.1f} GB free")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="fullsize-"))  # made only once it may be filled
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="fullsize-data-"))
    os.environ["GLASSBOX_DATA"] = str(data)  # the mapped copy goes here, and is removed at the end
    try:
        if not made:
            check_layout()
            t = time.perf_counter()
            size = make_model(folder)
            print(f"made {folder}: {size / GB:.2f} GB of weights in {time.perf_counter() - t:.0f} s", flush=True)
        weights = json.loads((folder / "model.safetensors.index.json").read_text())["metadata"]["total_size"] / GB
        print(f"weights {weights:.2f} GB; memory free {available():.1f} GB; {os.cpu_count()} cores", flush=True)
        one = Process("private", folder)
        private = one.answer()
        print(row("1 process, private (baseline)", private), flush=True)
        private_timed = one.answer("time")
        one.close()
        first = Process("shared", folder)
        made_copy = first.answer()
        first.close()
        print(row("1 process, shared, makes the copy", made_copy), flush=True)
        a, b = Process("shared", folder), Process("shared", folder)
        print(row("replica 1 of 2, shared, loaded", a.answer()), flush=True)
        print(row("replica 2 of 2, shared, loaded", b.answer()), flush=True)
        timed = [a.answer("time"), b.answer("time")]
        after = [a.answer("status"), b.answer("status")]
        for number, got in enumerate(after, 1):
            print(row(f"replica {number} of 2, after inspect+generate", got), flush=True)
        total = sum(got["RssAnon"] for got in after)
        target = 1.2 * weights + 2 * 1.5
        print(f"two replicas, anonymous memory in total: {total:.2f} GB; target <= {target:.2f} GB "
              f"({'met' if total <= target else 'MISSED'}); private copies would take {2 * private['RssAnon']:.2f} GB "
              f"({2 * private['RssAnon'] / total:.1f}x); file-backed, shared: "
              f"{sum(got['Pss_File'] for got in after):.2f} GB")
        for name, got in (("private", private_timed), ("replica 1", timed[0]), ("replica 2", timed[1])):
            print(f"{name:<10} inspect, {got['tokens']} tokens: {got['inspect_s']:.2f} s "
                  f"({got['tokens'] / got['inspect_s']:.0f} tokens/s); generate: "
                  f"{got['generated'] / got['generate_s']:.2f} tokens/s ({got['generated']} tokens); "
                  f"logits {got['logits']}")
        same = len({got["logits"] for got in (private_timed, *timed)}) == 1
        print("the shared model computes " + ("exactly what the private one does" if same else "OTHER NUMBERS"))
        a.close()
        b.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if not args.folder:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
