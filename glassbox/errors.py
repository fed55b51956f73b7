"""Errors a learner may see, raised by code, with the message looked up in the learner's language.

Core code raises `GlassboxError(code, **params)`; the CLI and the pages show `error.message(lang)`
instead of a traceback. The messages are the `[error]` tables of `locales/<lang>.toml` (key
`error.<code>`), read by `glassbox.i18n`.
"""

from __future__ import annotations

from glassbox.i18n import STRINGS


def _messages() -> dict[str, dict[str, str]]:
    """{code: {lang: message}} from the `error.<code>` keys of the locale files."""
    messages: dict[str, dict[str, str]] = {}
    for lang, table in STRINGS.items():
        for key, text in table.items():
            if key.startswith("error."):
                messages.setdefault(key.removeprefix("error."), {})[lang] = text
    return messages


MESSAGES: dict[str, dict[str, str]] = _messages()


class GlassboxError(Exception):
    """An error with a learner-facing message; `code` picks the message, params fill it."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        texts = MESSAGES.get(self.code)
        if texts is None:
            return f"{self.code}: {self.params}"
        template = texts.get(lang) or texts["en"]
        return template.format(**self.params)
