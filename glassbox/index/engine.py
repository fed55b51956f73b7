"""The opened index: infini-gram's engine, the tokenizer and unigram statistics, shared read-only.

`open_index` opens each build of an index once. The engine's C++ asserts abort the whole process, so
the manifest and file sizes are checked before it opens them. Its query methods are const C++ reading
read-only memory maps with the GIL released, so one engine serves many threads without a lock
(tests/test_index.py checks concurrent answers). The files and their building are `glassbox.index.build`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from glassbox import paths
from glassbox.errors import GlassboxError
from glassbox.index.build import BM25_DIR, FILES, REBUILD, check_location, info_from_manifest, read_manifest
from glassbox.model.tokenizer import EOS_ID


def _check_files(folder: Path, manifest: dict) -> None:
    """Sizes the engine asserts on, checked here so a damaged index is an error, not a crash."""
    try:
        sizes = {name: (folder / file).stat().st_size for name, file in FILES.items()}
        tok_cnt = sizes["tokenized"] // 2
        docs = sizes["offset"] // 8
        ok = (
            sizes["tokenized"] % 2 == 0
            and tok_cnt == manifest["tokens"] > 0
            and sizes["table"] % tok_cnt == 0
            and 1 <= sizes["table"] // tok_cnt <= 8
            and sizes["offset"] % 8 == 0
            and docs == manifest["documents"] == sizes["metaoff"] // 8
            and sizes["metaoff"] % 8 == 0
        )
        if ok:
            starts = np.fromfile(folder / FILES["offset"], dtype="<u8")
            steps = np.diff(starts.astype(np.int64))
            ok = starts[0] == 0 and bool(np.all(steps >= 2)) and starts[-1] < sizes["tokenized"]
    except (OSError, KeyError, TypeError):
        ok = False
    if not ok:
        raise GlassboxError("index_corrupt", path=folder, command=REBUILD)


class CorpusIndex:
    """An opened index: the engine, the tokenizer, unigram log-probabilities, document metadata.

    Shared read-only by every session and thread. Methods return plain values; engine errors
    (`{'error': ...}` dicts) become exceptions here and nowhere else.
    """

    def __init__(self, folder: Path, manifest: dict) -> None:
        from infini_gram.engine import InfiniGramEngine

        from glassbox.model.tokenizer import load_tokenizer
        from glassbox.tokens import TokenBytes

        self.folder = folder
        self.info = info_from_manifest(manifest)
        self.tokenizer = load_tokenizer()
        self.token_bytes = TokenBytes(self.tokenizer)
        self._backend = self.tokenizer.backend_tokenizer
        # prefetching (madvise per search step) costs more than it saves on an index this size: 3× slower traces
        self.engine = InfiniGramEngine(
            index_dir=str(folder), eos_token_id=EOS_ID, vocab_size=65535, token_dtype="u16",
            ds_prefetch_depth=0, sa_prefetch_depth=0, od_prefetch_depth=0,
        )  # fmt: skip
        counts = np.zeros(65536, dtype=np.float64)
        for line in (folder / FILES["unigram"]).read_text(encoding="utf-8").split("\n"):
            if line:
                token_id, count = line.split()
                counts[int(token_id)] = float(count)
        with np.errstate(divide="ignore"):
            self.unigram_logprob = np.log(counts / counts.sum())  # natural log; -inf for unseen tokens
        self._bm25 = None
        self._bm25_lock = threading.Lock()

    def tokenize(self, text: str) -> list[int]:
        """The model tokenizer's ids (its Rust backend directly: same ids, a fraction of the overhead)."""
        return self._backend.encode(text, add_special_tokens=False).ids

    def _ok(self, answer):
        if isinstance(answer, dict) and "error" in answer:
            raise GlassboxError("index_query_failed", detail=answer["error"])
        return answer

    def find(self, ids: list[int]) -> tuple[int, list[tuple[int, int]]]:
        """How often the token sequence occurs, and its suffix-array rank range per shard."""
        got = self._ok(self.engine.find([int(i) for i in ids]))
        return int(got["cnt"]), [(int(a), int(b)) for a, b in got["segment_by_shard"]]

    def count_ids(self, ids: list[int]) -> int:
        return self.find(ids)[0] if ids else 0

    def longest_matches(self, ids: list[int]) -> list[int]:
        """For each position l, the end r of the longest ids[l:r] that occurs in the corpus."""
        if not ids:
            return []
        return [int(r) for r in self._ok(self.engine.creativity([int(i) for i in ids]))["rs"]]

    def infgram(self, ids: list[int], max_support: int = 1000) -> dict:
        """infini-gram's ∞-gram next-token distribution: longest occurring suffix and continuations."""
        return self._ok(self.engine.infgram_ntd([int(i) for i in ids], max_support=max_support))

    def documents_at(self, matches: list[tuple[list[int], list[tuple[int, int]]]], limit: int, context: int) -> list:
        """For each (ids, rank ranges) from `find`: up to `limit` occurrences spread evenly over the ranges,
        each with `context` tokens either side and its document's metadata. One engine call for all."""
        requests, owners = [], []
        for k, (ids, segments) in enumerate(matches):
            total = sum(b - a for a, b in segments)
            for pick in np.unique(np.linspace(0, total - 1, num=min(limit, total)).astype(np.int64)) if total else []:
                for shard, (a, b) in enumerate(segments):
                    if pick < b - a:
                        requests.append((shard, int(a + pick), len(ids), context))
                        owners.append(k)
                        break
                    pick -= b - a
        found: list[list[dict]] = [[] for _ in matches]
        if requests:
            for k, doc in zip(owners, self._ok(self.engine.get_docs_by_ranks_2(requests)), strict=True):
                found[k].append(_with_meta(doc))
        return found

    def documents_by_ix(self, doc_ixs: list[int], max_tokens: int = 1) -> list[dict]:
        """The documents at these index positions: metadata (`meta`), length and up to `max_tokens` tokens."""
        if not doc_ixs:
            return []
        docs = self._ok(self.engine.get_docs_by_ixs([int(i) for i in doc_ixs], max_disp_len=max(1, max_tokens)))
        return [_with_meta(doc) for doc in docs]

    def bm25_scores(self, text: str, doc_ixs: list[int]) -> np.ndarray:
        """BM25 relevance of each listed document (by index position) to `text`."""
        import bm25s

        with self._bm25_lock:
            if self._bm25 is None:
                self._bm25 = bm25s.BM25.load(str(self.folder / BM25_DIR), show_progress=False, verbosity=0)
        ids = self._bm25.get_tokens_ids(_bm25_words(text))
        if not ids or not doc_ixs:
            return np.zeros(len(doc_ixs))
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float64)[np.asarray(doc_ixs, dtype=np.int64)]


