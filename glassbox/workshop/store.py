"""What a workshop keeps beyond one browser session: each learner's progress, and the classes a
teacher opens with the guesses their learners send in.

`Store` is the interface the site uses; `SQLiteStore` keeps it in one SQLite file (WAL mode) in
the data folder, shared by every replica on the machine. Several machines would need a server
database behind the same interface (`open_store` is where it would be chosen). Nothing personal
is kept: a learner is a random id held in their browser, with a random nickname in a class.
Every call opens its own short connection, so sessions on many threads and processes share the
file safely; SQLite's busy timeout queues writers instead of failing them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from glassbox import paths

CLASS_HOURS = 4.0  # a class expires this long after it opens
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread from a projector
CODE_LENGTH = 5
MAX_ANSWER_CHARS = 40
MIN_ANSWER_GAP_S = 1.0  # one answer per learner per second, across all replicas
MAX_PROGRESS_BYTES = 256_000
LEARNER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (learner TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, opened REAL NOT NULL, expires REAL NOT NULL, closed INTEGER NOT NULL DEFAULT 0,
    question TEXT, prompt TEXT);
CREATE TABLE IF NOT EXISTS members (
    code TEXT NOT NULL, learner TEXT NOT NULL, nickname TEXT NOT NULL, last_answer REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (code, learner));
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL, question TEXT NOT NULL, learner TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (code, question, learner));
CREATE TABLE IF NOT EXISTS reveals (code TEXT NOT NULL, question TEXT NOT NULL, PRIMARY KEY (code, question));
"""


class StoreError(Exception):
    """The store could not be read or written (the site goes on without it)."""


@dataclass(frozen=True)
class ClassRoom:
    code: str
    opened: float
    expires: float
    question: str | None = None  # what the teacher asks the class now (None: nothing)
    prompt: str | None = None  # the text that question is about (a next-token question)


@dataclass(frozen=True)
class Answered:
    ok: bool
    reason: str = ""  # "", "closed", "not_member", "too_fast", "empty", "too_long"


class Store(Protocol):
    def load_progress(self, learner: str) -> dict | None: ...
    def save_progress(self, learner: str, data: dict) -> None: ...
    def forget(self, learner: str) -> None: ...
    def open_class(self) -> ClassRoom: ...
    def close_class(self, code: str) -> None: ...
    def get_class(self, code: str) -> ClassRoom | None: ...
    def ask(self, code: str, question: str | None, prompt: str | None = None) -> None: ...
    def join(self, code: str, learner: str, nickname: str) -> str | None: ...
    def answer(self, code: str, question: str, learner: str, answer: str) -> Answered: ...
    def tally(self, code: str, question: str) -> dict[str, int]: ...
    def reveal(self, code: str, question: str) -> None: ...
    def revealed(self, code: str, question: str) -> bool: ...


def valid_learner(learner: str | None) -> bool:
    return isinstance(learner, str) and LEARNER_ID.fullmatch(learner) is not None


def new_learner() -> str:
    return secrets.token_urlsafe(16)


def normal_code(raw: str) -> str:
    """A class code as typed (any case, spaces or dashes) in the form it is stored in."""
    return re.sub(r"[\s-]", "", raw or "").upper()[: CODE_LENGTH + 4]


def clean_answer(raw: str) -> str:
    """An answer as it is counted: trimmed, spaces squeezed, no control characters or markup signs."""
    text = re.sub(r"\s+", " ", str(raw))
    return "".join(ch for ch in text if ch.isprintable() and ch not in "<>&").strip()


