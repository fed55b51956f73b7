"""The interface strings: both languages have the same keys and placeholders, and Korean is Korean.

The strings live in locales/en.toml and locales/ko.toml; error messages are their `[error]` tables.
"""

from __future__ import annotations

import re
import string
import tomllib

import pytest

from glassbox.errors import MESSAGES, GlassboxError
from glassbox.i18n import EN, KO, LOCALES_DIR, STRINGS, t
from glassbox.paths import PROJECT_ROOT

FIELDS = string.Formatter()
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# GlassboxError("<code>", ...), or super().__init__("<code>", ...) in a subclass of it (LessonError)
RAISED_CODE = re.compile(r"""(?:GlassboxError|super\(\)\.__init__)\(\s*["'](\w+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in FIELDS.parse(text) if name}


def locale_file(lang: str) -> dict[str, str]:
    """locales/<lang>.toml read straight from the file, its tables flattened to dotted keys."""

    def flatten(table: dict, prefix: str) -> dict[str, str]:
        flat: dict[str, str] = {}
        for name, value in table.items():
            if isinstance(value, dict):
                flat.update(flatten(value, f"{prefix}{name}."))
            else:
                assert isinstance(value, str), f"{prefix}{name} in {lang}.toml is not a string"
                flat[f"{prefix}{name}"] = value
        return flat

    with (LOCALES_DIR / f"{lang}.toml").open("rb") as file:
        return flatten(tomllib.load(file), "")


def raised_codes() -> set[str]:
    """Every code the site raises as `GlassboxError("<code>", ...)` (or a subclass) in the site's code."""
    files = [
        *(PROJECT_ROOT / "glassbox").rglob("*.py"),
        *(PROJECT_ROOT / "pages").rglob("*.py"),
        *(PROJECT_ROOT / "ui").rglob("*.py"),
        PROJECT_ROOT / "app.py",
    ]
    return {code for path in files for code in RAISED_CODE.findall(path.read_text(encoding="utf-8"))}


def test_same_keys_in_both_languages():
    assert set(STRINGS) == {"en", "ko"}
    assert sorted(EN) == sorted(KO), set(EN) ^ set(KO)


@pytest.mark.parametrize("key", sorted(EN))
def test_same_placeholders(key):
    assert placeholders(EN[key]) == placeholders(KO[key]), key


def test_locale_files_have_the_same_keys_and_placeholders():
    en, ko = locale_file("en"), locale_file("ko")
    assert set(en) == set(ko), set(en) ^ set(ko)
    differ = [key for key in en if placeholders(en[key]) != placeholders(ko[key])]
    assert not differ, differ
    assert en == EN and ko == KO  # what the site reads is what the files say


def test_every_raised_error_code_has_a_message_in_both_languages():
    codes = raised_codes()
    assert len(codes) > 10, codes  # the scan found the raises
    en, ko = locale_file("en"), locale_file("ko")
    missing = {lang: sorted(c for c in codes if f"error.{c}" not in table) for lang, table in (("en", en), ("ko", ko))}
    assert missing == {"en": [], "ko": []}, missing
    assert set(MESSAGES) == {key.removeprefix("error.") for key in en if key.startswith("error.")}


def test_error_messages_come_from_the_locale_files():
    error = GlassboxError("file_missing", path="/tmp/x")
    assert error.code == "file_missing" and error.params == {"path": "/tmp/x"}
    assert error.message("en") == "No file at /tmp/x." == str(error)
    assert error.message("ko") == t("error.file_missing", "ko", path="/tmp/x") == "/tmp/x 에 파일이 없어요."
    assert error.message("fr") == error.message("en")
    assert MESSAGES["file_missing"] == {"en": EN["error.file_missing"], "ko": KO["error.file_missing"]}
    assert GlassboxError("no_such_code", n=1).message("ko") == "no_such_code: {'n': 1}"


def test_korean_strings_are_korean():
    # Every Korean string with letters in it has Hangul, except names kept as they are.
    untranslated = [k for k, v in KO.items() if re.search(r"[A-Za-z]{4,}", v) and not HANGUL.search(v)]
    allowed = {"tokens.default_text"}
    assert set(untranslated) <= allowed, untranslated
    # and the two tables really differ (not one language copied into the other)
    same = [k for k in EN if EN[k] == KO[k] and EN[k].strip()]
    assert len(same) <= 3, same


def test_every_kind_of_training_text_has_a_name_in_both_languages():
    """Charts, tables and document cards show a corpus domain by `domain.<name>`: in Korean
    pages, ‘scripture’ reads 성경, not the English name."""
    from glassbox.corpus import DOMAINS

    for domain in DOMAINS:
        assert EN[f"domain.{domain}"] == domain
        assert HANGUL.search(KO[f"domain.{domain}"]), domain
    assert len({KO[f"domain.{d}"] for d in DOMAINS}) == len(DOMAINS)


def test_t_fills_placeholders_and_falls_back_to_english():
    assert t("frame.progress_text", "en", done=2, total=6) == "2 of 6 lessons done"
    assert t("frame.progress_text", "ko", done=2, total=6) == "수업 6개 중 2개 완료"
    assert t("nav.home", "fr") == EN["nav.home"]
    with pytest.raises(KeyError):
        t("no.such.key", "en")


def test_korean_interface_strings_speak_in_the_lessons_register():
    """The lessons speak in 해요체; a caption in 합니다체 beside them would switch register on one screen."""
    formal = re.compile(r"(니다|십시오)(?=[.?!)\s\"”]|$)|니까\?")  # "…니까 " (because) is 해요체 too
    found = [f"{key}: {value}" for key, value in KO.items() if formal.search(value)]
    assert not found, "\n".join(found)
    lessons = PROJECT_ROOT / "lessons" / "ko"
    for path in lessons.glob("*.md"):
        assert not formal.search(path.read_text(encoding="utf-8")), path.name
    assert formal.search("없습니다.") and formal.search("보입니까?") and not formal.search("없으니까 봐요.")
