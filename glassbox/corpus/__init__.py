"""The training corpus: openly licensed English texts from registry packages, as JSONL plus a manifest.

`build_corpus()` assembles `data/corpus/corpus.jsonl` (never committed) from the sources in
`glassbox.corpus.sources`; `iter_documents()` and `read_manifest()` read it back. This package
leaves out tokenising, training and indexing, which only read the JSONL.
"""

from __future__ import annotations

from glassbox import paths
from glassbox.corpus.build import build_corpus
from glassbox.corpus.documents import DOMAINS, SPLITS, CorpusManifest, Document, iter_documents, read_manifest
from glassbox.corpus.sources import SOURCE_NAMES

__all__ = [
    "DOMAINS",
    "SOURCE_NAMES",
    "SPLITS",
    "CorpusManifest",
    "Document",
    "build_corpus",
    "iter_documents",
    "prepare",
    "read_manifest",
]


def prepare() -> CorpusManifest:
    """Build the corpus only when it (or its manifest) is missing; return its manifest."""
    manifest = read_manifest()
    if paths.corpus_path().is_file() and manifest is not None:
        print(f"Corpus present: {manifest.documents} documents in {paths.corpus_path()}")
        return manifest
    return build_corpus()
