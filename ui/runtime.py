"""The one module that reaches into Streamlit's private runtime (pinned: streamlit 1.67).

Streamlit 1.67 has no public way for these, so they live here, together, with a test
(tests/test_runtime.py) that fails when Streamlit changes underneath them:
- `leave_pages_directory_mode()`: before the server starts (`ui.launch`), so a folder named
  `pages/` is not taken for an old-style multipage app;
- `page_start()`: the same from inside a script run, for `streamlit run app.py`; called once,
  when `ui` is first imported (app.py and every page import it first);
- `rerun_of_fragment_alone()`: whether this run reruns fragments only.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData


def leave_pages_directory_mode() -> None:
    """Switch Streamlit's old pages-folder mode off for this process (before the server starts)."""
    PagesManager.uses_pages_directory = False


def page_start() -> None:
    """Run by `import ui` (its first import in a process is in the first script run).

    Until `st.navigation` has run once in a process, Streamlit treats a folder named `pages/`
    as an old-style multipage app: it runs app.py as a page of its own (or, for a deep link,
    a page file without app.py), and widgets made in that run get other ids than in later
    runs, so a first visitor's choices would reset. Such a run switches that mode off and
    starts again at once, before any widget exists: the rerun is raised out of the import, so
    `ui` is imported afresh in the new run. Outside a script run (a test, a bench, the launcher)
    it does nothing.
    """
    ctx = get_script_run_ctx()
    if not PagesManager.uses_pages_directory or ctx is None:
        return
    PagesManager.uses_pages_directory = False
    if ctx.script_requests is None:
        st.rerun()
    # Start again on the page that was asked for (by hash or by URL name), not the one the
    # old-style lookup fell back to.
    manager = ctx.pages_manager
    ctx.script_requests.request_rerun(
        RerunData(
            query_string=ctx.query_string,
            page_script_hash=manager.intended_page_script_hash or "",
            page_name=manager.intended_page_name or "",
            context_info=ctx.context_info,
        )
    )
    st.empty()  # the runner acts on the request at the next element
    st.rerun()  # not reached; a fallback should the runner ever go on


def rerun_of_fragment_alone() -> bool:
    """True while Streamlit reruns fragments only (not the whole page)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)
