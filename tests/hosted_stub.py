"""A loopback stand-in for the hosted infini-gram service, answering as its documentation describes:
`count` (the empty query counts every token), `find` (`cnt`, `segment_by_shard` rank ranges),
`get_doc_by_rank` (`doc_ix`, `spans` of [text, marker] pairs, `metadata` as a JSON string) and
`infgram_ntd` (`longest_suffix`, `suffix_len`, `prompt_cnt`, `result_by_token_id`). Its corpus is a
few documents whose tokens are their words; documents alternate between two shards. It records every
request it answered, and can be slow, failing, flaky, refusing or garbled (`mode`)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CORPUS = "the quiet fox jumps over the lazy dog . the quiet river runs over the stones ."
SHARDS = 2


def tokens(text: str) -> list[str]:
    return text.split()


def occurrences(words: list[str]) -> list[int]:
    """Where `words` start in CORPUS (the one-document corpus of the client's tests)."""
    corpus = tokens(CORPUS)
    return [i for i in range(len(corpus) - len(words) + 1) if corpus[i : i + len(words)] == words]


class Corpus:
    """Documents as word lists, each in shard (its number mod SHARDS)."""

    def __init__(self, docs: tuple[str, ...]) -> None:
        self.docs = [tokens(d) for d in docs]

    def hits(self, words: list[str]) -> list[tuple[int, int]]:
        """(document, position) of every occurrence, in document order (a stand-in for suffix-array order)."""
        n = len(words)
        return [(d, i) for d, doc in enumerate(self.docs) for i in range(len(doc) - n + 1) if doc[i : i + n] == words]

    def shard_hits(self, words: list[str], shard: int) -> list[tuple[int, int]]:
        return [h for h in self.hits(words) if h[0] % SHARDS == shard]

    def answer(self, payload: dict) -> dict:
        kind, words = payload["query_type"], tokens(payload.get("query", ""))
        if kind == "count":
            count = sum(len(d) for d in self.docs) if not words else len(self.hits(words))
            return {"count": count, "approx": False, "latency": 0.1, "tokens": words}
        if kind == "find":
            segments = [[0, len(self.shard_hits(words, s))] for s in range(SHARDS)]
            return {"cnt": len(self.hits(words)), "segment_by_shard": segments, "tokens": words, "latency": 0.1}
        if kind == "get_doc_by_rank":
            d, at = self.shard_hits(words, payload["s"])[payload["rank"]]
            doc, n = self.docs[d], len(words)
            spans = [[" ".join(doc[:at]) + " ", None], [" ".join(doc[at : at + n]), "0"],
                     [" " + " ".join(doc[at + n :]), None]]  # fmt: skip
            meta = {"path": f"stub/doc-{d}.jsonl", "metadata": {"source": f"stub-{d}"}}
            return {"doc_ix": d, "doc_len": len(doc), "disp_len": len(doc), "token_ids": [], "spans": spans,
                    "metadata": json.dumps(meta)}  # fmt: skip
        if kind == "infgram_ntd":
            for n in range(len(words), -1, -1):
                suffix = words[len(words) - n :]
                nxt = [self.docs[d][i + n] for d, i in self.hits(suffix) if i + n < len(self.docs[d])] if n else \
                    [w for doc in self.docs for w in doc]  # fmt: skip
                if nxt:
                    dist = {w: nxt.count(w) for w in sorted(set(nxt))}
                    result = {str(k): {"token": w, "cont_cnt": c, "prob": c / len(nxt)}
                              for k, (w, c) in enumerate(dist.items())}  # fmt: skip
                    return {"prompt_cnt": len(nxt), "result_by_token_id": result, "approx": False,
                            "suffix_len": n, "longest_suffix": " ".join(suffix)}  # fmt: skip
        return {"error": f"unknown query_type {kind}"}


class Service:
    """A loopback HTTP server whose behaviour the test picks: ok, slow, fail500, flaky, error, garbage."""

    def __init__(self, mode: str = "ok", docs: tuple[str, ...] = (CORPUS,), delay: float = 1.0) -> None:
        self.mode, self.calls, self.corpus = mode, 0, Corpus(docs)
        self.requests: list[dict] = []
        service, lock = self, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    service.calls += 1
                    service.requests.append(payload)
                    calls = service.calls
                if service.mode == "slow":
                    time.sleep(delay)
                if service.mode == "fail500" or (service.mode == "flaky" and calls <= 2):
                    self.send_response(500)
                    self.end_headers()
                    return
                if service.mode == "error":
                    body = {"error": "query is too long"}
                elif service.mode == "garbage":
                    body = None
                else:
                    body = service.corpus.answer(payload)
                data = b"<html>oops</html>" if body is None else json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kinds(self) -> list[str]:
        return [r["query_type"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
