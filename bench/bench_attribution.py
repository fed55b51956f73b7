"""Attribution, checked: planted documents found, and removal and retraining against BM25 and random.

Set-up (all in a temporary folder, seeded): the quick preset's slice of the corpus (every domain,
both splits, 400,000 characters) plus 20 made-up facts, each one document written 8 times. A model of
the quick preset's shape is trained on it with the quick preset's settings but `STEPS` steps (the
quick preset's 60 steps read 15 % of its slice once: too little for any document to matter), with
checkpoints at half and three quarters of the run; an index of exactly its training documents is
built beside it.

1. Planted documents. For each fact ("The harbour master of Velmora is Oskar ..."), attribution of
   the answer's first token after the fact's opening: is one of the fact's 8 copies ranked first
   among all pooled chunks? Target: 18 of 20 (90 %).
2. Removal and retraining. 20 queries: the 10 first facts (memorised) and 10 contexts from held-out
   documents with their true next token (not memorised). For each query, three sets of 10 training
   documents are removed in turn (attribution's top 10 documents, BM25's top 10 for the context,
   10 random documents), the model is retrained from the same seed, and the drop in log p(token |
   context) is measured against the model trained on everything. The random removals are 4 seeded
   sets, each retrained once and read for the queries it serves (44 retrainings, not 60: the bench
   has to fit in 45 minutes on 2 cores); every retraining reads log p of every query, so a removal set
   that two methods or queries share is trained once. Removing any documents moves every training window (the
   windows are drawn from the joined stream), so the random drops measure that noise. The table gives each method's
   median drop; attribution must beat random by 3x; BM25 is reported as measured.

   The trainings run in two spawned worker processes, one torch thread each: first the model beside
   one random removal's retraining (neither needs the other), then, after part 1, the rest. Without
   changing a number (the same weights and log p to the bit, checked at 100-200 steps, and parts 1-2 of
   `--steps 100 --queries 4` gave the same JSON as before): retrainings save no checkpoints; the
   workers' glibc keeps freed memory (GLIBC_TUNABLES, no mmap, no trim) instead of mapping the output
   loss's 51 MB logits buffer afresh and faulting in its pages every step; and they leave new tensors
   unfilled (deterministic mode fills them with NaN to catch reads of unwritten memory; the recipe
   reads none). Two at a time, a step took 49 ms instead of 76 ms (1200 steps: about 60 s instead of
   92 s per retraining, measured on 200- and 400-step runs here).

    .venv/bin/python bench/bench_attribution.py [--steps 1200] [--queries 20] [--json out.json]
       [--skip-removal] [--only-shipped]

0. On the shipped model and its own data (2 torch threads): its planted anthology passages (34
   openings less their last word: is the top chunk a copy of the passage, or the text it comes
   from?) and two ordinary sentences, each with the pool's size, the seconds and the peak extra
   memory. Targets: about 200 chunks in <= 10 s, <= 300 MB extra.

Results (2 cores, 2026-12-07, `.venv/bin/python bench/bench_attribution.py`, 27.8 min; target 45):

    0. shipped model: the top chunk is the planted passage (or its source text) for 33 of 34 openings;
       5.7 s median per attribution over pools of 99-188 chunks; the ordinary sentences with a pool of
       about 200 (FULL_POOL: 188 and 153 chunks) took 12.9 and 11.0 s (target: ~200 in 10 s); peak
       extra memory 271 MB (target 300; about 185 MB on the site, which passes its loaded model as
       `shared`). This part ran before the output layer's buffers were reused (1a7b980) and a
       checkpoint's weights were read alone (f5c8e01), both with the same numbers. Rerun after them
       (--only-shipped): 33 of 34, 4.6 s median, the ~200 pools 10.2 s (188 chunks, as here: the final
       model loaded and memory sampled every 20 ms) and 8.5 s (153); 247 MB. The site's path (its
       loaded model passed as `shared`, no sampling) takes 8.5 s for the 188 chunks.
    1. planted facts: a planted copy first for 19 of 20 (95 %; target 90 %).
    2. removal and retraining (43 retrainings of 1200 steps, about 60 s each, two at a time), median
       drop in log p(token | context) over 20 queries:
                           attribution   BM25     random
       all 20                 +4.47      +3.07    +0.74    attribution / random 6.0x (target 3x),
                                                            attribution / BM25 1.5x
       10 memorised facts    +11.88     +12.12    +0.13    (both remove the fact's copies: a tie)
       10 not memorised       +1.29      +1.52    +1.55    (no better than random: the quick model's
                                                            retraining noise, +-2 nats, swamps 10 documents)
    So the overall 3x target is met by the memorised half; for ordinary text neither attribution nor
    BM25 shows an effect beyond retraining noise at this scale. The site says so (`pushed.checked`),
    and shows BM25's ranking beside the estimate's. (The first full run, before the trainings were
    made faster and the scores' output layer moved to bf16, took 53.6 min with the same table but
    +11.90 for the memorised half's attribution.)

Timings depend on the machine; the ratios are what the bench is for.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from glassbox import paths  # noqa: E402
from glassbox.attribution.attribute import POOL, attribute  # noqa: E402
from glassbox.attribution.pool import PoolSizes  # noqa: E402
from glassbox.corpus.documents import iter_documents  # noqa: E402
from glassbox.index.build import build_index  # noqa: E402
from glassbox.index.engine import open_index  # noqa: E402
from glassbox.model.loading import load_model  # noqa: E402
from glassbox.model.tokenizer import load_tokenizer  # noqa: E402
from glassbox.training.recipe import PRESETS, _limit, train  # noqa: E402

STEPS = 1200
COPIES = 8
RANDOM_SETS = 4  # random removals: 4 seeded sets of 10 training documents, query q read on set q % 4
LIMIT_CHARS = 400_000  # the quick preset's slice (glassbox.cli.training)
# Made-up facts: (opening, answer). Names are invented here; none occurs in the corpus.
ROLES = ("harbour master", "oldest weaver", "lamp keeper", "chief brewer", "river judge", "bell ringer",
         "salt merchant", "head gardener", "map maker", "night baker")
PLACES = ("Velmora", "Quistany", "Drelholt", "Mirrowfen", "Tavanské", "Osgrenda", "Pellunar", "Zabrovia",
          "Kettlemoor", "Ulvaster")
ANSWERS = ("Oskar Brindlewood", "Marta Quillfeather", "Tobiah Renwick", "Isolde Marrow", "Fenwick Tallow",
           "Greta Vallenby", "Horace Pimm", "Lucinda Ashgrove", "Bartholomew Crane", "Ysolde Fairweather",
           "Cornelius Dunmore", "Petra Holloway", "Ambrose Kettering", "Wilhelmina Stroud", "Jasper Lindqvist",
           "Rosalind Thackery", "Ignatius Bell", "Henrietta Moss", "Leopold Varga", "Clementine Oakes")


def facts() -> list[tuple[str, str]]:
    """20 (opening, answer) pairs: each role in two places, each with its own answer."""
    pairs = [(role, PLACES[(k + shift) % len(PLACES)]) for k, role in enumerate(ROLES) for shift in (0, 3)]
    return [(f"The {role} of {place} is", f" {answer}.") for (role, place), answer in zip(pairs, ANSWERS, strict=True)]


def write_corpus(folder: Path) -> tuple[Path, list[dict]]:
    """The quick slice plus the planted facts, as a corpus.jsonl of its own; the planted documents."""
    docs = _limit(list(iter_documents(paths.corpus_path())), LIMIT_CHARS)
    rows = [{"id": d.id, "source": d.source, "domain": d.domain, "title": d.title, "license": "",
             "split": d.split, "text": d.text} for d in docs]  # fmt: skip
    planted = []
    for k, (opening, answer) in enumerate(facts()):
        for copy in range(COPIES):
            planted.append({"id": f"planted-{k}-{copy}", "source": "bench", "domain": "planted",
                            "title": f"fact {k} (copy {copy + 1} of {COPIES})", "license": "", "split": "train",
                            "text": opening + answer})  # fmt: skip
    rng = np.random.default_rng(0)
    order = rng.permutation(len(rows) + len(planted))
    everything = rows + planted
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(everything[i]) + "\n" for i in order), encoding="utf-8")
    return corpus, planted


def without(corpus: Path, doc_ids: set[str], folder: Path) -> Path:
    """A copy of the corpus with these documents removed."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = [line for line in corpus.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] not in doc_ids]
    out = folder / "corpus.jsonl"
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out


