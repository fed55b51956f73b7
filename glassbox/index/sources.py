"""Where a model's training data can be searched: the local index, a hosted infini-gram index, or
nowhere known. Tracing, counting and the Training data page follow this and nothing else.

A model folder's card (`glassbox.json`, `glassbox.model.folder`) says it in its `training_data` field:
- `"local"`: the index built on this computer from the Glass Box corpus (`glassbox build index`),
  which the embedded Tiny OLMoE, its checkpoints and copies taught from them learned from;
- `"hosted:<index>"`: an index of the hosted infini-gram service (`glassbox.index.hosted`), e.g.
  `hosted:v4_olmoe-0125-1b-7b-instruct_llama` for the full-size OLMoE-1B-7B-0125 family (that
  index tokenizes with Llama-2, on the service's side);
- `"unknown"`, no field, no card, or a value this module does not read: nothing known. Never local.

A copy taught with `glassbox teach --out` keeps its source's card; an older one without the field
follows the model it was taught from (`taught.source`), and a checkpoint folder without it
(`<model>/checkpoints/step-N`) follows its run's model. A hub id that is no folder is known only for
the OLMoE-1B-7B-0125 family (base, SFT, DPO, Instruct: the hosted index holds the instruct model's
pre-, mid- and post-training data, a superset of what the earlier stages saw); every other id is
unknown. Hosts set the field of a downloaded folder with `glassbox training-data FOLDER --set ...`.
Leaves out: taught models of the site (`taught:` ids), which the site resolves to their base first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from glassbox.errors import GlassboxError
from glassbox.model.folder import CHECKPOINTS_DIR, training_card, write_training_card

CARD_KEY = "training_data"
LOCAL, HOSTED, UNKNOWN = "local", "hosted", "unknown"
OLMOE_0125_INDEX = "v4_olmoe-0125-1b-7b-instruct_llama"
KNOWN_HUB_IDS = re.compile(r"allenai/OLMoE-1B-7B-0125(-(Instruct|SFT|DPO))?", re.IGNORECASE)
INDEX_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class TrainingData:
    """Where one model's training data can be searched."""

    kind: str  # LOCAL, HOSTED or UNKNOWN
    index: str = ""  # the hosted index's name (HOSTED only)

    @property
    def local(self) -> bool:
        return self.kind == LOCAL

    @property
    def hosted(self) -> bool:
        return self.kind == HOSTED

    def card_value(self) -> str:
        """The card's `training_data` value for this source."""
        return f"{HOSTED}:{self.index}" if self.hosted else self.kind


NOTHING_KNOWN = TrainingData(UNKNOWN)
LOCAL_INDEX = TrainingData(LOCAL)


def parse(value: object) -> TrainingData | None:
    """A card value read; None when it is none of "local", "hosted:<index>", "unknown"."""
    if not isinstance(value, str):
        return None
    kind, _, index = value.strip().partition(":")
    if kind == HOSTED and INDEX_NAME.fullmatch(index):
        return TrainingData(HOSTED, index)
    if kind in (LOCAL, UNKNOWN) and not index:
        return TrainingData(kind)
    return None


def of_hub_id(hub_id: str) -> TrainingData:
    """What is known of a hub id's training data (see the module's docstring)."""
    return TrainingData(HOSTED, OLMOE_0125_INDEX) if KNOWN_HUB_IDS.fullmatch(hub_id.strip()) else NOTHING_KNOWN


def _folder(source: str | Path) -> Path | None:
    try:
        folder = Path(source).expanduser()
        return folder if folder.is_dir() else None
    except (OSError, RuntimeError, ValueError):  # "~nobody", a name too long, a NUL in it
        return None


def of_source(source: str | Path, _depth: int = 0) -> TrainingData:
    """Where the training data of the model at `source` (a folder or a hub id) can be searched."""
    folder = _folder(source)
    if folder is None:
        return of_hub_id(str(source))
    card = training_card(folder)
    if CARD_KEY in card:
        return parse(card[CARD_KEY]) or NOTHING_KNOWN
    taught = card.get("taught")
    if isinstance(taught, dict) and isinstance(taught.get("source"), str) and _depth < 4:
        return of_source(taught["source"], _depth + 1)
    if folder.parent.name == CHECKPOINTS_DIR and _depth < 4:  # a checkpoint of a run: the run's own data
        return of_source(folder.parent.parent, _depth + 1)
    return NOTHING_KNOWN


def write(folder: str | Path, data: TrainingData) -> None:
    """Set a model folder's card field (the card is made when there is none; other fields are kept)."""
    found = _folder(folder)
    if found is None or not (found / "config.json").is_file():
        raise GlassboxError("model_folder_missing", path=folder)
    write_training_card(found, {**training_card(found), CARD_KEY: data.card_value()})


def from_words(value: str) -> TrainingData:
    """A host's `--set` value: "local", "unknown", "hosted" (the OLMoE-0125 index) or "hosted:<index>"."""
    value = value.strip()
    found = TrainingData(HOSTED, OLMOE_0125_INDEX) if value == HOSTED else parse(value)
    if found is None:
        raise GlassboxError("training_data_bad", value=value)
    return found
