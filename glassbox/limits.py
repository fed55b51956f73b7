"""Limits that keep one server fair when many learners share it.

- `RequestWindow`: how many new model requests one learner made in the last minute (each
  session holds its own; nothing is shared between sessions).
- `model_slot()`: how many forward passes or generations run at once in this process: two by
  default (`GLASSBOX_MODEL_SLOTS`), each on one torch thread (`GLASSBOX_TORCH_THREADS`), so a
  2-core server keeps both cores busy while the page runs wait less. Measured with 50 learners
  (bench/bench_workshop.py), before page tools reran on their own: p95 3.0 s with two slots
  against 6.1 s with one.
- `teach_slot()`: a teaching (Teach it trains a copy of the model for seconds) holds one model
  slot for all that time, so at most `GLASSBOX_TEACH_SLOTS` (one by default) run at once in a
  process and the others wait in line: with two slots, one is always left for page runs.
  Measured with 50 learners of whom 10 taught 64 copies on one replica (bench/bench_workshop.py
  --teachers 10): when teachings could take both slots, the others' p95 was 40 s.
Settings come from environment variables so a workshop host can change them without code.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from glassbox.errors import GlassboxError


def _env_int(name: str, default: int, low: int = 1) -> int:
    try:
        return max(low, int(os.environ.get(name, default)))
    except ValueError:
        return default


REQUESTS_PER_MINUTE = _env_int("GLASSBOX_REQUESTS_PER_MINUTE", 40)
MAX_NEW_TOKENS = _env_int("GLASSBOX_MAX_NEW_TOKENS", 200)
MODEL_SLOTS = _env_int("GLASSBOX_MODEL_SLOTS", 2)
# torch threads per model pass on the site: many learners' page runs need the other core
TORCH_THREADS = _env_int("GLASSBOX_TORCH_THREADS", 1)

TEACH_SLOTS = min(_env_int("GLASSBOX_TEACH_SLOTS", 1), MODEL_SLOTS)

_slots = threading.BoundedSemaphore(MODEL_SLOTS)
_teach = threading.BoundedSemaphore(TEACH_SLOTS)


@contextmanager
def model_slot() -> Iterator[None]:
    """Wait for a free model slot, hold it for the block."""
    with _slots:
        yield


@contextmanager
def teach_slot() -> Iterator[None]:
    """Wait for a teaching's turn and then a model slot; hold both for the block."""
    with _teach, _slots:
        yield


@dataclass
class RequestWindow:
    """New requests of one learner over a sliding minute; a request seen lately is free.

    `admit(key)` raises GlassboxError("too_many_requests") when a new key would go over the
    limit. Asking again for something already computed (a slider moved back, a page revisited)
    costs the server nothing, so it is not counted.
    """

    limit: int = REQUESTS_PER_MINUTE
    seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _times: deque = field(default_factory=deque)

    def admit(self, key: Hashable) -> None:
        now = self.clock()
        while self._times and now - self._times[0][0] >= self.seconds:
            self._times.popleft()
        if any(seen == key for _, seen in self._times):
            return
        if len(self._times) >= self.limit:
            wait = max(1, round(self.seconds - (now - self._times[0][0])))
            raise GlassboxError("too_many_requests", limit=self.limit, wait=wait)
        self._times.append((now, key))


def check_new_tokens(n: int) -> int:
    """`n` if it is within the per-generation limit, else a clear error."""
    if not 1 <= int(n) <= MAX_NEW_TOKENS:
        raise GlassboxError("bad_setting", name="max new tokens", rule=f"from 1 to {MAX_NEW_TOKENS}", value=n)
    return int(n)
