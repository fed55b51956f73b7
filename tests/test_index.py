"""The corpus index: built for real from a small fixture corpus, checked against a naive scan of its tokens.

Folder names here avoid the words infini-gram's engine looks for in paths ("tokenized", "table", ...).
"""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from index_helpers import ABSENT, DOCS, naive_count, write_corpus

from glassbox.errors import GlassboxError
from glassbox.index import build as gi
from glassbox.index.engine import open_index


def test_index_tokens_are_the_model_tokenizer_ids(index):
    for _, _, _, text in DOCS:
        assert index.tokenize(text) == index.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_manifest_records_training_documents_only(index, fixture_index):
    corpus, folder = fixture_index
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["documents"] == sum(1 for d in DOCS if d[2] == "train") == index.info.documents
    assert manifest["corpus_sha256"] == gi.corpus_sha256(corpus)
    assert manifest["tokenizer"] == gi.TOKENIZER_NAME
    assert manifest["build_seconds"] > 0
    assert gi.index_status(corpus, folder) == "ready"


def test_counts_equal_a_naive_scan(index, train_tokens):
    real = [t for t in train_tokens if t is not None]
    queries = set()
    for n in (1, 2, 3, 5):
        for i in range(0, len(real) - n + 1, 3):
            queries.add(tuple(real[i : i + n]))
    for phrase in ABSENT:
        queries.add(tuple(index.tokenize(" " + phrase)))
    # across a document boundary: the end of one document followed by the start of the next is never found
    ends = [train_tokens[i - 1] for i, t in enumerate(train_tokens) if t is None and i > 0]
    starts = [train_tokens[i + 1] for i, t in enumerate(train_tokens) if t is None]
    queries.update((a, b) for a, b in zip(ends, starts[1:], strict=False))
    assert len(queries) > 100
    for ids in sorted(queries):
        assert index.count_ids(list(ids)) == naive_count(train_tokens, list(ids)), ids
    assert sum(index.count_ids(list(q)) == 0 for q in queries) >= len(ABSENT)


def test_heldout_text_is_not_indexed(index):
    held = next(d[3] for d in DOCS if d[2] == "heldout")
    assert index.count_ids(index.tokenize(" herons argued")) == 0
    assert index.longest_matches(index.tokenize(held))[0] < 3


def test_occurrences_map_back_to_their_documents(index):
    ids = index.tokenize(" the garden smelled of mint")
    count, segments = index.find(ids)
    docs = index.documents_at([(ids, segments)], limit=10, context=20)[0]
    assert index.documents_at([(ids, segments), ([7], [(0, 0)])], limit=1, context=5)[1] == []
    assert count == 2 and {d["meta"]["id"] for d in docs} == {"nv1", "nv3"}
    for d in docs:
        at = d["needle_offset"]
        assert d["token_ids"][at : at + len(ids)] == ids
        assert d["meta"]["domain"] == "novels" and d["meta"]["title"] == d["meta"]["id"].upper()


def test_bm25_prefers_documents_sharing_words(index):
    scores = index.bm25_scores("candle tower night", list(range(index.info.documents)))
    order = [DOCS[i][0] for i in scores.argsort()[::-1][:3]]
    assert set(order) <= {"pl1", "pl2", "pl3"} and order[0] in {"pl1", "pl2"}
    assert index.bm25_scores("zzz qqq", [0, 1]).tolist() == [0.0, 0.0]


def test_concurrent_queries_agree_with_sequential_ones(index, train_tokens):
    real = [t for t in train_tokens if t is not None]
    queries = [real[i : i + 3] for i in range(0, len(real) - 3, 2)]
    expected = [index.count_ids(q) for q in queries]
    reach = index.longest_matches(real[:40])
    got: dict[int, list] = {}

    def work(k: int) -> None:
        got[k] = [[index.count_ids(q) for q in queries], index.longest_matches(real[:40])]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v == [expected, reach] for v in got.values()) and len(got) == 6


def test_missing_index_names_the_rebuild_command(tmp_path):
    with pytest.raises(GlassboxError) as err:
        open_index(tmp_path / "nothing")
    assert err.value.code == "index_missing"
    assert "glassbox build index" in err.value.message("en") and "glassbox build index" in err.value.message("ko")


@pytest.mark.parametrize("damage", ["truncate", "no_manifest", "bad_manifest", "missing_file"])
def test_corrupt_index_is_a_clear_error(fixture_index, tmp_path, damage):
    copy = tmp_path / "broken"
    shutil.copytree(fixture_index[1], copy)
    files = {p.name.split(".")[0]: p for p in copy.iterdir()}  # avoids spelling the engine's words here
    suffix_array = next(p for name, p in files.items() if name.startswith("tab"))
    if damage == "truncate":
        suffix_array.write_bytes(suffix_array.read_bytes()[:-3])
    elif damage == "no_manifest":
        (copy / "manifest.json").unlink()
    elif damage == "bad_manifest":
        (copy / "manifest.json").write_text("{not json")
    else:
        suffix_array.unlink()
    with pytest.raises(GlassboxError) as err:
        open_index(copy)
    assert err.value.code == "index_corrupt"
    assert "glassbox build index" in err.value.message("en")
    assert str(copy) in err.value.message("ko")


def test_a_reserved_word_in_the_path_is_refused(tmp_path):
    word = "tab" + "le"
    corpus = write_corpus(tmp_path / "c" / "corpus.jsonl")
    with pytest.raises(GlassboxError) as err:
        gi.build_index(corpus, tmp_path / f"my_{word}s" / "ngram", progress=False)
    assert err.value.code == "index_path_reserved" and word in err.value.message("en")


def test_missing_corpus_and_no_training_documents(tmp_path):
    with pytest.raises(GlassboxError) as err:
        gi.build_index(tmp_path / "none.jsonl", tmp_path / "ngram", progress=False)
    assert err.value.code == "corpus_missing"
    only_heldout = write_corpus(tmp_path / "c" / "corpus.jsonl", [d for d in DOCS if d[2] == "heldout"])
    with pytest.raises(GlassboxError) as err:
        gi.build_index(only_heldout, tmp_path / "ngram", progress=False)
    assert err.value.code == "corpus_no_training"
    assert not (tmp_path / "ngram").exists()  # a failed build leaves nothing half-made behind


def test_ensure_index_rebuilds_when_the_corpus_changes(tmp_path):
    corpus = write_corpus(tmp_path / "c" / "corpus.jsonl", DOCS[:4])
    folder = tmp_path / "ngram"
    calls: list[tuple[float, str]] = []
    first = gi.ensure_index(progress=lambda f, m: calls.append((f, m)), corpus=corpus, dest=folder)
    assert first.documents == 4 and calls[-1][0] == 1.0
    assert [f for f, _ in calls] == sorted(f for f, _ in calls)
    assert gi.ensure_index(corpus=corpus, dest=folder) == first  # unchanged: no rebuild
    phrase = " lanterns beside the quarry"
    assert open_index(folder).count_ids(open_index(folder).tokenize(phrase)) == 0
    write_corpus(corpus, DOCS[:4] + [("new", "novels", "train", "Two owls hung lanterns beside the quarry.")])
    assert gi.index_status(corpus, folder) == "stale"
    second = gi.ensure_index(corpus=corpus, dest=folder)
    assert second.documents == 5 and second.corpus_sha256 != first.corpus_sha256
    fresh = open_index(folder)
    assert fresh.count_ids(fresh.tokenize(phrase)) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("ngram")] == ["ngram"]
