"""The kinds of text in the training data (corpus domains: scripture, speeches, ...) by their
names in the learner's language, from `domain.<name>` in the locale files.

Leaves out: the domains themselves (`glassbox.corpus.DOMAINS`); a domain with no string (a corpus
built from other sources) is shown as it is named in the corpus.
"""

from __future__ import annotations

from glassbox.i18n import EN, STRINGS
from ui import lang


def name(domain: str) -> str:
    """`domain` as the learner reads it ("scripture" is "성경" in Korean)."""
    return STRINGS.get(lang(), EN).get(f"domain.{domain}", domain)
