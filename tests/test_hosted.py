"""The hosted infini-gram client against local loopback servers that answer in the documented format."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glassbox.errors import GlassboxError
from glassbox.index.hosted import HostedIndex

CORPUS = "the quiet fox jumps over the lazy dog . the quiet river runs over the stones ."


def tokens(text: str) -> list[str]:
    return text.split()


def occurrences(words: list[str]) -> list[int]:
    corpus = tokens(CORPUS)
    return [i for i in range(len(corpus) - len(words) + 1) if corpus[i : i + len(words)] == words]


def answer(payload: dict) -> dict:
    """A toy service over CORPUS (words as tokens), answering like the documented API."""
    kind, words = payload["query_type"], tokens(payload.get("query", ""))
    if kind == "count":
        return {"count": len(occurrences(words)), "approx": False, "latency": 0.1, "tokens": words}
    if kind == "find":
        hits = occurrences(words)
        return {"cnt": len(hits), "segment_by_shard": [[0, len(hits)]], "latency": 0.1}
    if kind == "get_doc_by_rank":
        at, n, corpus = occurrences(words)[payload["rank"]], len(words), tokens(CORPUS)
        return {"doc_ix": 0, "doc_len": len(corpus), "disp_len": len(corpus), "token_ids": [],
                "spans": [[" ".join(corpus[:at]) + " ", None], [" ".join(corpus[at : at + n]), "0"],
                          [" " + " ".join(corpus[at + n :]), None]]}  # fmt: skip
    if kind == "infgram_ntd":
        corpus = tokens(CORPUS)
        for n in range(len(words), -1, -1):
            suffix = words[len(words) - n :]
            nxt = [corpus[i + n] for i in occurrences(suffix) if i + n < len(corpus)] if n else corpus
            if nxt:
                dist = {w: nxt.count(w) for w in set(nxt)}
                result = {
                    str(k): {"token": w, "cont_cnt": c, "prob": c / len(nxt)} for k, (w, c) in enumerate(dist.items())
                }
                return {"prompt_cnt": len(nxt), "result_by_token_id": result, "approx": False,
                        "suffix_len": n, "longest_suffix": " ".join(suffix)}  # fmt: skip
    return {"error": f"unknown query_type {kind}"}


class Service:
    """A loopback HTTP server whose behaviour the test picks: ok, slow, fail500, flaky, error."""

    def __init__(self, mode: str) -> None:
        self.mode, self.calls = mode, 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                service.calls += 1
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if service.mode == "slow":
                    time.sleep(1.0)
                if service.mode == "fail500" or (service.mode == "flaky" and service.calls <= 2):
                    self.send_response(500)
                    self.end_headers()
                    return
                if service.mode == "error":
                    body = {"error": "query is too long"}
                elif service.mode == "garbage":
                    body = None
                else:
                    body = answer(payload)
                data = b"<html>oops</html>" if body is None else json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
