"""OLMoTrace over the hosted service (glassbox/index/hosted_trace.py) against the loopback stand-in
(tests/hosted_stub.py): maximal spans, the rarest kept, their documents ranked by BM25 with levels,
a bounded number of requests, a deadline, and answers kept across clients; and where a model's
training data can be searched (glassbox/index/sources.py), from its card."""

from __future__ import annotations

import json
import math
import shutil
import time

import pytest
from hosted_stub import Service

from glassbox.errors import GlassboxError
from glassbox.index import hosted_trace, sources
from glassbox.index.hosted import HostedIndex
from glassbox.index.hosted_cache import AnswerCache
from glassbox.index.trace import relevance_level
from glassbox.paths import CHECKPOINTS_DIR, EMBEDDED_MODEL_DIR

DOCS = (
    "the quiet fox jumps over the lazy dog by the old mill .",
    "a zebra of glass sang in the old mill all night long .",
    "the quiet river runs over the stones and the lazy dog sleeps . it rained .",
    "every morning the baker sang in the old mill with the quiet fox .",
    "the old mill stands by the river and the baker sang a song .",
)
TEXT = ("yesterday the quiet fox jumps over the stones . a zebra of glass sang in the old mill with us . "
        "the baker sang a song by the river and the lazy dog sleeps .")  # fmt: skip


def brute_force_maximal(words: list[str], docs: list[list[str]]) -> set[tuple[int, int]]:
    """Every maximal word span (two words or more, inside one sentence) found in a document. (The
    service's longest suffix is one followed by a token: no span of TEXT ends where only a document does.)"""

    def occurs(span):
        return any(doc[k : k + len(span)] == span for doc in docs for k in range(len(doc)))

    found = []
    for i in range(len(words)):
        end = next(k for k in range(i, len(words)) if words[k][-1] in ".!?" or k == len(words) - 1)
        longest = max((j for j in range(i + 1, end + 1) if occurs(words[i : j + 1])), default=None)
        if longest is not None:
            found.append((i, longest))
    return {(i, j) for i, j in found if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in found)}


@pytest.fixture
def stub():
    s = Service("ok", DOCS)
    yield s
    s.close()


def test_the_hosted_trace_follows_olmotrace(stub):
    client = HostedIndex(url=stub.url, index="toy", cache=AnswerCache())
    got = hosted_trace.trace(client, TEXT)
    words, docs = TEXT.split(), [d.split() for d in DOCS]
    expected = brute_force_maximal(words, docs)
    assert got.found == len(expected) > hosted_trace.kept_spans(len(words))  # some spans are left out
    # the rarest kept: the lowest product of the words' unigram probabilities (counts over the corpus)
    total = sum(len(d) for d in docs)
    count = {w: sum(d.count(w) for d in docs) for w in set(words)}
    rarity = {s: -sum(math.log10(count[w] / total) for w in words[s[0] : s[1] + 1]) for s in expected}
    rarest = sorted(sorted(expected, key=lambda s: -rarity[s])[: hosted_trace.kept_spans(len(words))])
    spans = got.trace.spans
    assert [(s.first_token, s.first_token + len(s.text.split()) - 1) for s in spans] == rarest
    all_scores = [d.score for s in spans for d in s.docs]
    for span in spans:
        assert span.text == " ".join(words[span.first_token : span.first_token + len(span.text.split())])
        assert TEXT[span.start : span.end] == span.text and span.count == sum(
            " ".join(d).count(span.text) for d in docs)  # fmt: skip
        assert 1 <= len(span.docs) <= hosted_trace.DOCS_PER_SPAN
        for doc in span.docs:  # each document holds the span, marked in its snippet
            assert doc.snippet[doc.match_start : doc.match_end] == span.text
            assert DOCS[int(doc.doc_id)].count(span.text) and doc.source == f"stub-{doc.doc_id}"
            assert doc.relevance == relevance_level(doc.score, max(all_scores))
        assert [d.score for d in span.docs] == sorted((d.score for d in span.docs), reverse=True)  # BM25 order
    assert {d.relevance for s in spans for d in s.docs} >= {"high"}
    assert got.trace.highlights and all(a < b for a, b, _ in got.trace.highlights)
    kinds = stub.kinds()
    assert kinds.count("infgram_ntd") == len(words) - 3  # each word end but a sentence's first words
    assert {"count", "find", "get_doc_by_rank"} <= set(kinds) and got.requests == len(kinds)