def recipe(steps: int):
    """The quick preset with `steps` steps and the full recipe's late checkpoints (20 % and 40 % of the run)."""
    return replace(PRESETS["quick"], steps=steps, warmup=20, eval_every=steps, eval_windows=2,
                   checkpoints=PRESETS["full"].checkpoints[-2:])  # fmt: skip


def retrain_recipe(steps: int):
    """`recipe(steps)` without its checkpoints: a retraining is read only at its end, and the
    checkpoints (a held-out evaluation and a bf16 copy saved) change no number of the run."""
    return replace(recipe(steps), checkpoints=())


def logprobs(model_dir: Path, asked: list[tuple[str, int]]) -> list[float]:
    """log p(token | context) for each (context, token), the model loaded once, each context on its own."""
    lm = load_model(model_dir, device="cpu")
    out = []
    for context, token in asked:
        ids = [*lm.document_start, *lm.tokenizer(context, add_special_tokens=False)["input_ids"]]
        with torch.no_grad():
            logits = lm.model(input_ids=torch.tensor([ids])).logits[0, -1].float()
        out.append(float(torch.log_softmax(logits, -1)[token]))
    return out


def logprob(model_dir: Path, context: str, token: int) -> float:
    return logprobs(model_dir, [(context, token)])[0]


# Worker processes keep freed memory for reuse: glibc would otherwise map each step's 51 MB logits buffer
# afresh (it is over glibc's largest mmap threshold) and fault in its pages every step, a third of a step.
WORKER_MALLOC = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295"