def _bm25_words(text: str) -> list[str]:
    """A text's words as the index's BM25 reads them (bm25s, English stopwords left out)."""
    import bm25s

    return bm25s.tokenize(text, stopwords="en", return_ids=False, show_progress=False)[0]


def bm25_scores_of(text: str, documents: list[str]) -> np.ndarray:
    """BM25 relevance to `text` of documents that are not in this index (the hosted service's), scored
    among themselves with the same BM25 and words as `CorpusIndex.bm25_scores`."""
    import bm25s

    words = [_bm25_words(d) for d in documents]
    if not any(words):
        return np.zeros(len(documents))
    retriever = bm25s.BM25()
    retriever.index(words, show_progress=False)
    ids = retriever.get_tokens_ids(_bm25_words(text))
    return np.asarray(retriever.get_scores(ids), dtype=np.float64) if ids else np.zeros(len(documents))


def _with_meta(doc: dict) -> dict:
    """An engine document with its metadata line parsed into `meta`."""
    doc["meta"] = json.loads(doc["metadata"])["metadata"] if doc["metadata"] else {}
    return doc


_OPEN: dict[tuple[str, str], CorpusIndex] = {}
_OPEN_LOCK = threading.Lock()


def open_index(folder: Path | None = None) -> CorpusIndex:
    """The index at `folder` (default: the data folder's), opened once per build and shared."""
    folder = Path(folder or paths.index_dir())
    check_location(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        if folder.exists() and any(folder.iterdir()):
            raise GlassboxError("index_corrupt", path=folder, command=REBUILD)
        raise GlassboxError("index_missing", path=folder, command=REBUILD)
    key = (str(folder.resolve()), f"{manifest.get('built_at')}-{manifest.get('corpus_sha256')}")
    with _OPEN_LOCK:
        if key not in _OPEN:
            _check_files(folder, manifest)
            for old in [k for k in _OPEN if k[0] == key[0]]:
                del _OPEN[old]  # an earlier build of this folder: sessions holding it keep it alive
            _OPEN[key] = CorpusIndex(folder, manifest)
        return _OPEN[key]
