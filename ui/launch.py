"""Starts the site (`python -m ui.launch [streamlit options]`, used by `./run site`).

Streamlit treats a folder named `pages/` as an old-style multipage app until `st.navigation`
has run once in the process, so the very first visitor who opens a deep link (a shared link
or QR code to a page other than Home) would get a "Page not found" dialog. Switching that mode
off before the server starts avoids it; `ui.runtime.page_start` (run by `import ui`) still covers
`streamlit run app.py`.
It also makes and prints the teacher key for the class controls (`glassbox.workshop.classroom`).
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    from ui.runtime import leave_pages_directory_mode

    leave_pages_directory_mode()
    teacher_key()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


def teacher_key() -> None:
    """Make the key for the teacher's class controls, unless one was given, and print it."""
    import os

    from glassbox.workshop import classroom

    if classroom.teacher_key() is None:
        os.environ[classroom.ENV_KEY] = classroom.new_teacher_key()
        print(f"Teacher key (for the class controls on the For teachers page): {os.environ[classroom.ENV_KEY]}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
