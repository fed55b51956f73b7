"""The hosted infini-gram client against local loopback servers that answer in the documented format."""

from __future__ import annotations

import time

import pytest
from hosted_stub import CORPUS, Service, occurrences, tokens

from glassbox.errors import GlassboxError
from glassbox.index.hosted import HostedIndex


@pytest.fixture
def service(request):
    s = Service(request.param)
    yield s
    s.close()


@pytest.mark.parametrize("service", ["ok"], indirect=True)
def test_count_sends_the_documented_payload_and_reads_the_answer(service):
    client = HostedIndex(url=service.url, index="toy_index")
    for phrase in ["the quiet", "over the", "quiet fox jumps", "purple", "the"]:
        got = client.count(phrase)
        assert got.count == len(occurrences(tokens(phrase)))
        assert got.tokens == tuple(tokens(phrase))
    assert client.count("the quiet").count == 2


@pytest.mark.parametrize("service", ["ok"], indirect=True)
def test_next_tokens_follow_the_longest_suffix(service):
    client = HostedIndex(url=service.url)
    dist = client.next_tokens("a very quiet")
    assert dist.suffix_len == 1 and dist.longest_suffix == "quiet"
    assert {c.token for c in dist.candidates} == {"fox", "river"}
    assert sum(c.prob for c in dist.candidates) == pytest.approx(1.0)
    assert dist.to_json()["candidates"][0]["count"] == 1


@pytest.mark.parametrize("service", ["ok"], indirect=True)
def test_locate_reports_counts_and_marked_matches(service):
    client = HostedIndex(url=service.url)
    got = client.locate(["quiet fox", "purple lanterns"], max_docs=2)
    assert [s.count for s in got] == [1, 0]
    assert got[1].docs == ()
    doc = got[0].docs[0]
    assert doc.text[doc.match_start : doc.match_end] == "quiet fox"
    assert doc.text == CORPUS


@pytest.mark.parametrize("service", ["slow"], indirect=True)
def test_a_slow_service_times_out_within_the_deadline(service):
    client = HostedIndex(url=service.url, timeout=0.2, retries=3, backoff=0.05, deadline=2.0)
    began = time.monotonic()
    with pytest.raises(GlassboxError) as err:
        client.count("the quiet")
    assert err.value.code == "hosted_unreachable"
    assert "timed out" in err.value.message("en")
    assert service.url in err.value.message("ko")
    assert time.monotonic() - began < 2.5  # the overall deadline holds (not a speed assertion)


@pytest.mark.parametrize("service", ["fail500"], indirect=True)
def test_server_errors_are_retried_then_reported(service):
    client = HostedIndex(url=service.url, retries=3, backoff=0.01)
    with pytest.raises(GlassboxError) as err:
        client.count("the quiet")
    assert err.value.code == "hosted_unreachable" and "HTTP 500" in err.value.message("en")
    assert service.calls == 3


@pytest.mark.parametrize("service", ["flaky"], indirect=True)
def test_a_flaky_service_succeeds_on_a_later_try(service):
    client = HostedIndex(url=service.url, retries=4, backoff=0.01)
    assert client.count("the quiet").count == 2
    assert service.calls == 3


@pytest.mark.parametrize("service", ["error"], indirect=True)
def test_an_error_answer_is_not_retried(service):
    client = HostedIndex(url=service.url, retries=3, backoff=0.01)
    with pytest.raises(GlassboxError) as err:
        client.count("the quiet")
    assert err.value.code == "hosted_failed" and "query is too long" in err.value.message("en")
    assert service.calls == 1


@pytest.mark.parametrize("service", ["garbage"], indirect=True)
def test_a_non_json_answer_is_reported(service):
    client = HostedIndex(url=service.url, retries=2, backoff=0.01)
    with pytest.raises(GlassboxError) as err:
        client.count("the quiet")
    assert "not JSON" in err.value.message("en")


def test_nothing_listening_is_unreachable():
    s = Service("ok")
    url = s.url
    s.close()  # the port is now closed
    client = HostedIndex(url=url, retries=2, backoff=0.01, timeout=0.5)
    with pytest.raises(GlassboxError) as err:
        client.count("x")
    assert err.value.code == "hosted_unreachable"


def test_defaults_name_the_olmoe_index(monkeypatch):
    monkeypatch.delenv("GLASSBOX_INFINIGRAM_URL", raising=False)
    monkeypatch.delenv("GLASSBOX_INFINIGRAM_INDEX", raising=False)
    client = HostedIndex()
    assert client.url == "https://api.infini-gram.io/"
    assert client.index == "v4_olmoe-0125-1b-7b-instruct_llama"
    monkeypatch.setenv("GLASSBOX_INFINIGRAM_INDEX", "v4_other")
    assert HostedIndex().index == "v4_other"
