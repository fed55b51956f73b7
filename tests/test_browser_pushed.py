"""The "Which documents pushed this?" view in a real browser, in English and Korean, checked with axe.

The other browser tests run the site on a random model without checkpoints, where the view is only
an explanation. Here the site runs on the shipped Tiny OLMoE (`glassbox.paths.EMBEDDED_MODEL_DIR`:
checkpoints and a training log) and the small test data folder (a real index of a dozen documents,
so one attribution takes seconds). On Next token (1400x900) a prompt is typed, the bars revealed and
the button pressed; on Training data a text is typed, the button pressed and the second-to-last token
picked in the select. Each time: no exception or error box, no JavaScript error, the title for the
token explained, the chart, at least one passage card and both tabs, and axe's critical and serious
violations none, with the estimate's tab shown and again with BM25's selected; Korean pages show
Hangul in the view. Screenshots go to test-artifacts/screenshots/pushed-*.png.

Leaves out: whether the numbers are right (tests/test_pushed_page.py compares them with the core's
own run through AppTest) and how the view looks (the screenshots are for a person).
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    SHOTS,
    accessibility_barriers,
    chromium_browser,
    key_class,
    screenshot,
    serve_site,
    server_errors,
    visible_problems,
)

from glassbox.i18n import t
from glassbox.paths import EMBEDDED_MODEL_DIR
from ui.browser import settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HANGUL = re.compile(r"[\uac00-\ud7a3]")
TYPED = {"en": "The cat sat on the mat", "ko": "고양이가 창가에 앉아"}  # both in the test corpus
WAIT_MS = 300_000  # an attribution reads five checkpoints on a busy two-core machine
CHART = '[data-testid="stPlotlyChart"]'
STRAY = re.compile(r"⟨[0-9A-F]{2}( [0-9A-F]{2})*⟩")  # bytes shown as hex: no part of a training passage's text


@pytest.fixture(scope="module")
def site(site_data_dir, tmp_path_factory):
    assert (EMBEDDED_MODEL_DIR / "training_log.json").is_file() and (EMBEDDED_MODEL_DIR / "checkpoints").is_dir()
    yield from serve_site(EMBEDDED_MODEL_DIR, site_data_dir, tmp_path_factory.mktemp("pushed-site"))


@pytest.fixture(scope="module")
def browser(site):
    yield from chromium_browser()


def open_page(browser, base: str, url: str, lang: str):
    """A 1400x900 window on a page, its run finished: (context, page, JavaScript errors seen)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR" if lang == "ko" else "en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{base}/{url}?lang={lang}", wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stMain"]', timeout=120_000)
    settle(page)
    return context, page, errors


def type_into(page, key: str, text: str) -> None:
    box = page.locator(f"{key_class(key)} textarea")
    box.wait_for(timeout=60_000)
    box.fill(text)
    box.press("Control+Enter")
    settle(page)
    assert box.input_value() == text


def press(page, key: str) -> None:
    button = page.locator(f"{key_class(key)} button").first  # a button with help text holds two
    button.wait_for(timeout=120_000)
    button.click()
    settle(page, WAIT_MS)


def selected(page, key: str) -> str:
    """The text of the option a selectbox shows."""
    return page.locator(f'{key_class(key)} [role="combobox"]').input_value()


