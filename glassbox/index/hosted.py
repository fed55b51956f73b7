"""A client for the hosted infini-gram API, for tracing the full-size OLMoE's training data.

The full OLMoE's corpus is far too large to index here, so its phrases are looked up in Ai2's hosted
index (default `v4_olmoe-0125-1b-7b-instruct_llama`). That index uses the Llama-2 tokenizer, so
queries go as text and the service tokenizes them. Every request is a JSON POST
`{index, query_type, query, ...}`; the documented query types used here are `count`, `infgram_ntd`,
`find` and `get_doc_by_rank`. Each try has a timeout, failed tries are repeated with exponential
backoff inside an overall deadline, so a caller never waits longer than `deadline` seconds.
Network failures become `GlassboxError("hosted_unreachable")`, refusals (`{"error": ...}`, 4xx)
`GlassboxError("hosted_failed")`. A service that did not answer is not asked again for `DOWN_S`
seconds (in this process): an offline classroom does not wait on every page run.
With a cache (`glassbox.index.hosted_cache`) an answer already had is read there and costs no request.
`bounded` gives one job (a trace, `glassbox.index.hosted_trace`) its own client with a number of
requests and a deadline for all of them together (`hosted_too_many`, `hosted_too_slow` past those).
This module is the only code that speaks to the service.
Left out: CNF (AND/OR) queries and `prob` queries.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from glassbox.errors import GlassboxError
from glassbox.index.hosted_cache import AnswerCache, request_key
from glassbox.tokens import check_unicode

DEFAULT_URL = "https://api.infini-gram.io/"
DEFAULT_INDEX = "v4_olmoe-0125-1b-7b-instruct_llama"
DOWN_S = 30.0  # a service that did not answer is not asked again for this long
_down_until: dict[str, tuple[float, str]] = {}  # url -> (monotonic time, what went wrong)


@dataclass(frozen=True)
class HostedCount:
    query: str
    count: int
    approx: bool
    tokens: tuple[str, ...]  # the service's (Llama-2) tokens of the query

    def to_json(self) -> dict:
        return {**self.__dict__, "tokens": list(self.tokens)}


@dataclass(frozen=True)
class HostedNextToken:
    token: str
    count: int
    prob: float


@dataclass(frozen=True)
class HostedDistribution:
    query: str
    suffix_len: int
    longest_suffix: str
    prompt_count: int
    candidates: tuple[HostedNextToken, ...]
    approx: bool

    def to_json(self) -> dict:
        return {**self.__dict__, "candidates": [c.__dict__ for c in self.candidates]}


@dataclass(frozen=True)
class HostedDoc:
    """A document holding a phrase: its position in the corpus and a stretch of text around the match."""

    doc_ix: int
    doc_len: int
    text: str
    match_start: int  # -1 when the service did not mark the match
    match_end: int
    source: str = ""  # where the document came from, as its metadata says (a path or a source's name)


@dataclass(frozen=True)
class HostedSpan:
    """Whether a phrase occurs in the hosted corpus, how often, and a few documents holding it."""

    text: str
    count: int
    docs: tuple[HostedDoc, ...]
    tokens: int = 0  # the phrase's length in the service's tokens (0: not said)

    def to_json(self) -> dict:
        return {"text": self.text, "count": self.count, "tokens": self.tokens, "docs": [d.__dict__ for d in self.docs]}


class HostedIndex:
    """The hosted infini-gram service for one index. Safe to share: it holds no connection state."""

    def __init__(
        self,
        url: str | None = None,
        index: str | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        deadline: float = 20.0,
        cache: AnswerCache | None = None,
    ) -> None:
        self.url = url or os.environ.get("GLASSBOX_INFINIGRAM_URL") or DEFAULT_URL
        self.index = index or os.environ.get("GLASSBOX_INFINIGRAM_INDEX") or DEFAULT_INDEX
        self.timeout, self.retries, self.backoff, self.deadline = timeout, max(1, retries), backoff, deadline
        self.cache = cache
        self.sent = 0  # requests sent to the service by this client (answers from the cache not counted)
        self.max_requests: int | None = None
        self._job_deadline: tuple[float, float] | None = None  # (monotonic time to give up, seconds given)
        self._lock = threading.Lock()

    def bounded(self, max_requests: int, deadline: float) -> HostedIndex:
        """A client for one job, sharing this one's service, index and cache: at most `max_requests`
        requests and `deadline` seconds for all of its queries together."""
        job = HostedIndex(self.url, self.index, self.timeout, self.retries, self.backoff, self.deadline, self.cache)
        job.max_requests, job._job_deadline = max_requests, (time.monotonic() + deadline, deadline)
        return job

    def _send_one(self) -> None:
        """Count one request against the job's bound, or refuse it."""
        with self._lock:
            if self.max_requests is not None and self.sent >= self.max_requests:
                raise GlassboxError("hosted_too_many", url=self.url, limit=self.max_requests)
            self.sent += 1

    def query(self, query_type: str, query: str | None = None, **fields: object) -> dict:
        """One API call (or its cached answer); returns the response dict (never one holding "error")."""
        payload = {"index": self.index, "query_type": query_type, **fields}
        if query is not None:
            payload["query"] = check_unicode(query)  # a lone surrogate would travel as an escape no one reads
        key = request_key(self.url, payload) if self.cache is not None else ""
        if self.cache is not None and (kept := self.cache.get(key)) is not None:
            return kept
        down = _down_until.get(self.url)
        if down is not None and time.monotonic() < down[0]:
            raise GlassboxError("hosted_unreachable", url=self.url, detail=down[1], tries=self.retries)
        answer = self._ask(payload)
        if self.cache is not None:
            self.cache.put(key, answer)
        return answer

    def _ask(self, payload: dict) -> dict:
        body = json.dumps(payload).encode("utf-8")
        give_up = time.monotonic() + self.deadline
        if self._job_deadline is not None:
            give_up = min(give_up, self._job_deadline[0])
        detail = "no answer"
        for attempt in range(self.retries):
            left = give_up - time.monotonic()
            if left <= 0:
                break
            self._send_one()
            request = urllib.request.Request(
                self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=min(self.timeout, left)) as response:
                    raw = response.read()
            except urllib.error.HTTPError as err:
                if 400 <= err.code < 500 and err.code != 429:
                    raise GlassboxError("hosted_failed", url=self.url, detail=f"HTTP {err.code}") from err
                detail = f"HTTP {err.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", err)
                detail = "timed out" if isinstance(reason, TimeoutError) else str(reason)
            else:
                try:
                    answer = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    detail = "the answer was not JSON"
                else:
                    if not isinstance(answer, dict):
                        raise GlassboxError("hosted_failed", url=self.url, detail="unexpected answer")
                    if "error" in answer:
                        raise GlassboxError("hosted_failed", url=self.url, detail=str(answer["error"]))
                    return answer
            pause = min(self.backoff * 2**attempt, give_up - time.monotonic())
            if attempt + 1 < self.retries and pause > 0:
                time.sleep(pause)
        if self._job_deadline is not None and time.monotonic() >= self._job_deadline[0]:
            raise GlassboxError("hosted_too_slow", url=self.url, seconds=f"{self._job_deadline[1]:g}")
        _down_until[self.url] = (time.monotonic() + DOWN_S, detail)
        raise GlassboxError("hosted_unreachable", url=self.url, detail=detail, tries=self.retries)

    def count(self, phrase: str) -> HostedCount:
        """Occurrences of the phrase (tokenized by the service) in the hosted corpus."""
        got = self.query("count", phrase)
        return HostedCount(phrase, int(got["count"]), bool(got.get("approx", False)), tuple(got.get("tokens", ())))

    def next_tokens(self, context: str, top: int = 10) -> HostedDistribution:
        """The ∞-gram next-token distribution of the hosted corpus after `context`."""
        got = self.query("infgram_ntd", context)
        rows = sorted(got.get("result_by_token_id", {}).values(), key=lambda r: -int(r["cont_cnt"]))[:top]
        candidates = tuple(HostedNextToken(str(r.get("token", "")), int(r["cont_cnt"]), float(r["prob"])) for r in rows)
        return HostedDistribution(
            context,
            int(got.get("suffix_len", 0)),
            str(got.get("longest_suffix", "")),
            int(got.get("prompt_cnt", 0)),
            candidates,
            bool(got.get("approx", False)),
        )

    def total_tokens(self) -> int:
        """How many tokens the hosted corpus holds (the count of the empty query)."""
        return int(self.query("count", "")["count"])

    def locate_one(self, phrase: str, max_docs: int = 3, max_disp_len: int = 80) -> HostedSpan:
        """Whether a phrase occurs, how often, and up to `max_docs` documents holding it, picked evenly
        over all its occurrences (the same picks on every run)."""
        found = self.query("find", phrase)
        segments = [(int(a), int(b)) for a, b in found.get("segment_by_shard", [])]
        sizes = [max(0, b - a) for a, b in segments]
        total = sum(sizes)
        picks = sorted({g * total // max_docs for g in range(max_docs)}) if total > max_docs else range(total)
        docs = []
        for g in picks:
            shard = 0
            while g >= sizes[shard]:
                g, shard = g - sizes[shard], shard + 1
            doc = self.query("get_doc_by_rank", phrase, s=shard, rank=segments[shard][0] + g, max_disp_len=max_disp_len)
            docs.append(_doc(doc))
        tokens = found.get("tokens") or found.get("token_ids") or ()
        return HostedSpan(phrase, int(found.get("cnt", 0)), tuple(docs), len(tokens))

    def locate(self, phrases: list[str], max_docs: int = 3, max_disp_len: int = 80) -> tuple[HostedSpan, ...]:
        """For each phrase: does it occur, how often, and in which documents (with the match in context)."""
        return tuple(self.locate_one(p, max_docs, max_disp_len) for p in phrases)


def _source(metadata: object) -> str:
    """A document's origin from its metadata (a JSON string or object): its source's name or its path."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata else {}
        except ValueError:
            return ""
    if not isinstance(metadata, dict):
        return ""
    inner = metadata.get("metadata") if isinstance(metadata.get("metadata"), dict) else {}
    for value in (inner.get("source"), metadata.get("source"), metadata.get("path")):
        if isinstance(value, str) and value:
            return value[:200]
    return ""


def _doc(doc: dict) -> HostedDoc:
    """A document from `get_doc_by_rank`; its `spans` are [text, clause-or-null] pairs."""
    text, start, end = "", -1, -1
    for piece, marker in doc.get("spans", []):
        if marker is not None and start < 0:
            start, end = len(text), len(text) + len(piece)
        text += piece
    return HostedDoc(int(doc.get("doc_ix", -1)), int(doc.get("doc_len", 0)), text, start, end,
                     _source(doc.get("metadata")))  # fmt: skip
