"""A print view: one printable page (a lesson handout) drawn alone, for the browser's Print.

While it is open the page shows nothing but that Markdown, a hint and a button back; its style
hides the sidebar, the top bar and the page menu on screen, and, when printing, the hint and the
button too, with page margins for paper. Leaves out: PDF files (no library here makes one without
a browser) and any layout beyond what Markdown gives.
"""

from __future__ import annotations

import streamlit as st

import ui

KEY = "print_view.page"  # the Markdown shown in the print view (None: closed)
BAR = "print_view_bar"  # the container of the hint and the back button (its class: st-key-print_view_bar)
STYLE = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stTopNavLinkContainer"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 48rem; padding-top: 1.5rem; }
@media print {
  .st-key-print_view_bar { display: none !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding: 0; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"] { overflow: visible !important; }
  body { background: #ffffff; color: #000000; }
  @page { margin: 1.5cm; }
}
</style>"""


def open_button(page: str, key: str) -> None:
    """A button that opens `page` (Markdown) in the print view."""
    if st.button(ui.tr("teachers.print_view"), key=key, icon="🖨️", help=ui.tr("teachers.print_help")):
        st.session_state[KEY] = page
        st.rerun()


def show() -> bool:
    """Draw the print view if one is open (the caller draws nothing else then); returns whether it was."""
    page = st.session_state.get(KEY)
    if not page:
        return False
    st.html(STYLE)
    with st.container(key=BAR):
        st.caption(ui.tr("teachers.print_now"))
        if st.button(ui.tr("teachers.print_back"), key="print_view.back", icon="⬅️"):
            st.session_state[KEY] = None
            st.rerun()
    st.markdown(page)
    return True
