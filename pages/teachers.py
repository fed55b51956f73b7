"""For teachers: the class plan, presenter mode, shared links and running a workshop server,
from docs/teacher-guide.md (English) or docs/teacher-guide.ko.md (Korean)."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import paths
from ui import text as ui_text

ui.page_start()

GUIDES = {"en": "teacher-guide.md", "ko": "teacher-guide.ko.md"}

guide = paths.PROJECT_ROOT / "docs" / GUIDES.get(ui.lang(), GUIDES["en"])
try:
    st.markdown(guide.read_text(encoding="utf-8"))
except OSError:
    st.info(ui.tr("teachers.missing", path=ui_text.md_escape(str(guide))))