def test_requests_are_bounded_and_answers_kept_across_clients(stub, tmp_path):
    long_text = " ".join([TEXT] * 5)  # 160 words: only the first MAX_WORDS are searched
    file = tmp_path / "answers.sqlite"
    got = hosted_trace.trace(HostedIndex(url=stub.url, index="toy", cache=AnswerCache(file)), long_text)
    assert got.searched_words == hosted_trace.MAX_WORDS < got.words
    assert 0 < stub.calls == got.requests <= hosted_trace.max_requests(hosted_trace.MAX_WORDS)
    assert max(s.end for s in got.trace.spans) <= len(" ".join(long_text.split()[: hosted_trace.MAX_WORDS]))
    calls = stub.calls
    again = hosted_trace.trace(HostedIndex(url=stub.url, index="toy", cache=AnswerCache(file)), long_text)
    assert again.requests == 0 and stub.calls == calls  # a new process's client reads the shared file
    assert again.trace.to_json() == got.trace.to_json()
    too_few = HostedIndex(url=stub.url, index="other", cache=AnswerCache()).bounded(3, 10.0)
    with pytest.raises(GlassboxError) as err:
        for word in ("a", "b", "c", "d"):
            too_few.count(word)
    assert err.value.code == "hosted_too_many" and too_few.sent == 3


def test_a_slow_service_stops_at_the_trace_deadline(monkeypatch):
    slow = Service("slow", DOCS, delay=0.4)
    try:
        monkeypatch.setattr(hosted_trace, "DEADLINE_S", 1.0)
        began = time.monotonic()
        with pytest.raises(GlassboxError) as err:
            hosted_trace.trace(HostedIndex(url=slow.url, index="toy", timeout=2.0, retries=1), TEXT)
        assert err.value.code == "hosted_too_slow" and "1 s" in err.value.message("en")
        assert time.monotonic() - began < 3.0  # the deadline, plus the requests already under way
    finally:
        slow.close()


def test_where_a_models_training_data_is_searched(tmp_path):
    assert sources.of_source(EMBEDDED_MODEL_DIR) == sources.LOCAL_INDEX
    checkpoints = sorted(CHECKPOINTS_DIR.glob("step-*"))
    assert checkpoints and all(sources.of_source(c) == sources.LOCAL_INDEX for c in checkpoints)
    for hub_id in ("allenai/OLMoE-1B-7B-0125-Instruct", "allenai/OLMoE-1B-7B-0125"):
        assert sources.of_source(hub_id) == sources.TrainingData("hosted", sources.OLMOE_0125_INDEX)
    assert sources.of_source("someone/OLMoE-copy") == sources.of_source(tmp_path / "nothing") == sources.NOTHING_KNOWN
    folder = tmp_path / "downloaded"  # a model folder from elsewhere: a config, no card
    folder.mkdir()
    shutil.copy(EMBEDDED_MODEL_DIR / "config.json", folder)
    assert sources.of_source(folder) == sources.NOTHING_KNOWN  # no card: nothing known, never local
    sources.write(folder, sources.from_words("hosted"))
    assert json.loads((folder / "glassbox.json").read_text()) == {"training_data": f"hosted:{sources.OLMOE_0125_INDEX}"}
    (folder / "glassbox.json").write_text(json.dumps({"training_data": "hosted:../etc"}))
    assert sources.of_source(folder) == sources.NOTHING_KNOWN  # a value it cannot read
    taught = tmp_path / "taught"
    taught.mkdir()
    (taught / "glassbox.json").write_text(json.dumps({"taught": {"source": str(EMBEDDED_MODEL_DIR)}}))
    assert sources.of_source(taught) == sources.LOCAL_INDEX  # an older taught copy follows its source
    with pytest.raises(GlassboxError) as err:
        sources.from_words("elsewhere")
    assert err.value.code == "training_data_bad"


def test_the_command_line_traces_where_the_models_card_says(stub, tmp_path, monkeypatch, capsys):
    from glassbox.cli import main

    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "data"))
    folder = tmp_path / "full-olmoe"
    folder.mkdir()
    shutil.copy(EMBEDDED_MODEL_DIR / "config.json", folder)
    assert main(["trace", TEXT, "--model", str(folder)]) == 2  # nothing known: refused, nothing traced
    assert "glassbox training-data" in capsys.readouterr().err
    assert main(["training-data", "--model", str(folder), "--set", "hosted:toy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"model": str(folder), "training_data": "hosted:toy"}
    assert main(["trace", TEXT, "--model", str(folder), "--url", stub.url, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["index"] == "toy" and got["spans"] and {r["index"] for r in stub.requests} == {"toy"}
    assert main(["count", "the old mill", "--model", str(folder), "--url", stub.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 4