class SQLiteStore:
    """The store in one SQLite file (created with its tables on first use)."""

    def __init__(self, path: Path, clock=time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the workshop store {self.path}: {err}") from err

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the workshop store {self.path}: {err}") from err
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        except sqlite3.Error as err:
            raise StoreError(f"the workshop store {self.path} failed: {err}") from err
        finally:
            db.close()

    # --- progress ------------------------------------------------------------------------------

    def load_progress(self, learner: str) -> dict | None:
        if not valid_learner(learner):
            return None
        with self._db() as db:
            row = db.execute("SELECT data FROM progress WHERE learner = ?", (learner,)).fetchone()
        try:
            return json.loads(row[0]) if row else None
        except ValueError:
            return None

    def save_progress(self, learner: str, data: dict) -> None:
        if not valid_learner(learner):
            raise StoreError("not a learner id")
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        if len(text.encode()) > MAX_PROGRESS_BYTES:
            raise StoreError(f"progress over {MAX_PROGRESS_BYTES} bytes")
        with self._db() as db:
            db.execute(
                "INSERT INTO progress VALUES (?, ?, ?) ON CONFLICT(learner) DO UPDATE SET data = ?, updated = ?",
                (learner, text, self.clock(), text, self.clock()),
            )

    def forget(self, learner: str) -> None:
        """Everything kept under this learner id: progress, class memberships and answers."""
        with self._db() as db:
            for table in ("progress", "members", "answers"):
                db.execute(f"DELETE FROM {table} WHERE learner = ?", (learner,))

    # --- classes -------------------------------------------------------------------------------

    def open_class(self) -> ClassRoom:
        now = self.clock()
        with self._db() as db:
            self._purge(db, now)
            while True:
                code = "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute("INSERT INTO classes (code, opened, expires) VALUES (?, ?, ?)",
                       (code, now, now + CLASS_HOURS * 3600))
        return ClassRoom(code, now, now + CLASS_HOURS * 3600)

    def close_class(self, code: str) -> None:
        with self._db() as db:
            db.execute("UPDATE classes SET closed = 1 WHERE code = ?", (normal_code(code),))

    def get_class(self, code: str) -> ClassRoom | None:
        """The class if it is open (not closed, not expired), else None."""
        with self._db() as db:
            row = db.execute(
                "SELECT code, opened, expires, question, prompt FROM classes"
                " WHERE code = ? AND closed = 0 AND expires > ?",
                (normal_code(code), self.clock()),
            ).fetchone()
        return ClassRoom(*row) if row else None

    def ask(self, code: str, question: str | None, prompt: str | None = None) -> None:
        with self._db() as db:
            db.execute("UPDATE classes SET question = ?, prompt = ? WHERE code = ?",
                       (question, prompt, normal_code(code)))

    def join(self, code: str, learner: str, nickname: str) -> str | None:
        """The learner's nickname in the class (the one given on their first join), or None when
        the class is not open."""
        code = normal_code(code)
        if not valid_learner(learner) or self.get_class(code) is None:
            return None
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO members (code, learner, nickname) VALUES (?, ?, ?)",
                       (code, learner, clean_answer(nickname)[:MAX_ANSWER_CHARS]))
            row = db.execute("SELECT nickname FROM members WHERE code = ? AND learner = ?", (code, learner)).fetchone()
        return row[0]

    def answer(self, code: str, question: str, learner: str, answer: str) -> Answered:
        """Keep a learner's answer to a question (a new one replaces theirs); refused when the class
        is not open, the learner has not joined, answers come faster than one a second, or the
        answer is empty or longer than MAX_ANSWER_CHARS."""
        code, text = normal_code(code), clean_answer(answer)
        if not text:
            return Answered(False, "empty")
        if len(text) > MAX_ANSWER_CHARS:
            return Answered(False, "too_long")
        if self.get_class(code) is None:
            return Answered(False, "closed")
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # the rate check and the write as one, across processes
            row = db.execute("SELECT last_answer FROM members WHERE code = ? AND learner = ?",
                             (code, learner)).fetchone()
            if row is None:
                return Answered(False, "not_member")
            if now - row[0] < MIN_ANSWER_GAP_S:
                return Answered(False, "too_fast")
            db.execute("UPDATE members SET last_answer = ? WHERE code = ? AND learner = ?", (now, code, learner))
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(code, question, learner) DO UPDATE SET answer = ?, at = ?",
                (code, question, learner, text, now, text, now),
            )
        return Answered(True)

    def tally(self, code: str, question: str) -> dict[str, int]:
        """How many learners gave each answer (answers compared without case), most given first."""
        with self._db() as db:
            rows = db.execute("SELECT answer FROM answers WHERE code = ? AND question = ?",
                              (normal_code(code), question)).fetchall()
        return dict(Counter(answer.casefold() for (answer,) in rows).most_common())

    def reveal(self, code: str, question: str) -> None:
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO reveals VALUES (?, ?)", (normal_code(code), question))

    def revealed(self, code: str, question: str) -> bool:
        with self._db() as db:
            row = db.execute("SELECT 1 FROM reveals WHERE code = ? AND question = ?", (normal_code(code), question))
            return row.fetchone() is not None

    def count_answers(self, code: str | None = None) -> int:
        """All answers kept (in one class, or in all): what a fault run counts before and after."""
        with self._db() as db:
            if code is None:
                return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM answers WHERE code = ?", (normal_code(code),)).fetchone()[0]

    def _purge(self, db: sqlite3.Connection, now: float) -> None:
        """Expired classes go, with their members, answers and reveals."""
        old = [code for (code,) in db.execute("SELECT code FROM classes WHERE expires <= ?", (now,))]
        for table in ("members", "answers", "reveals", "classes"):
            db.executemany(f"DELETE FROM {table} WHERE code = ?", [(c,) for c in old])


def store_path() -> Path:
    return Path(os.environ.get("GLASSBOX_STORE") or paths.data_dir() / "workshop" / "glassbox.sqlite3")


def open_store(path: Path | None = None) -> Store:
    """The store the site uses: SQLite at `path` (default `$GLASSBOX_STORE`, else in the data folder)."""
    return SQLiteStore(path or store_path())
