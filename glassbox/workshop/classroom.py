"""A class in a workshop: the teacher key that guards the teacher's controls, the random
nicknames learners appear under, and the question ids a class answers.

The teacher key is made when the server starts (`ui.launch` or the workshop supervisor print it)
and handed to every replica as `$GLASSBOX_TEACHER_KEY`; without one, no class can be opened.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import secrets

ENV_KEY = "GLASSBOX_TEACHER_KEY"
MIN_KEY_CHARS = 12

# Our own word lists: a nickname says nothing about who is behind it.
NICK_WORDS = {
    "en": (
        "Amber Brisk Calm Daring Eager Gentle Jolly Keen Lucky Mellow Nimble Quiet Rapid Sunny Swift Witty".split(),
        "Otter Heron Badger Falcon Panda Lynx Koala Gecko Puffin Walrus Marten Beaver Crane Dolphin Fox Owl".split(),
    ),
    "ko": (
        ("씩씩한 차분한 용감한 부지런한 다정한 명랑한 날쌘 행운의 "
         "느긋한 재빠른 조용한 밝은 슬기로운 유쾌한 반짝이는 든든한").split(),
        "수달 왜가리 오소리 매 판다 스라소니 코알라 도마뱀 퍼핀 바다코끼리 담비 비버 두루미 돌고래 여우 부엉이".split(),
    ),
}


def teacher_key() -> str | None:
    """The key this server was started with (None: teacher controls are off)."""
    key = os.environ.get(ENV_KEY, "").strip()
    return key if len(key) >= MIN_KEY_CHARS else None


def new_teacher_key() -> str:
    return secrets.token_urlsafe(12)


def is_teacher(typed: str | None) -> bool:
    """Whether `typed` is this server's teacher key (compared in constant time)."""
    key = teacher_key()
    if key is None or not typed:
        return False
    return hmac.compare_digest(typed.strip().encode(), key.encode())


def nickname(learner: str, lang: str = "en") -> str:
    """A learner's nickname, drawn from their id (the same id gives the same nickname)."""
    rng = random.Random(hashlib.sha256(learner.encode()).digest())
    adjectives, animals = NICK_WORDS.get(lang, NICK_WORDS["en"])
    return f"{rng.choice(adjectives)} {rng.choice(animals)} {rng.randint(10, 99)}"


def predict_question(lesson_id: str, n: int = 1) -> str:
    """The id of a lesson's n-th (1-based) predict-then-reveal question in a class: the first keeps
    the id it had before lessons could have more than one."""
    return f"predict:{lesson_id}" if n == 1 else f"predict:{lesson_id}:{n}"


def next_token_question(prompt: str) -> str:
    """The id of a "what comes next?" question about `prompt`."""
    return "next:" + hashlib.sha1(prompt.encode()).hexdigest()[:12]
