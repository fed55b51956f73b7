"""The small corpus the index and tracing tests build their real index from (not a test file),
and a naive count to check the index against. The fixtures that build and open it once per
session are `fixture_index`, `index` and `train_tokens` in conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

from glassbox.index import build as gi

# (id, domain, split, text): three domains, shared phrases across documents and domains, one Korean text.
DOCS = [
    ("sp1", "speeches", "train", "My fellow citizens, we gather in the morning light to build a better harbor. "
     "The harbor will carry our grain to distant towns."),
    ("sp2", "speeches", "train", "We gather today because the river rose again. The harbor will carry our grain, "
     "and the river will not stop us!"),
    ("sp3", "speeches", "train", "Friends, the council voted at dawn.\nThe new bridge opens in spring."),
    ("sp4", "speeches", "train", "Is it fair? Ask the farmers who rise in the morning light and walk to the fields."),
    ("pl1", "plays", "train", "HELENA: The candle burns low in the tower.\nMARCUS: Then bring another candle, "
     "for the night is long."),
    ("pl2", "plays", "train", "MARCUS: The night is long and the tower is cold. HELENA: Bring the blue cloak "
     "from the chest."),
    ("pl3", "plays", "train", "A servant enters with a letter. The candle burns low in the hall as she reads it."),
    ("pl4", "plays", "train", "HELENA: I waited in the morning light by the old gate, but no letter came."),
    ("nv1", "novels", "train", "The old gate creaked as Mara pushed it open. Rain fell on the stone path, and "
     "the garden smelled of mint."),
    ("nv2", "novels", "train", "Mara counted the coins twice. The old gate creaked behind her, and she did not "
     "look back."),
    ("nv3", "novels", "train", "In the morning light the garden smelled of mint and wet earth. Mara smiled."),
    ("nv4", "novels", "train", "아침 햇살 속에서 마라는 정원을 걸었다. 정원에서는 박하 향기가 났다."),
    ("nv5", "novels", "train", "그녀는 동전을 두 번 세었다. 아침 햇살 속에서 문이 삐걱거렸다."),
    ("hx1", "novels", "heldout", "Seven violet herons argued about lanterns beside the quarry."),
]
ABSENT = ["violet herons argued", "the purple harbor", "candle burns high", "Mara frowned"]


def write_corpus(path: Path, docs=DOCS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for doc_id, domain, split, text in docs:
            row = {"id": doc_id, "source": "fixture==1.0", "domain": domain, "title": doc_id.upper(),
                   "license": "CC0-1.0", "split": split, "text": text}  # fmt: skip
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def build_fixture_index(root: Path) -> tuple[Path, Path]:
    """(corpus path, index folder) of the fixture corpus, built under `root`."""
    corpus = write_corpus(root / "corpus" / "corpus.jsonl")
    gi.build_index(corpus, root / "ngram", progress=False)
    return corpus, root / "ngram"


def naive_count(stream: list[int | None], ids: list[int]) -> int:
    n = len(ids)
    return sum(1 for i in range(len(stream) - n + 1) if stream[i : i + n] == ids)
