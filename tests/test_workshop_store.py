"""The workshop store on a real SQLite file: progress kept and forgotten, classes opened, joined,
answered (rate-limited, length-capped, text only), tallied, revealed and expired; and several
processes answering at once lose nothing."""

from __future__ import annotations

import multiprocessing

import pytest

from glassbox.workshop import classroom
from glassbox.workshop.store import (
    CLASS_HOURS,
    MAX_ANSWER_CHARS,
    MAX_PROGRESS_BYTES,
    SQLiteStore,
    StoreError,
    clean_answer,
    new_learner,
    normal_code,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return SQLiteStore(tmp_path / "store.sqlite3", clock=clock)


def test_progress_is_kept_per_learner_and_forgotten(store, tmp_path):
    a, b = new_learner(), new_learner()
    assert store.load_progress(a) is None
    store.save_progress(a, {"done": ["tokens"], "first": {"tokens": {"0": 2}}})
    store.save_progress(b, {"done": []})
    again = SQLiteStore(tmp_path / "store.sqlite3")  # another process opening the same file
    assert again.load_progress(a) == {"done": ["tokens"], "first": {"tokens": {"0": 2}}}
    store.save_progress(a, {"done": ["tokens", "experts"]})
    assert again.load_progress(a)["done"] == ["tokens", "experts"]
    store.forget(a)
    assert again.load_progress(a) is None
    assert again.load_progress(b) == {"done": []}


def test_bad_learner_ids_and_oversized_progress_are_refused(store):
    assert store.load_progress("x") is None
    assert store.load_progress("'; DROP TABLE progress; --") is None
    with pytest.raises(StoreError):
        store.save_progress("short", {})
    with pytest.raises(StoreError, match="bytes"):
        store.save_progress(new_learner(), {"notes": "x" * MAX_PROGRESS_BYTES})


def test_a_class_is_joined_answered_and_tallied(store, clock):
    room = store.open_class()
    assert len(room.code) == 5 and set(room.code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    learners = [new_learner() for _ in range(4)]
    for learner in learners:
        assert store.join(room.code.lower(), learner, classroom.nickname(learner)) == classroom.nickname(learner)
    question = classroom.predict_question("next-token")
    for learner, guess in zip(learners, ["1", "1", "2", "0"], strict=True):
        assert store.answer(room.code, question, learner, guess).ok
    assert store.tally(room.code, question) == {"1": 2, "2": 1, "0": 1}
    clock.now += 5  # a learner changes their mind: their answer replaces the old one
    assert store.answer(room.code, question, learners[3], "1").ok
    assert store.tally(room.code, question) == {"1": 3, "2": 1}
    assert store.count_answers(room.code) == 4
    assert not store.revealed(room.code, question)
    store.reveal(room.code, question)
    assert store.revealed(room.code, question)


def test_answers_are_refused_when_too_fast_too_long_empty_or_outside_the_class(store, clock):
    room = store.open_class()
    learner, stranger = new_learner(), new_learner()
    store.join(room.code, learner, "Calm Otter 12")
    assert store.answer(room.code, "q", learner, "the").ok
    assert store.answer(room.code, "q", learner, "a").reason == "too_fast"
    clock.now += 1.5
    assert store.answer(room.code, "q", learner, "x" * (MAX_ANSWER_CHARS + 1)).reason == "too_long"
    assert store.answer(room.code, "q", learner, "  \n ").reason == "empty"
    assert store.answer(room.code, "q", stranger, "the").reason == "not_member"
    assert store.answer("ZZZZZ", "q", learner, "the").reason == "closed"
    assert store.tally(room.code, "q") == {"the": 1}


def test_answers_are_plain_text():
    assert clean_answer("<b>bold</b> &amp;") == "bbold/b amp;"
    assert clean_answer("  two\n\twords\x07 ") == "two words"
    assert normal_code(" ab-cd e ") == "ABCDE"


def test_closed_and_expired_classes_refuse_joins_and_answers_and_expired_ones_go(store, clock):
    closed, old = store.open_class(), store.open_class()
    learner = new_learner()
    store.join(old.code, learner, "Keen Lynx 40")
    store.answer(old.code, "q", learner, "yes")
    store.close_class(closed.code)
    assert store.get_class(closed.code) is None
    assert store.join(closed.code, learner, "n") is None
    clock.now += CLASS_HOURS * 3600 + 1
    assert store.get_class(old.code) is None
    assert store.answer(old.code, "q2", learner, "no").reason == "closed"
    store.open_class()  # opening a class clears the expired ones, answers included
    assert store.count_answers(old.code) == 0


def test_the_teacher_key_is_needed_and_compared_exactly(monkeypatch):
    monkeypatch.delenv(classroom.ENV_KEY, raising=False)
    assert classroom.teacher_key() is None and not classroom.is_teacher("anything")
    monkeypatch.setenv(classroom.ENV_KEY, "short")
    assert classroom.teacher_key() is None  # too short to be a key: controls stay off
    key = classroom.new_teacher_key()
    monkeypatch.setenv(classroom.ENV_KEY, key)
    assert classroom.is_teacher(key) and classroom.is_teacher(f" {key} ")
    assert not classroom.is_teacher(key[:-1]) and not classroom.is_teacher("")


def _answer_many(path: str, code: str, learners: list[str]) -> int:
    store = SQLiteStore(path)
    return sum(store.answer(code, "q", learner, "word").ok for learner in learners)


def test_processes_answering_at_once_lose_no_answer(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    room = store.open_class()
    learners = [new_learner() for _ in range(100)]
    for learner in learners:
        store.join(room.code, learner, classroom.nickname(learner))
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        kept = pool.starmap(_answer_many, [(str(path), room.code, learners[i::4]) for i in range(4)])
    assert sum(kept) == 100
    assert store.count_answers(room.code) == 100 and store.tally(room.code, "q") == {"word": 100}


def test_nicknames_are_stable_and_in_the_learners_language():
    learner = new_learner()
    assert classroom.nickname(learner) == classroom.nickname(learner)
    assert classroom.nickname(learner, "ko").split()[1] in classroom.NICK_WORDS["ko"][1]
