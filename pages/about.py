"""About: the model card and data card (our own Markdown), and a searchable browser of the
training corpus's documents (shown as plain text, never as markup)."""

from __future__ import annotations

import re

import streamlit as st

import ui
from glassbox import paths
from glassbox.corpus import iter_documents
from glassbox.model import checkpoints
from ui import text as ui_text

ui.page_start()

NS = "about"
PER_PAGE = 20
SHOW_CHARS = 20_000  # longest part of a document shown at once


@st.cache_data(show_spinner=False, max_entries=64)
def search(corpus: str, stamp: float, query: str, domain: str) -> tuple[list[dict], int]:
    """Documents whose title or text contains `query` (case-insensitive): metadata only, and how many."""
    documents = iter_documents
    needle = query.casefold()
    hits = []
    for doc in documents(paths.corpus_path()):
        if domain and doc.domain != domain:
            continue
        if needle and needle not in doc.title.casefold() and needle not in doc.text.casefold():
            continue
        hits.append(
            {"id": doc.id, "title": doc.title, "domain": doc.domain, "source": doc.source, "chars": len(doc.text)}
        )
    return hits, len(hits)


@st.cache_data(show_spinner=False, max_entries=16)
def document_text(corpus: str, stamp: float, doc_id: str) -> str | None:
    documents = iter_documents
    return next((d.text for d in documents(paths.corpus_path()) if d.id == doc_id), None)


def cards() -> None:
    for name, title in (("MODEL_CARD.md", "about.model_card"), ("DATA_CARD.md", "about.data_card")):
        st.subheader(ui.tr(title))
        card = ui.guarded(checkpoints.card_markdown, name=name)
        if card:
            st.markdown(card)  # our own shipped file; Markdown only, raw HTML is not rendered
        else:
            st.info(ui.tr("about.no_card", name=name))


def browser() -> None:
    st.subheader(ui.tr("about.browse"))
    corpus = paths.corpus_path()
    if not corpus.is_file():
        st.info(ui.tr("trace.corpus_missing", path=ui_text.md_escape(str(corpus))))
        return
    stamp = corpus.stat().st_mtime
    left, right = st.columns([3, 1])
    query = left.text_input(ui.tr("about.search"), key=f"{NS}.query", max_chars=100, persist_state="session")
    domains = ["", "speeches", "plays", "scripture", "novels", "dictionary"]
    names = {d: (ui.tr("about.all_domains") if not d else d) for d in domains}
    domain = right.selectbox(ui.tr("col.domain"), domains, format_func=names.get, key=f"{NS}.domain")
    found = ui.guarded(search, str(corpus), stamp, (query or "").strip(), domain or "")
    if found is None:
        return
    hits, total = found
    st.caption(ui.tr("about.found", n=f"{total:,}"))
    if not hits:
        return
    pages = max(1, -(-total // PER_PAGE))
    page = st.number_input(ui.tr("about.page", pages=pages), 1, pages, 1, key=f"{NS}.page") if pages > 1 else 1
    shown = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    st.dataframe(
        [
            {
                ui.tr("trace.col_title"): h["title"],
                ui.tr("col.domain"): h["domain"],
                ui.tr("trace.col_source"): h["source"],
                ui.tr("col.characters"): h["chars"],
            }
            for h in shown
        ],
        hide_index=True,
    )
    titles = {h["id"]: f"{h['title']} ({h['domain']})" for h in shown}
    chosen = st.selectbox(ui.tr("about.open"), list(titles), format_func=titles.get, key=f"{NS}.doc")
    text = ui.guarded(document_text, str(corpus), stamp, chosen) if chosen else None
    if text is None:
        return
    if len(text) > SHOW_CHARS:
        st.caption(ui.tr("about.long", shown=f"{SHOW_CHARS:,}", total=f"{len(text):,}"))
        text = text[:SHOW_CHARS]
    marks = []
    if query and query.strip():
        found_at = re.finditer(re.escape(query.strip()), text, re.IGNORECASE)
        marks = [(m.start(), m.end(), "#fde68a") for m, _ in zip(found_at, range(200), strict=False)]
    with st.container(border=True, height=400):
        st.html(ui_text.highlight_html(text, marks))


st.title("ℹ️ " + ui.tr("nav.about"))
cards()
browser()
