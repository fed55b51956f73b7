"""The hosted infini-gram service's answers, kept: in this process and in a file every process shares.

A hosted index never changes, so an answer to one request (the service's address and the request's
JSON) stays right: a workshop's dozens of learners tracing the same example, or one learner coming
back, cost the service one request each. `AnswerCache` holds the last `MEMORY_ENTRIES` answers in
memory and all of them in an SQLite file (one writer at a time, safe across the replicas of a
workshop); past `FILE_ENTRIES` rows the oldest tenth goes. A file that cannot be opened or written
leaves the memory part working. Only answers are kept, never errors. `default_cache()` is the data
folder's (`hosted/answers.sqlite`). Leaves out: expiry (the service's indexes are fixed builds).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from glassbox import paths

MEMORY_ENTRIES = 4096
FILE_ENTRIES = 200_000
CACHE_FILE = Path("hosted") / "answers.sqlite"


def request_key(url: str, payload: dict) -> str:
    """The key of one request: its service and its JSON, fields in a fixed order."""
    return hashlib.sha256(json.dumps([url, payload], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class AnswerCache:
    """Answers by request key, in memory and (when `file` is given and usable) in an SQLite file."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file
        self._memory: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self._db_ok = file is not None

    def _db(self) -> sqlite3.Connection | None:
        if not self._db_ok or self.file is None:
            return None
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.file, timeout=5)
            db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")
            return db
        except (OSError, sqlite3.Error):
            self._db_ok = False  # a read-only data folder: memory only
            return None

    def get(self, key: str) -> dict | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
            db = self._db()
            if db is None:
                return None
            try:
                row = db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
            finally:
                db.close()
            if row is None:
                return None
            answer = json.loads(row[0])
            self._remember(key, answer)
            return answer

    def put(self, key: str, answer: dict) -> None:
        with self._lock:
            self._remember(key, answer)
            db = self._db()
            if db is None:
                return
            try:
                with db:
                    db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(answer)))
                    (rows,) = db.execute("SELECT COUNT(*) FROM answers").fetchone()
                    if rows > FILE_ENTRIES:
                        db.execute("DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers ORDER BY rowid "
                                   "LIMIT ?)", (FILE_ENTRIES // 10,))  # fmt: skip
            except sqlite3.Error:
                pass  # a full disk or a locked file: the answer stays in memory
            finally:
                db.close()

    def _remember(self, key: str, answer: dict) -> None:
        self._memory[key] = answer
        self._memory.move_to_end(key)
        while len(self._memory) > MEMORY_ENTRIES:
            self._memory.popitem(last=False)


_default: dict[Path, AnswerCache] = {}
_default_lock = threading.Lock()


def default_cache() -> AnswerCache:
    """The data folder's cache, one per folder in this process."""
    file = paths.data_dir() / CACHE_FILE
    with _default_lock:
        if file not in _default:
            _default[file] = AnswerCache(file)
        return _default[file]
