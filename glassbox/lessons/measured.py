"""Which model the lessons' claims were measured on, and what of a lesson holds for the model in use.

Every `expect:` claim of a lesson is measured on the Tiny OLMoE that ships inside Glass Box (the
embedded model, `paths.EMBEDDED_MODEL_DIR`), and the lessons' prose describes its training data
(speeches, plays, scripture, novels, definitions and the anthology). The site can run other models,
so `fit` says, for the model in use and a lesson's page, which kind of model it is:

- `EMBEDDED`: the Tiny OLMoE itself (its folder, whatever `GLASSBOX_MODEL` says): claims and corpus hold.
- `CHECKPOINT`: an earlier checkpoint of the same training run (`paths.CHECKPOINTS_DIR`): same
  training data, so the corpus text holds, but its numbers are not the claims' (measured at the end).
- `TAUGHT`: a learner's copy taught from the Tiny OLMoE or one of its checkpoints: as a checkpoint.
- `OTHER`: anything else (the host's default or list, a typed folder or hub id, a full-size OLMoE,
  the untrained stand-in, even a copy of the Tiny OLMoE in another folder): neither holds.

A page in `PAGES_ON_EMBEDDED` always runs the Tiny OLMoE's training run whatever is picked (Watch it
learn reads its checkpoints), so its claims hold for every model. Only the folder is compared: no
weights are read. Leaves out: what the site shows for each case (`ui.measured`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glassbox import paths

EMBEDDED, CHECKPOINT, TAUGHT, OTHER = "embedded", "checkpoint", "taught", "other"
PAGES_ON_EMBEDDED = frozenset({"watch_it_learn"})  # pages whose tool shows the Tiny OLMoE's run whatever is picked


@dataclass(frozen=True)
class Fit:
    """How a lesson's claims and corpus text relate to the model in use on one page."""

    kind: str  # EMBEDDED, CHECKPOINT, TAUGHT or OTHER
    claims_hold: bool  # the page shows what the claims were measured on
    corpus_holds: bool  # the model in use learned from the training data the lessons describe
    pinned: bool  # the page runs the Tiny OLMoE's training run whatever model is picked


def _resolved(source: str) -> Path | None:
    try:
        return Path(source).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):  # "~nobody", a loop of links, a NUL in the name
        return None


def kind_of(source: str, taught: bool = False) -> str:
    """EMBEDDED, CHECKPOINT or OTHER for a model source; for a taught model (`taught=True`, `source`
    the model it was taught from), TAUGHT when that is the Tiny OLMoE or one of its checkpoints."""
    where = _resolved(source)
    embedded = _resolved(str(paths.EMBEDDED_MODEL_DIR))
    run = where is not None and (where == embedded or where.parent == _resolved(str(paths.CHECKPOINTS_DIR)))
    if not run:
        return OTHER
    if taught:
        return TAUGHT
    return EMBEDDED if where == embedded else CHECKPOINT


def fit(source: str, page: str, taught: bool = False) -> Fit:
    """What of `page`'s lesson holds with the model `source` in use (see the module's docstring)."""
    kind = kind_of(source, taught)
    pinned = page in PAGES_ON_EMBEDDED
    return Fit(kind=kind, claims_hold=kind == EMBEDDED or pinned, corpus_holds=kind != OTHER, pinned=pinned)
