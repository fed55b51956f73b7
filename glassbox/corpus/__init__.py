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


def prepare(trained_on: str | None = None) -> CorpusManifest:
    """Build the corpus (with its anthology) when it or its manifest is missing, or when it is not
    the corpus the model was trained on (`trained_on`: that corpus's sha256, from the model's
    training card), so that the index built from it holds exactly the model's training data."""
    from glassbox.corpus.anthology import LADDER_FILE

    manifest = read_manifest()
    if paths.corpus_path().is_file() and manifest is not None:
        if trained_on is None or manifest.sha256 == trained_on:
            print(f"Corpus present: {manifest.documents} documents in {paths.corpus_path()}")
            return manifest
        print(f"The corpus in {paths.corpus_path()} (sha256 {manifest.sha256[:12]}) is not the one the model "
              f"was trained on ({trained_on[:12]}): building it again.")
    return build_corpus(ladder=LADDER_FILE)
