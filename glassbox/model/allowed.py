"""Which models a learner may pick on the site: the host decides.

The picker offers the default model (the embedded one, or `GLASSBOX_MODEL`), the embedded model's
checkpoints, and the folders and hub ids the host lists in `GLASSBOX_MODELS`: entries separated by
commas or new lines, each a folder or a hub id, with an optional label in front (`label=path`), e.g.
`GLASSBOX_MODELS="OLMoE full=allenai/OLMoE-1B-7B-0125-Instruct, /srv/models/tiny-taught"`. An entry
is shown by its label, else a hub id by its id and a folder by its folder name (never its full path).

A free-text "Another OLMoE…" box, which opens any folder or hub id a learner types, is a decision of
the host (`any_model_allowed`): never in a workshop replica (`./run workshop`, even when asked for),
else as `GLASSBOX_ALLOW_ANY_MODEL` says (1 or 0), and when it says nothing, only on a site that
serves the loopback address (`./run site` as it ships: only the person at the machine can reach it).
A site served on another address (`--server.address 0.0.0.0`) offers the host's list alone unless
the host sets `GLASSBOX_ALLOW_ANY_MODEL=1`. A site behind a proxy of the host's own on loopback
should set it to 0.

Leaves out: accounts or per-learner lists (everyone on a server is offered the same models), and a
folder whose name holds a comma (commas separate the entries).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from glassbox import paths
from glassbox.errors import GlassboxError

MODELS_ENV = "GLASSBOX_MODELS"
ANY_ENV = "GLASSBOX_ALLOW_ANY_MODEL"
WORKSHOP_ENV = "GLASSBOX_REPLICA"  # the workshop supervisor sets it for every replica (glassbox.workshop.serve)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # as glassbox.model.loading reads one
YES, NO = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class HostModel:
    """One model of the host's list: what the picker shows, and what is loaded."""

    label: str
    source: str


def parse_models(text: str) -> tuple[HostModel, ...]:
    """The entries of a `GLASSBOX_MODELS` value, in order, each source once, each label once
    (a repeated label gets " (2)", " (3)"…). A label is what comes before the first "=" when it
    holds no slash (so a folder such as `/srv/a=b` stays a folder)."""
    entries: list[HostModel] = []
    for item in (part.strip() for part in re.split(r"[,\n]", text or "")):
        if not item:
            continue
        label, sep, rest = item.partition("=")
        label, source = (label.strip(), rest.strip()) if sep and not re.search(r"[/\\]", label) else ("", item)
        if not source or any(e.source == source for e in entries):
            continue
        label = label or shown_name(source)
        taken = {e.label for e in entries}
        unique, n = label, 1
        while unique in taken:
            n += 1
            unique = f"{label} ({n})"
        entries.append(HostModel(label=unique, source=source))
    return tuple(entries)


def shown_name(source: str) -> str:
    """How a source is shown to a learner: a hub id whole, a folder by its last part only."""
    if HUB_ID.match(source) and not _is_folder(source):
        return source
    return Path(source).name or source.strip("/\\") or "/"


def _is_folder(source: str) -> bool:
    try:
        return Path(source).expanduser().is_dir()
    except (OSError, RuntimeError):  # a name too long for any folder, "~someone" with no such user
        return False


def host_models(environ: Mapping[str, str] = os.environ) -> tuple[HostModel, ...]:
    """The host's list (`GLASSBOX_MODELS`), read now."""
    return parse_models(environ.get(MODELS_ENV, ""))


def is_loopback(address: str | None) -> bool:
    """Whether a server address is reachable from this machine only. No address means every
    interface (Streamlit's own default), so it is not loopback."""
    name = (address or "").strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name other than localhost, or nothing: assume it is reachable from outside
        return False


def any_model_allowed(environ: Mapping[str, str], address: str | None) -> bool:
    """Whether learners may type any folder or hub id: never in a workshop replica; else as the host
    set `GLASSBOX_ALLOW_ANY_MODEL`; unset (or unreadable), only on a loopback address."""
    if environ.get(WORKSHOP_ENV):
        return False
    said = environ.get(ANY_ENV, "").strip().lower()
    if said in YES:
        return True
    if said in NO:
        return False
    return is_loopback(address)


def is_offered(source: str, entries: Iterable[HostModel]) -> bool:
    """Whether the picker offers `source`: the default model (or its untrained stand-in), one of
    the host's entries, or a checkpoint of the embedded model (read last: it lists a folder)."""
    from glassbox.model.checkpoints import list_checkpoints

    source = str(source)
    if source in (paths.default_model_source(), str(paths.fallback_model_dir())):
        return True
    if any(entry.source == source for entry in entries):
        return True
    return any(c.path == source for c in list_checkpoints())


def check_offered(source: str, entries: Iterable[HostModel], any_model: bool) -> None:
    """Refuse a source off the host's list (when typed sources are not allowed) before anything is
    read for it. The message names no path."""
    if not any_model and not is_offered(source, entries):
        raise GlassboxError("model_not_offered")
