"""The interface strings: both languages have the same keys and placeholders, and Korean is Korean."""

from __future__ import annotations

import re
import string

import pytest

from glassbox.i18n import EN, KO, STRINGS, t

FIELDS = string.Formatter()
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in FIELDS.parse(text) if name}


def test_same_keys_in_both_languages():
    assert set(STRINGS) == {"en", "ko"}
    assert sorted(EN) == sorted(KO), set(EN) ^ set(KO)


@pytest.mark.parametrize("key", sorted(EN))
def test_same_placeholders(key):
    assert placeholders(EN[key]) == placeholders(KO[key]), key


def test_korean_strings_are_korean():
    # Every Korean string with letters in it has Hangul, except names kept as they are.
    untranslated = [k for k, v in KO.items() if re.search(r"[A-Za-z]{4,}", v) and not HANGUL.search(v)]
    allowed = {"tokens.default_text"}
    assert set(untranslated) <= allowed, untranslated
    # and the two tables really differ (not one language copied into the other)
    same = [k for k in EN if EN[k] == KO[k] and EN[k].strip()]
    assert len(same) <= 3, same


def test_t_fills_placeholders_and_falls_back_to_english():
    assert t("frame.progress_text", "en", done=2, total=6) == "2 of 6 lessons done"
    assert t("frame.progress_text", "ko", done=2, total=6) == "수업 6개 중 2개 완료"
    assert t("nav.home", "fr") == EN["nav.home"]
    with pytest.raises(KeyError):
        t("no.such.key", "en")
