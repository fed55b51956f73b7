"""Starts the site (`python -m ui.launch [streamlit options]`, used by `./run site`).

Streamlit treats a folder named `pages/` as an old-style multipage app until `st.navigation`
has run once in the process, so the very first visitor who opens a deep link (a shared link
or QR code to a page other than Home) would get a "Page not found" dialog. Switching that mode
off before the server starts avoids it; `ui.runtime.page_start` still covers `streamlit run app.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    from ui.runtime import leave_pages_directory_mode

    leave_pages_directory_mode()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
