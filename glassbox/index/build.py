"""Building the infini-gram index of the training corpus: the one place that knows its file layout.

`build_index` tokenizes the corpus's training documents with the model's own tokenizer, writes the
engine's input files itself (so infini-gram's indexer skips its tokenizing step and only builds the
suffix array), adds document metadata, unigram counts and a BM25 index for reranking, and records a
manifest. `ensure_index` rebuilds when the corpus changed. Opening and querying a built index is
`glassbox.index.engine`; counts and ∞-grams are `glassbox.index.ngrams`, tracing `glassbox.index.trace`.

The engine finds its files by substrings of the full path ("tokenized", "table", "offset",
"metadata", "metaoff", "unigram"), so no folder above the index may contain those words.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from glassbox import paths
from glassbox.errors import GlassboxError

FORMAT = 1
MANIFEST = "manifest.json"
BM25_DIR = "bm25"
TOKENIZER_NAME = "allenai/gpt-neox-olmo-dolma-v1_5"
DOC_SEP = b"\xff\xff"
ENGINE_WORDS = ("tokenized", "table", "offset", "metadata", "metaoff", "unigram")
FILES = {name: f"{name}.0" for name in ENGINE_WORDS}
REBUILD = "glassbox build index"

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class IndexInfo:
    """What the manifest records about a built index."""

    path: str
    corpus_sha256: str
    tokenizer: str
    documents: int
    tokens: int
    build_seconds: float
    built_at: str

    def to_json(self) -> dict:
        return asdict(self)


def _reporter(progress: bool | Progress | None) -> Progress:
    if callable(progress):
        return progress
    if progress:
        return lambda fraction, message: print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
    return lambda fraction, message: None


def check_location(folder: Path) -> None:
    """Refuse a folder whose path holds a word the engine uses to recognise its files."""
    try:
        where = str(folder.resolve())
    except (OSError, ValueError):  # no folder can have this path (a NUL in it): opening says it is missing
        where = str(folder)
    bad = [w for w in ENGINE_WORDS if w in where]
    if bad:
        raise GlassboxError("index_path_reserved", path=folder, word=bad[0])


_HASHES: dict[tuple[str, int, int], str] = {}


def corpus_sha256(corpus: Path) -> str:
    """sha256 of the corpus file (remembered per size and modification time)."""
    st = corpus.stat()
    key = (str(corpus.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with corpus.open("rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def build_index(corpus: Path | None = None, dest: Path | None = None, progress: bool | Progress = True) -> IndexInfo:
    """Build the index of the corpus's training documents into `dest` (replacing what is there)."""
    corpus = Path(corpus or paths.corpus_path())
    dest = Path(dest or paths.index_dir())
    report = _reporter(progress)
    if not corpus.is_file():
        raise GlassboxError("corpus_missing", path=corpus)
    check_location(dest)
    started = time.time()
    sha = corpus_sha256(corpus)
    work = dest.parent / f"{dest.name}-new-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        documents, tokens, texts = _write_tokens(corpus, work, report)
        report(0.7, f"Building the suffix array over {tokens:,} tokens")
        _run_indexer(work, tokens)
        report(0.9, "Building the BM25 index for ranking documents")
        _write_bm25(work, texts)
        info = IndexInfo(
            path=str(dest),
            corpus_sha256=sha,
            tokenizer=TOKENIZER_NAME,
            documents=documents,
            tokens=tokens,
            build_seconds=round(time.time() - started, 2),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        manifest = {"format": FORMAT, "corpus": str(corpus), "token_dtype": "u16", **info.to_json()}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _swap_in(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(1.0, f"Index ready: {documents:,} documents, {tokens:,} tokens")
    return info


def _write_tokens(corpus: Path, work: Path, report: Progress) -> tuple[int, int, list[str]]:
    """Write tokenized/offset/metadata/metaoff/unigram files; return (documents, tokens, texts)."""
    from glassbox.corpus.documents import iter_documents
    from glassbox.model.tokenizer import load_tokenizer

    backend = load_tokenizer().backend_tokenizer  # the Rust tokenizer itself: no length warnings, less overhead
    total_bytes = max(1, corpus.stat().st_size)
    counts = np.zeros(65536, dtype=np.int64)
    texts: list[str] = []
    offsets: list[int] = []
    meta_offsets: list[int] = []
    pos = meta_pos = 0
    with (
        (work / FILES["tokenized"]).open("wb") as ds,
        (work / FILES["metadata"]).open("wb") as mt,
    ):

        def flush(batch: list) -> None:
            nonlocal pos, meta_pos
            if not batch:
                return
            encoded = [e.ids for e in backend.encode_batch([d.text for d in batch], add_special_tokens=False)]
            counts[:] += np.bincount(np.fromiter(chain.from_iterable(encoded), dtype=np.int64), minlength=65536)
            for doc, ids in zip(batch, encoded, strict=True):
                data = DOC_SEP + np.asarray(ids, dtype="<u2").tobytes()
                offsets.append(pos)
                ds.write(data)
                pos += len(data)
                keep = {"id": doc.id, "source": doc.source, "domain": doc.domain, "title": doc.title}
                line = (json.dumps({"path": corpus.name, "linenum": len(texts), "metadata": keep}) + "\n").encode()
                meta_offsets.append(meta_pos)
                mt.write(line)
                meta_pos += len(line)
                texts.append(doc.text)

        batch: list = []
        read = 0
        for doc in iter_documents(corpus, split="train"):
            batch.append(doc)
            read += len(doc.text.encode("utf-8")) + 100
            if len(batch) == 512:
                flush(batch)
                batch = []
                report(0.7 * min(1.0, read / total_bytes), f"Tokenizing documents ({len(texts):,} so far)")
        flush(batch)
    if not texts:
        raise GlassboxError("corpus_no_training", path=corpus)
    counts[0xFFFF] += len(texts)  # the engine counts the document separators as tokens
    (work / FILES["offset"]).write_bytes(np.asarray(offsets, dtype="<u8").tobytes())
    (work / FILES["metaoff"]).write_bytes(np.asarray(meta_offsets, dtype="<u8").tobytes())
    seen = np.nonzero(counts)[0]
    (work / FILES["unigram"]).write_text("".join(f"{i} {counts[i]}\n" for i in seen), encoding="utf-8")
    return len(texts), pos // 2, texts


def _run_indexer(work: Path, tokens: int) -> None:
    """infini-gram's own indexer; it skips tokenizing because our files are already there."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    ulimit = 20000 if hard == resource.RLIM_INFINITY else min(20000, hard)
    cpus = 1 if tokens < 500_000 else max(1, min(4, os.cpu_count() or 1))  # several parts need enough data
    mem = max(1, min(16, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 1024**3))
    cmd = [sys.executable, "-m", "infini_gram.indexing", "--data_dir", str(work), "--save_dir", str(work),
           "--token_dtype", "u16", "--ulimit", str(ulimit), "--mem", str(mem), "--cpus", str(cpus)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or "wrong" in done.stdout or not (work / FILES["table"]).is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise GlassboxError("index_build_failed", detail=" / ".join(tail) or f"exit status {done.returncode}")


def _write_bm25(work: Path, texts: list[str]) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    retriever.save(str(work / BM25_DIR), show_progress=False)


def _swap_in(work: Path, dest: Path) -> None:
    old = dest.parent / f"{dest.name}-old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    work.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path | None = None) -> dict | None:
    """The index manifest, or None when there is none (or it is unreadable)."""
    folder = Path(folder or paths.index_dir())
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def index_stamp(folder: Path | None = None) -> str | None:
    """Which build of the index is in `folder` (its build time and corpus hash); None: no index."""
    manifest = read_manifest(folder)
    return None if manifest is None else f"{manifest.get('built_at')}-{manifest.get('corpus_sha256')}"


def info_from_manifest(manifest: dict) -> IndexInfo:
    """The IndexInfo a manifest describes."""
    return IndexInfo(**{k: manifest[k] for k in IndexInfo.__dataclass_fields__})


def index_status(corpus: Path | None = None, dest: Path | None = None) -> str:
    """'ready', 'missing' or 'stale' (the corpus changed since the build)."""
    corpus = Path(corpus or paths.corpus_path())
    manifest = read_manifest(dest)
    if manifest is None:
        return "missing"
    if corpus.is_file() and corpus_sha256(corpus) != manifest.get("corpus_sha256"):
        return "stale"
    return "ready"


_BUILD_LOCK = threading.Lock()


def ensure_index(
    progress: bool | Progress | None = None, corpus: Path | None = None, dest: Path | None = None
) -> IndexInfo:
    """The index's info, building it first when it is missing or the corpus changed (one build at a time)."""
    with _BUILD_LOCK:
        status = index_status(corpus, dest)
        if status == "ready":
            return info_from_manifest(read_manifest(dest))  # type: ignore[arg-type]
        report = _reporter(progress)
        report(0.0, "Building the corpus index" if status == "missing" else "The corpus changed: rebuilding")
        return build_index(corpus, dest, progress=progress if progress is not None else False)
