"""The private Streamlit runtime `ui.runtime` reaches into: fails when a Streamlit upgrade moves it.

`ui.runtime` is the only module that may import `streamlit.runtime`; this checks that rule too,
and what `leave_pages_directory_mode` and `rerun_of_fragment_alone` do. The deep-link behaviour
of `page_start` itself is checked end to end in test_pages.test_deep_link_before_first_navigation_still_gets_the_frame.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

from ui import runtime

ROOT = Path(__file__).resolve().parent.parent
PRIVATE = re.compile(r"^\s*(from|import) streamlit\.(runtime|web\.server)\b", re.MULTILINE)


def test_the_private_names_page_start_uses_are_still_there():
    assert "uses_pages_directory" in vars(PagesManager)
    for name in ("intended_page_script_hash", "intended_page_name"):
        assert isinstance(getattr(PagesManager, name), property), name
    rerun_fields = {f.name for f in dataclasses.fields(RerunData)}
    assert {"query_string", "page_script_hash", "page_name", "context_info"} <= rerun_fields
    context_fields = {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert {
        "script_requests",
        "pages_manager",
        "query_string",
        "context_info",
        "fragment_ids_this_run",
    } <= context_fields


def test_leaving_the_pages_directory_mode_sets_the_flag(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    runtime.leave_pages_directory_mode()
    assert PagesManager.uses_pages_directory is False


def test_page_start_does_nothing_once_the_mode_is_off(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)
    runtime.page_start()  # outside a script run: would raise if it tried to rerun
    assert PagesManager.uses_pages_directory is False


def test_page_start_outside_a_script_run_leaves_the_mode_to_the_first_run(monkeypatch):
    """`import ui` in a test, a bench or the launcher must neither rerun nor decide the mode."""
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)
    runtime.page_start()
    assert PagesManager.uses_pages_directory is True


def test_app_and_pages_leave_page_start_to_the_import_of_ui():
    """One call, in ui/__init__.py: no page (nor app.py) calls it again."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]
    assert not [f.name for f in files if "page_start" in f.read_text(encoding="utf-8")]
    call = re.compile(r"^\s*page_start\(\)", re.MULTILINE)
    calls = [f.relative_to(ROOT).as_posix() for f in (ROOT / "ui").rglob("*.py") if call.search(f.read_text("utf-8"))]
    assert calls == ["ui/__init__.py"]


def test_outside_a_script_run_nothing_is_a_fragment_rerun():
    assert runtime.rerun_of_fragment_alone() is False


def test_no_other_site_module_imports_the_private_runtime():
    files = [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "ui").rglob("*.py"),
        *(ROOT / "glassbox").rglob("*.py"),
    ]
    offenders = [str(f.relative_to(ROOT)) for f in files if f.name != "runtime.py" and PRIVATE.search(f.read_text())]
    assert offenders == []
    assert PRIVATE.search((ROOT / "ui" / "runtime.py").read_text())  # the rule would see it
