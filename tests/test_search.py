"""Searching the training documents through the real fixture index (BM25 and titles), as the
About page's browser does."""

from __future__ import annotations

from index_helpers import DOCS

from glassbox.index import search

TRAIN = [d for d in DOCS if d[2] == "train"]


def test_the_catalogue_lists_every_training_document_in_index_order(index):
    entries = search.catalogue(index)
    assert [e.id for e in entries] == [d[0] for d in TRAIN]
    assert all(e.title == e.id.upper() and e.source == "fixture==1.0" for e in entries)
    assert [e.domain for e in entries] == [d[1] for d in TRAIN]
    assert search.catalogue(index) is entries  # read once per opened index
    assert search.domains(index) == ("speeches", "plays", "novels")


def test_words_find_the_documents_that_hold_them_best_first(index):
    found = search.search_documents(index, "harbor grain")
    ids = [h.id for h in found.hits]
    assert set(ids) == {d[0] for d in TRAIN if "harbor" in d[3].lower() or "grain" in d[3].lower()}
    assert ids[0] in ("sp1", "sp2")  # both words, twice each
    assert search.search_documents(index, "violet herons").hits == ()  # held-out words are not in it
    assert [h.id for h in search.search_documents(index, "candle", "novels").hits] == []
    assert sorted(h.id for h in search.search_documents(index, "candle", "plays").hits) == ["pl1", "pl3"]


def test_a_title_match_ranks_first_and_no_words_lists_everything(index):
    assert search.search_documents(index, "NV4").hits[0].id == "nv4"  # only its title says so
    everything = search.search_documents(index, "  ")
    assert [h.id for h in everything.hits] == [d[0] for d in TRAIN]
    assert {h.domain for h in search.search_documents(index, "", "plays").hits} == {"plays"}


def test_a_document_reads_back_as_its_text(index):
    for entry, (_, _, _, text) in zip(search.catalogue(index), TRAIN, strict=True):
        assert search.document_text(index, entry.doc_ix) == text
    first = search.catalogue(index)[0]
    assert TRAIN[0][3].startswith(search.document_text(index, first.doc_ix, max_tokens=5))
