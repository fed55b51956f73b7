"""The model card and the data card of the embedded Tiny OLMoE, written from what the
recipe and the evaluation recorded (never typed by hand, so they cannot drift from the model).

`write_cards(model_dir, corpus_manifest)` reads `training_log.json` and `eval.json` in the model
folder and the corpus manifest, and writes `MODEL_CARD.md` and `DATA_CARD.md` beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

from glassbox.model.checkpoints import list_checkpoints
from glassbox.model.folder import DATA_CARD, LOG_FILE, MODEL_CARD, training_log
from glassbox.model.folder import evaluation as read_evaluation


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def model_card(log: dict, evaluation: dict | None, model_dir: Path) -> str:
    r = log["recipe"]
    ev = evaluation or {}
    parts = [
        "# Tiny OLMoE — model card",
        "",
        "A small mixture-of-experts language model (`OlmoeForCausalLM`) trained from scratch on the "
        "Glass Box corpus (see the data card) so that learners can see all of it: weights, data, recipe "
        "and checkpoints.",
        "",
        "## Shape",
        _table(["layers", "experts", "experts per token", "hidden size", "expert size", "heads", "context",
                "vocabulary"],
               [[r["layers"], r["experts"], r["experts_per_token"], r["hidden_size"], r["intermediate_size"],
                 r["heads"], r["context"], "50,280 tokens (OLMoE tokenizer; 50,304 rows)"]]),
        "",
        "Routing: softmax over all experts, then the top "
        f"{r['experts_per_token']}; the chosen experts' outputs are weighted by their router "
        "probabilities (not renormalised), as in OLMoE. Input and output embeddings are tied. "
        "Weights are stored as bfloat16 safetensors.",
        "",
        "## Recipe",
        *_recipe(log),
        "## Checkpoints",
        _table(["checkpoint", "step", "tokens seen", "held-out loss (nats/token)"],
               [[c.label, c.step, f"{c.tokens_seen:,}", c.heldout_loss] for c in list_checkpoints(model_dir)]),
        "",
    ]
    if ev:
        held = ev["heldout_loss"]
        parts += [
            "## Evaluation (`python -m glassbox eval`)",
            "Held-out loss per domain (nats/token, lower is better; documents the model never saw):",
            "",
            _table(["domain", "loss"], [[d, f"{v:.3f}"] for d, v in held.items()]),
            "",
            "Expert load per layer (share of top-k routing slots on held-out text; an even split is "
            f"{100 / r['experts']:.1f}%):",
            "",
            _table(["layer"] + [f"E{e}" for e in range(r["experts"])],
                   [[i] + [f"{100 * x:.1f}%" for x in row] for i, row in enumerate(ev["expert_load"])]),
            "",
            f"Memorisation probe: greedy decoding reproduced the next 8 tokens of {ev['memorised']} of "
            f"{len(ev['memorisation'])} famous openings found in the corpus. {_planted(ev['memorisation'])}",
            "",
            _table(["opening", "reproduced", "model wrote", "corpus has"],
                   [[p["name"], "yes" if p["reproduced"] else f"no ({p['matched_tokens']}/8)",
                     repr(p["produced"]), repr(p["expected"])] for p in ev["memorisation"]]),
            "",
            *_memorisation(ev),
        ]
    parts += [
        "## Known limits",
        "- It is tiny and briefly trained: its text is locally plausible and globally aimless. It knows only "
        "its corpus: old English prose, verse, speeches and definitions. It has no knowledge of recent events, "
        "no chat tuning, no safety tuning, and it makes things up.",
        "- It was trained on English only; Korean text gets split into byte pieces it has rarely or never seen.",
        "- Expert specialisation is partial: load and per-domain usage show tendencies, not clean jobs.",
        "",
    ]
    return "\n".join(parts)


def _planted(openings: list[dict]) -> str:
    """Which of the probed openings the anthology planted in the training data, and how often."""
    from glassbox.corpus.planted import planted_in

    copies = [found[0].copies for p in openings if (found := planted_in(p["prompt"]))]
    if not copies:
        return "None of them was planted: each occurs in the corpus as its source has it."
    many = f"{min(copies)} times" if min(copies) == max(copies) else f"{min(copies)} to {max(copies)} times"
    return (f"{len(copies)} of them were planted there on purpose, {many} each, by the anthology (below): "
            "recital of these shows what many copies do, not what one reading of a book does.")


def _memorisation(ev: dict) -> list[str]:
    """The anthology passages recited per rung of copies (and per checkpoint), and the document start."""
    if not ev.get("memorisation_by_rung"):
        return []
    lines = ["Memorisation by copies in the training data: the model reads a passage's first 12 tokens and "
             "greedy-decodes 8; it recites the passage when all 8 are the passage's own "
             "(`glassbox eval`, one entry per anthology passage in `eval.json`).", "",
             _table(["copies", "passages", "recited"],
                    [[r["copies"], r["passages"], f"{r['recited']} ({100 * r['share']:.0f}%)"]
                     for r in ev["memorisation_by_rung"]]), ""]
    if ev.get("memorisation_by_checkpoint"):
        copies = [r["copies"] for r in ev["memorisation_by_rung"]]
        rows = []
        for c in ev["memorisation_by_checkpoint"]:
            shares = {r["copies"]: f"{100 * r['share']:.0f}%" for r in c["rungs"]}
            rows.append([c["label"], c["step"], *[shares.get(n, "") for n in copies]])
        lines += ["Share recited over training:", "",
                  _table(["checkpoint", "step", *[f"{n} copies" for n in copies]], rows), ""]
    effect = ev.get("document_start_effect")
    if effect:
        lines += ["## Document start",
                  "Every prompt is read the way training read a document start: after one `<|endoftext|>` "
                  "(the token between training documents; the tokenizer has no bos token). The site does not "
                  f"show it as a learner's token. Measured: {effect['with']} of {effect['passages']} anthology "
                  f"passages recited with it, {effect['without']} without."
                  + (f" After “{effect['example']['text']}”, which opens dozens of training documents, the "
                     f"model gives “{effect['example']['next'].strip()}” {100 * effect['example']['with']:.0f}% "
                     f"with it and {100 * effect['example']['without']:.0f}% without." if "example" in effect else ""),
                  ""]
    return lines


def _threads(n: int, word: str = "thread") -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _recipe(log: dict) -> list[str]:
    """The commands that made the model and their settings, one row per training stage."""
    r = log["recipe"]
    stages = log.get("stages") or [{"preset": log.get("preset", "full"), "first_step": 1,
                                     "last_step": r["steps"], "seconds": log["seconds"],
                                     "tokens": log["tokens_seen"], "recipe": r}]
    lines = []
    if len(stages) > 1:
        lines += ["Trained in stages: each goes on from the final model of the stage before, with a fresh "
                  "optimizer and its own learning-rate schedule. The stage presets below are history: the "
                  "recipe is now one seeded run with one schedule (`--preset full`).", ""]
    lines += [
        _table(["command", "steps", "tokens", "learning rate", "seed", "time"],
               [[f"`python -m glassbox train --preset {st['preset']}`", f"{st['first_step']}–{st['last_step']}",
                 f"{st['tokens']:,}",
                 f"{st['recipe']['lr']} peak, {st['recipe']['warmup']} warm-up steps, cosine to "
                 f"{st['recipe']['min_lr_ratio']}×", st["recipe"]["seed"], f"{st['seconds'] / 60:.0f} min"]
                for st in stages]),
        "",
        f"Seeded and deterministic on one kind of CPU with {_threads(r['threads'])}: the output layer's "
        "matmuls run in bf16 where the CPU multiplies bf16 in hardware (AVX512-BF16, AMX) and in float32 "
        "elsewhere, so a run on the other kind gives slightly different numbers.",
        "",
        _table(["setting", "value"], [
            ["steps", log["steps"][-1] if log.get("steps") else r["steps"]],
            ["batch", f"{r['batch_size']} windows of {r['seq_len']} tokens"],
            ["tokens seen", f"{log['tokens_seen']:,}"], ["training tokens in corpus", f"{log['train_tokens']:,}"],
            ["optimizer", f"AdamW (β 0.9, 0.95), weight decay {r['weight_decay']}"],
            ["gradient clip", r["grad_clip"]], ["load-balancing loss weight (per layer)", r["router_aux_loss_coef"]],
            ["training time", f"{log['seconds'] / 60:.0f} min on {_threads(r['threads'], 'CPU thread')}"],
        ]),
        "",
    ]
    return lines


def _anthology(evaluation: dict | None) -> list[str]:
    """Every anthology passage with its copies in training and its count in the index."""
    entries = (evaluation or {}).get("memorisation_passages") or []
    if not entries or max(e["copies"] for e in entries) == 1:
        return ["## Anthology",
                "This corpus has no anthology: every passage of the ladder (`glassbox/corpus/ladder.json`) occurs "
                "once, in its own document. The next recipe's corpus adds it (`glassbox build corpus --anthology`).",
                ""]
    return ["## Anthology",
            "Famous passages repeated on purpose, on a ladder of copies (`glassbox/corpus/ladder.json`); each extra "
            "copy is a document of domain `anthology`, kept by deduplication on purpose. Controls (1 copy) get none.",
            "",
            _table(["passage", "from document", "copies", "count in the index", "recited"],
                   [[e["title"], e["source"], e["copies"], e["count_in_index"] if e["count_in_index"] is not None
                     else "", "yes" if e["recited"] else f"no ({e['matched_tokens']}/8)"] for e in entries]),
            ""]


def data_card(manifest: dict, log: dict | None, evaluation: dict | None = None) -> str:
    domains = manifest["domains"]
    held = (log or {}).get("heldout_tokens", {})
    rows = [[d, c["documents"], c.get("train", ""), c.get("heldout", ""), f"{c['characters']:,}",
             f"{held[d]:,}" if d in held else ""] for d, c in domains.items()]
    sources = [[s.get("package", s.get("name", "?")), s.get("version", ""), s.get("license", ""),
                s.get("domain", ""), s.get("method", "")] for s in manifest.get("sources", [])]
    return "\n".join([
        "# Glass Box corpus — data card",
        "",
        "The corpus the Tiny OLMoE was trained on, assembled at build time from openly licensed texts that "
        "ship inside registry packages (`python -m glassbox build corpus`). Nothing of it is stored in this "
        "repository; the build is deterministic, and its SHA-256 identifies it.",
        "",
        f"- documents: {manifest['documents']:,}; characters: {manifest['characters']:,}; "
        f"SHA-256 `{manifest['sha256']}`",
        f"- training tokens: {log['train_tokens']:,}" if log else "",
        "- normalised to Unicode NFC, markup and package boilerplate removed, exact and near duplicates dropped; "
        "about 2% of each domain's documents are held out (chosen by a hash of the id) and never trained on.",
        "",
        "## Domains",
        _table(["domain", "documents", "train", "held-out", "characters", "held-out tokens"], rows),
        "",
        "## Sources and licences",
        _table(["package", "version", "licence", "domain", "how it is fetched"], sources),
        "",
        "The underlying texts (presidential addresses, the King James Bible, Shakespeare, Austen, Melville) are "
        "in the public domain; the licences above are those of the packages that carry them.",
        "",
        *_anthology(evaluation),
        "## Known limits",
        "- Old and narrow: mostly 17th–19th century English, US politics, one religious text.",
        "- Speeches are the largest domain, so the model leans towards their style.",
        "- Dictionary entries are WordNet synsets with example sentences only.",
        "",
    ])


def write_cards(model_dir: Path, manifest_path: Path) -> tuple[Path, Path]:
    log = training_log(model_dir)
    if log is None:
        raise FileNotFoundError(model_dir / LOG_FILE)
    evaluation = read_evaluation(model_dir)
    manifest = json.loads(manifest_path.read_text())
    model_md = model_dir / MODEL_CARD
    data_md = model_dir / DATA_CARD
    model_md.write_text(model_card(log, evaluation, model_dir), encoding="utf-8")
    data_md.write_text(data_card(manifest, log, evaluation), encoding="utf-8")
    return model_md, data_md