def check_view(page, ns: str, lang: str, token: str, log, errors: list[str], shot: str) -> None:
    """The view of `token`'s attribution is whole and in the learner's language, and axe finds no
    barrier in it with either tab shown."""
    title = t("pushed.title", lang, token=f"‘{token}’")
    heading = page.locator('[data-testid="stMain"] h3').filter(has_text=title)
    heading.first.wait_for(timeout=WAIT_MS)
    page.locator(f"{key_class(ns + '.pushed_chart')} {CHART}").wait_for(timeout=60_000)
    cards = page.locator(f"{key_class(ns + '.pushed_list')} .gb-text")
    cards.first.wait_for(timeout=60_000)
    assert heading.count() == 1, f"not one title {title!r}"
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    names = [tab.inner_text().strip() for tab in tabs.all()]
    mine, bm25 = t("pushed.by_gradient", lang), t("pushed.by_bm25", lang)
    assert mine in names and bm25 in names, names
    assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    assert not errors, f"JavaScript errors: {errors}"
    stray = [STRAY.findall(c) and c for c in page.locator(".gb-text").all_inner_texts()]
    assert not any(stray), f"a passage's text shows bytes: {[c for c in stray if c][:3]}"
    if lang == "ko":
        view = " ".join([heading.first.inner_text(), *names])  # the view's own words, not the passages'
        hangul = len(HANGUL.findall(view))
        assert hangul > 20, f"only {hangul} Hangul characters in the view: {view[:300]!r}"
    barriers = accessibility_barriers(page)
    assert not barriers, f"{ns} ({lang}), the estimate's tab: axe finds {barriers}"
    screenshot(page, SHOTS / f"{shot}.png")

    tabs.filter(has_text=bm25).first.click()
    neighbours = page.locator(f"{key_class(ns + '.bm25_list')}")
    neighbours.first.wait_for(state="visible", timeout=30_000)
    assert neighbours.locator(".gb-text").count() >= 1, f"BM25's tab has no passage: {neighbours.inner_text()[:300]}"
    barriers = accessibility_barriers(page)
    assert not barriers, f"{ns} ({lang}), BM25's tab: axe finds {barriers}"
    assert not visible_problems(page) and not errors, f"{visible_problems(page)}; {errors}"
    screenshot(page, SHOTS / f"{shot}-bm25.png")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_next_token_shows_which_documents_pushed_the_top_token(site, browser, lang):
    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page, errors = open_page(browser, base, "next-token", lang)
    try:
        type_into(page, "next.prompt", TYPED[lang])
        press(page, "next.reveal_button")
        page.wait_for_selector(CHART, timeout=60_000)  # the next-token bars
        press(page, "next.pushed")
        token = selected(page, "next.pushed_token")  # the most likely token, explained first
        assert token, "no token to explain in the select"
        check_view(page, "next", lang, token, log, errors, f"pushed-next-token-{lang}")
    finally:
        try:
            screenshot(page, SHOTS / f"pushed-next-token-{lang}-end.png")
        finally:
            context.close()


def test_training_data_explains_the_token_picked_in_the_select(site, browser):
    """The select lists the text's last tokens, the last first: the second option is the
    second-to-last token, and picking it redraws the view for it."""
    from glassbox.attribution.prepared import last_tokens
    from glassbox.model.loading import load_model

    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    lm = load_model(EMBEDDED_MODEL_DIR, device="cpu")
    text = TYPED["en"]
    last, second = (lm.token_bytes.readable(tok.id) for tok in last_tokens(lm, text)[:2])
    context, page, errors = open_page(browser, base, "training-data", "en")
    try:
        type_into(page, "trace.text", text)
        press(page, "trace.pushed")
        check_view(page, "trace", "en", last, log, errors, "pushed-training-data-en")

        page.locator(f'{key_class("trace.pushed_at")} [role="combobox"]').click()
        options = page.locator('[role="option"]')
        options.nth(1).wait_for(timeout=30_000)
        assert options.nth(1).inner_text().startswith(second), options.nth(1).inner_text()
        options.nth(1).click()
        settle(page, WAIT_MS)
        assert selected(page, "trace.pushed_at").startswith(second)
        tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
        tabs.filter(has_text=t("pushed.by_gradient", "en")).first.click()
        check_view(page, "trace", "en", second, log, errors, "pushed-training-data-second-en")
        old = page.locator('[data-testid="stMain"] h3').filter(has_text=t("pushed.title", "en", token=f"‘{last}’"))
        assert old.count() == 0, "the title of the last token is still shown"
    finally:
        try:
            screenshot(page, SHOTS / "pushed-training-data-en-end.png")
        finally:
            context.close()