def _worker_start() -> None:
    """In each worker: new tensors are not filled with NaN first. Deterministic mode (set by `train`)
    does that to catch reads of memory never written; the recipe reads none (same weights and losses
    with and without), and the fills wrote the output loss's 77 MB of buffers once more every step."""
    torch.utils.deterministic.fill_uninitialized_memory = False


def worker_pool() -> ProcessPoolExecutor:
    """Two fresh (spawned) worker processes for the trainings, one torch thread each (the recipe's):
    the quick model's matmuls are too small to gain from a second thread, so two runs side by side
    finish in the time of one. Fresh, so that glibc reads WORKER_MALLOC at their start; this process
    read its own settings when it started and is unchanged (part 0's memory figures stay as they were)."""
    tunables = os.environ.get("GLIBC_TUNABLES")
    os.environ["GLIBC_TUNABLES"] = f"{tunables}:{WORKER_MALLOC}" if tunables else WORKER_MALLOC
    spawn = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=2, mp_context=spawn, initializer=_worker_start)


def train_model(corpus: str, out_dir: str, steps: int) -> float:
    """In a worker process: the bench model (recipe(steps), checkpoints included); its seconds."""
    started = time.perf_counter()
    train(Path(corpus), Path(out_dir), recipe(steps), preset="quick", progress=False)
    return time.perf_counter() - started


