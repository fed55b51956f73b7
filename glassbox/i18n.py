"""The site's interface strings, in English and Korean, and `t()` to fetch one.

The strings live in `locales/<lang>.toml` at the project root, one file per language for a
translator to edit. TOML tables keep the keys' dotted groups: `[nav]` `learn = "Learn"` is the
key `nav.learn`. Error messages are there too, under `[error]` (`glassbox.errors` reads them).
Lesson texts are not (they live in `lessons/`). Both files must have the same keys and the same
`{placeholders}`; tests/test_i18n.py checks that.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from glassbox.paths import PROJECT_ROOT

LANGUAGES = ("en", "ko")
LOCALES_DIR = PROJECT_ROOT / "locales"


def _flatten(table: dict, prefix: str, path: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{key}.", path))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"{path}: {key} must be a string, not {type(value).__name__}")
    return flat


def load_strings(lang: str) -> dict[str, str]:
    """Every string of `locales/<lang>.toml`, keyed by its dotted name ("nav.learn")."""
    path = LOCALES_DIR / f"{lang}.toml"
    with path.open("rb") as file:
        return _flatten(tomllib.load(file), "", path)


# Read once, when the module is first imported.
STRINGS: dict[str, dict[str, str]] = {lang: load_strings(lang) for lang in LANGUAGES}
EN: dict[str, str] = STRINGS["en"]
KO: dict[str, str] = STRINGS["ko"]


def t(key: str, lang: str, **params: object) -> str:
    """The string `key` in `lang` ("en" or "ko"; anything else reads English), filled with params.

    An unknown key raises KeyError: a missing string is a bug the page tests catch.
    """
    table = STRINGS.get(lang, EN)
    template = table[key]
    return template.format(**params) if params else template
