"""Hostile and awkward inputs for hardening tests: every page and CLI command must survive each one.

Constants any test can import (each string written here by hand), and at the end the checks and the
one-thread fixture that both hardening test files share.
`ALL` maps a short name to each input; `MARKUP_NEEDLES` are the raw fragments that must never reach
a rendered page unescaped.
"""

from __future__ import annotations

import re

import pytest

from glassbox.errors import MESSAGES
from glassbox.model import checkpoints

EMPTY = ""
WHITESPACE = " \t\n\r\u00a0\u2003\u3000\n  "  # spaces, tab, newlines, no-break, em and ideographic spaces
LONG_100K = ("The cat sat on the mat. 고양이가 앉았다. " * 3400)[:100_000]
NUL_AND_CONTROLS = "before\x00after \x01\x02\x07\x08\x0b\x0c\x1b[31mred\x1b[0m \x7f \x80\x85\x9b\x9f end"
LONE_SURROGATE = "broken \ud800 half and \udfff other half"  # a str may hold these; UTF-8 cannot encode them
RIGHT_TO_LEFT = "abc \u202eשלום עולם\u202c then \u2067مرحبا بالعالم\u2069 done \u200f"
ZERO_WIDTH = "zero\u200dwidth\u200cjoin\u200bspace\ufeffbom\u2060word\u00adsoft"
EMOJI = "family 👨\u200d👩\u200d👧\u200d👦 flag 🇰🇷🇺🇳 thumbs 👍🏽👍🏿 keycap 1\ufe0f\u20e3 rainbow 🏳️\u200d🌈"
MIXED_SCRIPTS = "Hello 안녕하세요 你好世界 مرحبا world 한국어와 中文 and العربية mixed."
MARKDOWN_INJECTION = (
    "# Heading\n## Sub\n[click me](http://evil.example/) ![img](http://evil.example/x.png) "
    "**bold** _it_ `code` $$\\frac{1}{0}$$ $x^2$ :red[alarm] :material/warning: <!-- hidden --> "
    "> quote\n- list\n|a|b|\n|-|-|"
)
HTML_INJECTION = (
    "<script>alert('xss')</script><img src=x onerror=alert(1)>"
    "<iframe src=\"javascript:alert(2)\"></iframe><a href=\"javascript:alert(3)\">go</a>"
    "\"' onmouseover=\"alert(4)\" x='</div><style>body{display:none}</style>"
)
LONG_WORD = "Pneumono" + "ultramicroscopicsilicovolcanoconiosis" * 150  # ~5,500 characters, no space

ALL: dict[str, str] = {
    "empty": EMPTY,
    "whitespace": WHITESPACE,
    "long_100k": LONG_100K,
    "nul_controls": NUL_AND_CONTROLS,
    "lone_surrogate": LONE_SURROGATE,
    "right_to_left": RIGHT_TO_LEFT,
    "zero_width": ZERO_WIDTH,
    "emoji": EMOJI,
    "mixed_scripts": MIXED_SCRIPTS,
    "markdown": MARKDOWN_INJECTION,
    "html": HTML_INJECTION,
    "long_word": LONG_WORD,
}

# Model names a learner might type into the model box (or --model): a home directory of no one,
# a walk up the tree, a device, a name too long for any file system, an embedded NUL.
PATH_TRICKS: tuple[str, ...] = (
    "~no_such_user_glassbox/model",
    "../" * 40 + "etc/passwd",
    "/dev/null",
    "x" * 300,
    "model\x00name",
)

# Inputs with something in them to look at (not refused as empty).
NON_BLANK = {name: text for name, text in ALL.items() if text.strip()}

# Raw pieces of the injected Markdown: any of these in an element that renders Markdown means the
# user's text was not escaped (escaped text reads e.g. "\\[click me\\]\\(").
MARKDOWN_NEEDLES: tuple[str, ...] = ("[click me](", "![img](", ":red[", "$$", "<script", "<img", "<iframe", "<!--")

# Tags and attributes that must never appear as real markup in rendered HTML.
DANGEROUS_TAGS: frozenset[str] = frozenset({"script", "img", "iframe", "style", "object", "embed"})

# Invalid UTF-8 for files and stdin: a lone continuation byte, an overlong form, a cut-off character.
INVALID_UTF8 = b"good start \x80 then \xc0\xaf overlong and a cut \xe3\x81"


# --- shared by the hardening tests ----------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls other than tab and newline
MD_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")  # what ui.text.md_escape puts before ASCII punctuation
TEXT_INPUTS = {name: text for name, text in ALL.items() if name != "lone_surrogate"}  # see the surrogate test
TOO_LONG = {"long_100k": "text_too_long", "long_word": "text_too_long"}  # refused by the tiny model (256 tokens)
LIST_CHECKPOINTS, LOSS_CURVE = checkpoints.list_checkpoints, checkpoints.loss_curve


def message_pattern(code: str, lang: str) -> re.Pattern:
    """A learner-facing message of `code` in `lang`, any parameters."""
    parts = re.split(r"\{\w+\}", MESSAGES[code][lang])
    return re.compile(".+".join(re.escape(p) for p in parts), re.DOTALL)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Hundreds of forward passes of a tiny model: a second thread only adds start-up cost (and
    fights any other job on a small machine for the same cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
