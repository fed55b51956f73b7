"""The classroom setting: a short word list kept out of the text the model samples and generates.

The shipped model learned from old plays and scripture, so a seeded continuation of an everyday
prompt can bring up words such as "whore" or "bastard" in front of a class. With
`GLASSBOX_CLASSROOM_SAFE=1` (on by default in `./run workshop`, off for `./run site`), generation
and the Next token page's sampler never draw a token that would write a listed word: where the
draw would have written one, the next token is drawn from the same distribution with those tokens
taken out, and the result says where that happened, so the page can say so.

What it leaves out, on purpose:
- It changes only what is drawn. The probabilities that `inspect` and the bars show are the
  model's own, listed words included: the site shows what the model learned, and this is a
  choice made after training, as deployed models make them.
- The list is short (a handful of words from the King James Bible and Shakespeare), not a
  complete filter of offensive language, and it knows nothing about meaning or context.
- A listed word is blocked in its usual spellings (the word, plural and a few forms, lower case,
  capitalised and upper case, with or without a space before it) as the tokenizer writes them; a
  rare spelling in unusual pieces could still get through.

How a word is blocked: a token that is a listed word by itself (" bastard") is never drawn; a
word the tokenizer writes in several pieces (" wh" + "ore") is blocked at its last piece, only
when the text so far ends with the pieces before it. Blocking the first piece instead would also
block common words that begin the same way (" who", " for", " str").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

ENV = "GLASSBOX_CLASSROOM_SAFE"

# The classroom list: words from the old texts in the training data that a teacher would rather
# not see projected. Short on purpose; add a word here (every form you want blocked) and it is
# blocked everywhere the setting is on.
WORDS: tuple[str, ...] = (
    "whore", "whores", "whoredom", "whoredoms", "whoring", "whoremonger",
    "harlot", "harlots", "bastard", "bastards", "strumpet", "strumpets", "slut",
)  # fmt: skip


def enabled() -> bool:
    """Whether the classroom setting is on for this server (`GLASSBOX_CLASSROOM_SAFE=1`)."""
    return os.environ.get(ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def spellings(word: str) -> tuple[str, ...]:
    """The forms of a listed word that are blocked: lower case, capitalised, upper case, each with
    and without a space before it."""
    cases = dict.fromkeys((word.lower(), word.capitalize(), word.upper()))
    return tuple(prefix + case for case in cases for prefix in ("", " "))


@dataclass(frozen=True)
class Blocklist:
    """The listed words as token ids of one tokenizer."""

    single: frozenset[int]  # tokens that are a listed word by themselves
    pieces: tuple[tuple[int, ...], ...]  # words the tokenizer writes in two or more tokens

    def blocked_after(self, context: Sequence[int]) -> frozenset[int]:
        """The token ids that must not come next after `context` (the token ids so far)."""
        out = set(self.single)
        for seq in self.pieces:
            for k in range(1, len(seq)):
                if len(context) >= k and tuple(context[-k:]) == seq[:k]:
                    out.add(seq[k])
        return frozenset(out)

    def listed(self, ids: Sequence[int]) -> bool:
        """Whether the token ids spell a listed word anywhere (a test of the result)."""
        ids = tuple(ids)
        if any(i in self.single for i in ids):
            return True
        return any(ids[i:i + len(seq)] == seq for seq in self.pieces for i in range(len(ids) - len(seq) + 1))


def blocklist_for(tokenizer, token_text, words: Sequence[str] = WORDS) -> Blocklist:
    """The blocklist of a tokenizer: `tokenizer.encode` spells each form of each word;
    `token_text(id)` gives a token's text, for finding every token that is a listed word by
    itself (whatever spaces it carries)."""
    wanted = {w.lower() for w in words}
    single = {i for i in range(len(tokenizer)) if token_text(i).strip().lower() in wanted}
    pieces = set()
    for word in words:
        for form in spellings(word):
            ids = tuple(tokenizer.encode(form, add_special_tokens=False))
            if len(ids) == 1:
                single.add(ids[0])
            elif ids:
                pieces.add(ids)
    return Blocklist(frozenset(single), tuple(sorted(pieces)))


@lru_cache(maxsize=8)
def blocklist(lm) -> Blocklist:
    """The blocklist of a loaded model's tokenizer (cached per model)."""
    def text(i: int) -> str:
        return lm.token_bytes(i).decode("utf-8", errors="replace")

    return blocklist_for(lm.tokenizer, text)