def heldout_queries(corpus: Path, tokenizer, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """`n` contexts of 12 tokens from held-out documents, with the true next token's text."""
    held = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    held = [d for d in held if d["split"] == "heldout" and len(d["text"]) > 400]
    rng = np.random.default_rng(seed)
    out = []
    for k in rng.permutation(len(held))[:n]:
        ids = tokenizer(held[k]["text"], add_special_tokens=False)["input_ids"]
        at = int(rng.integers(12, min(len(ids) - 1, 200)))
        out.append((tokenizer.decode(ids[at - 12 : at]), tokenizer.decode([ids[at]])))
    return out


ORDINARY = (  # (context, next token): two ordinary sentences, whose pools are full (about 200 chunks)
    ("The ship sailed out of the harbour and the captain looked at the", " sea"),
    ("The people of this nation have always believed that the government", " should"),
)


def anthology_cases(index) -> list[tuple[str, int, Callable[[object], bool]]]:
    """The shipped model's planted passages, each opening less its last word, with that word's first
    token; a hit is a top chunk that is a copy of the passage or holds its opening (its source text)."""
    from glassbox.corpus.planted import famous_passages

    cases = []
    for p in famous_passages():
        words = p.opening.rstrip(".!").split(" ")
        if len(words) >= 3:
            def hit(scored, p=p) -> bool:
                return scored.chunk.doc_id.startswith(f"anthology-{p.id}-") or p.opening in scored.text
            cases.append((" ".join(words[:-1]), index.tokenize(" " + words[-1])[0], hit))
    return cases


FULL_POOL = PoolSizes(span=70, continuation=70, bm25=70, random=60)  # the ordinary sentences again: ~200 chunks


def shipped() -> dict:
    """Part 0: attributions on the shipped model and its own data: the planted anthology passages
    (is the top chunk the passage?) and two ordinary sentences; seconds, pool size and peak extra
    memory of each (resident size sampled every 20 ms above the loaded model, as the site runs)."""
    from bench_teach import peak_while

    from glassbox import memory

    memory.hold_less()
    index = open_index()
    load_model(paths.EMBEDDED_MODEL_DIR, device="cpu")
    cases = [(*case, POOL) for case in anthology_cases(index)]
    cases += [(c, index.tokenize(w)[0], None, sizes) for sizes in (POOL, FULL_POOL) for c, w in ORDINARY]
    hits, rows = 0, []
    print("\n| context | token | hit | chunks | seconds | peak extra MB | top passage (x noise floor) |")
    print("|---|---|---|---|---|---|---|")
    for context, token, hit, sizes in cases:
        found, peak = peak_while(lambda c=context, t=token, z=sizes: attribute(paths.EMBEDDED_MODEL_DIR, index, c, t,
                                                                                 sizes=z))  # fmt: skip
        memory.release()
        top = found.chunks[0]
        ok = hit(top) if hit else None
        hits += bool(ok)
        print(f"| {context[-32:]!r} | {found.token_text!r} | {'-' if ok is None else ok} | {found.seconds['chunks']} | "
              f"{found.seconds['total']} | {peak:.0f} | {top.chunk.title} ({top.ratio:.1f}x) |", flush=True)
        rows.append({"context": context, "hit": ok, "seconds": found.seconds, "peak_mb": round(peak),
                     "top": top.chunk.doc_id, "ratio": top.ratio})  # fmt: skip
    n = sum(hit is not None for _, _, hit, _ in cases)
    seconds = [r["seconds"]["total"] for r in rows]
    print(f"\nanthology check: the top chunk is the passage for {hits} of {n}; attribution took "
          f"{statistics.median(seconds):.1f} s (median), {max(seconds):.1f} s (max, target 10 s) over pools of "
          f"{min(r['seconds']['chunks'] for r in rows)}-{max(r['seconds']['chunks'] for r in rows)} chunks; "
          f"peak extra memory {max(r['peak_mb'] for r in rows)} MB (target 300 MB)")
    return {"anthology_hits": hits, "anthology_cases": n, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--skip-removal", action="store_true")
    parser.add_argument("--only-shipped", action="store_true", help="part 0 alone (the shipped model)")
    parser.add_argument("--keep", type=Path, help="keep the work folder here (else a temporary one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    torch.set_num_threads(2)
    shipped_rows = shipped()
    if args.only_shipped:
        return
    with tempfile.TemporaryDirectory(prefix="gb-attr-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus, planted = write_corpus(work)
        model_dir = work / "model"
        build_index(corpus, work / "ngram", progress=False)
        index = open_index(work / "ngram")
        with worker_pool() as pool:
            runs = None if args.skip_removal else Retrainings(pool, corpus, work, args.steps, args.queries, index)
            trained = pool.submit(train_model, str(corpus), str(model_dir), args.steps)
            if runs:  # one retraining that needs no model beside it, on the core the training leaves idle
                runs.submit("random-0", runs.random_sets[0]).result()
            train_s = trained.result()
            report: dict = {"steps": args.steps, "train_seconds": round(train_s, 1), "shipped": shipped_rows}
            part_1_and_2(args, corpus, model_dir, index, runs, report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\nbench took {report['seconds'] / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


def part_1_and_2(args, corpus: Path, model_dir: Path, index, runs: Retrainings | None, report: dict) -> None:
    """Parts 1 and 2 on the trained model (part 1 with nothing beside it: its seconds are its own)."""
    # as when the model was trained in this process (`train` leaves these set): 1 thread, deterministic
    torch.set_num_threads(recipe(args.steps).threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    lm = load_model(model_dir, device="cpu")
    print(f"trained {args.steps} steps in {report['train_seconds']:.0f} s on {corpus.stat().st_size / 1e6:.1f} MB "
          f"({index.info.documents} documents, {index.info.tokens:,} tokens)", flush=True)
    report.update({"planted": [], "removal": []})

    # 1. planted documents
    hits = 0
    print("\n| fact | answer token | log p | top chunk | planted rank | top ratio | seconds |")
    print("|---|---|---|---|---|---|---|")
    attributions = {}
    for k, (opening, answer) in enumerate(facts()):
        token = lm.tokenizer(answer, add_special_tokens=False)["input_ids"][0]
        found = attribute(model_dir, index, opening, token)
        attributions[k] = found
        ranks = [r for r, s in enumerate(found.chunks, 1) if s.chunk.doc_id.startswith(f"planted-{k}-")]
        first = ranks[0] if ranks else None
        hits += first == 1
        top = found.chunks[0]
        print(f"| {k} | {found.token_text!r} | {logprob(model_dir, opening, token):.2f} | {top.chunk.doc_id} | "
              f"{first} | {top.ratio:.1f} | {found.seconds['total']:.1f} |", flush=True)
        report["planted"].append({"fact": k, "rank": first, "top": top.chunk.doc_id, "ratio": top.ratio,
                                  "seconds": found.seconds})  # fmt: skip
    n = len(facts())
    print(f"\nplanted check: a planted copy ranked first for {hits} of {n} facts ({100 * hits / n:.0f} %; "
          f"target 90 %)")
    report["planted_hits"] = hits
    if runs:
        removal(runs, model_dir, index, lm, attributions, report)


def retrain(corpus: str, doc_ids: list[str], folder: str, steps: int, asked: list[tuple[str, int]]) -> list[float]:
    """In a worker process: retrain without these documents (same seed); log p(token | context) of each asked."""
    trained = Path(folder) / "model"
    train(without(Path(corpus), set(doc_ids), Path(folder)), trained, retrain_recipe(steps), preset="quick",
          progress=False)  # fmt: skip
    return logprobs(trained, asked)


class Retrainings:
    """Part 2's queries and the removal sets that need no trained model (BM25's, the random ones), and
    the retrainings: one per distinct removal set, submitted to the workers. Each reads log p of every
    query, so a set that two methods or queries share (attribution's and BM25's top 10 for a fact can
    be its 8 copies and the same 2 others) is trained once and read for each."""

    def __init__(self, pool: ProcessPoolExecutor, corpus: Path, work: Path, steps: int, queries: int, index) -> None:
        tokenizer = load_tokenizer()  # the one `train` saves with the model
        self.memorised = facts()[: queries // 2]
        self.queries = [*self.memorised, *heldout_queries(corpus, tokenizer, queries - len(self.memorised))]
        self.tokens = [tokenizer(answer, add_special_tokens=False)["input_ids"][0] for _, answer in self.queries]
        self.bm25_sets = []
        for context, _ in self.queries:
            scores = index.bm25_scores(context, list(range(index.info.documents)))
            best = [int(i) for i in np.argsort(-scores, kind="stable")[:10]]
            self.bm25_sets.append([doc["meta"]["id"] for doc in index.documents_by_ix(best)])
        rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
        train_ids = [r["id"] for r in rows if r["split"] == "train"]
        rng = np.random.default_rng(1)
        self.random_sets = [[train_ids[i] for i in rng.choice(len(train_ids), 10, replace=False)]
                            for _ in range(RANDOM_SETS)]  # fmt: skip
        self.pool, self.corpus, self.work, self.steps = pool, corpus, work, steps
        self.asked = list(zip((context for context, _ in self.queries), self.tokens, strict=True))
        self.runs: dict[frozenset[str], Future] = {}
        self.removals: dict[tuple[int | None, str], frozenset[str]] = {}

    def submit(self, name: str, ids: list[str], q: int | None = None) -> Future:
        """The retraining without `ids` (submitted unless one with the same set was), recorded as (q, name)."""
        key = self.removals[(q, name)] = frozenset(ids)
        if key not in self.runs:
            folder = self.work / (f"removed-{name}" if q is None else f"removed-{q}-{name}")
            self.runs[key] = self.pool.submit(retrain, str(self.corpus), ids, str(folder), self.steps, self.asked)
        return self.runs[key]

    def after(self, q: int, name: str) -> float:
        """log p of query q once its `name` removal is retrained (waits for it)."""
        return self.runs[self.removals[(q, name)]].result()[q]


def top_documents(found) -> list[str]:
    """Attribution's top 10 documents: those of its best-scored chunks, in order, each once."""
    return list(dict.fromkeys(s.chunk.doc_id for s in found.chunks if s.chunk.doc_ix >= 0))[:10]


def removal(runs: Retrainings, model_dir: Path, index, lm, attributions: dict, report: dict) -> None:
    """Part 2: remove each method's top 10 documents per query, retrain, measure the drop. The
    retrainings known before attribution are queued first; each held-out query's joins the queue as
    soon as it is attributed (here, one thread, beside the two workers)."""
    bases = logprobs(model_dir, runs.asked)
    for k in range(1, RANDOM_SETS):  # random-0 ran beside the model's training
        runs.submit(f"random-{k}", runs.random_sets[k])
    for q, ids in enumerate(runs.bm25_sets):
        if q < len(runs.memorised):  # the facts, attributed in part 1
            runs.submit("attribution", top_documents(attributions[q]), q)
        runs.submit("bm25", ids, q)
    for q, (context, token) in enumerate(runs.asked):
        if (q, "attribution") not in runs.removals:
            runs.submit("attribution", top_documents(attribute(model_dir, index, context, token)), q)
    shared = f"{len(runs.removals)} removals, a set shared trained once"
    print(f"\n{len(runs.runs)} retrainings of {runs.steps} steps ({shared}), two at a time", flush=True)
    queries, tokens, memorised = runs.queries, runs.tokens, runs.memorised
    for q in range(len(queries)):
        runs.removals[(q, "random")] = frozenset(runs.random_sets[q % RANDOM_SETS])
    after = {(q, name): runs.after(q, name) for q in range(len(queries)) for name in ("attribution", "bm25", "random")}
    drops: dict[str, list[float]] = {"attribution": [], "bm25": [], "random": []}
    print("\n| query | token | log p | attribution drop | BM25 drop | random drop |")
    print("|---|---|---|---|---|---|")
    for q, (context, answer) in enumerate(queries):
        row = {name: bases[q] - after[(q, name)] for name in drops}
        for name, value in row.items():
            drops[name].append(value)
        print(f"| {context[-40:]!r} | {lm.tokenizer.decode([tokens[q]])!r} | {bases[q]:.2f} | "
              f"{row['attribution']:+.3f} | {row['bm25']:+.3f} | {row['random']:+.3f} |", flush=True)
        report["removal"].append({"context": context, "answer": answer, "base": bases[q], **row})
    med = {name: statistics.median(values) for name, values in drops.items()}
    for label, part in (("memorised", slice(0, len(memorised))), ("not memorised", slice(len(memorised), None))):
        meds = {name: statistics.median(values[part]) for name, values in drops.items()}
        print(f"  {label}: median drop attribution {meds['attribution']:+.3f}, BM25 {meds['bm25']:+.3f}, "
              f"random {meds['random']:+.3f}")
    print(f"\nmedian drop in log p: attribution {med['attribution']:+.3f}, BM25 {med['bm25']:+.3f}, "
          f"random {med['random']:+.3f}; attribution / random = "
          f"{med['attribution'] / med['random'] if med['random'] else float('inf'):.1f}x (target 3x), "
          f"attribution / BM25 = {med['attribution'] / med['bm25'] if med['bm25'] else float('inf'):.1f}x")
    report["median_drop"] = med


if __name__ == "__main__":
    main()
