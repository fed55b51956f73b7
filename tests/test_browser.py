"""The real site in a real browser: every page, in English and Korean, typed into and checked.

Starts `streamlit run app.py` on a free local port with the tiny test model and a small data
folder (corpus + infini-gram index), waits for `/_stcore/health`, then drives Debian's Chromium
through Playwright. On each page it types into the page's main text input, waits for the script to
finish, and checks: no exception box, no error message, the page's own elements, no raw HTML or
mojibake in the visible text, Hangul on Korean pages. Screenshots go to test-artifacts/screenshots/
for a person to look at. Layout and wording are judged there, not here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import (
    ROOT,
    SHOTS,
    accessibility_barriers,
    chromium_browser,
    key_class,
    screenshot,
    scroll_to_top,
    serve_site,
    server_errors,
    visible_problems,
)
from site_helpers import part_of

from ui.browser import CHROMIUM, LAUNCH_ARGS, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHART = '[data-testid="stPlotlyChart"]'
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True)
class PageCheck:
    name: str  # for test ids and screenshot names
    url: str  # the page's url_path in app.py ("" for the default page, which lives at the root)
    input_key: str | None  # widget key of the page's main text input (None: the page has none)
    expect: tuple[str, ...]  # CSS selectors that must be on the page after typing (and clicking)
    typed: tuple[str, str] = ("The cat sat on the mat", "고양이가 창가에 앉아")  # (en, ko); both in the corpus
    click_key: str | None = None  # a button pressed after typing, e.g. "reveal" on a predict-first page
    input_optional: bool = False  # the input is drawn only when what it needs exists (e.g. checkpoints)


HTML = '[data-testid="stMain"] [data-testid="stHtml"]'  # the page's own (the sidebar's cookie script is one too)
PAGES = (
    PageCheck("home", "", None, ('[data-testid="stMetric"]', '[data-testid="stPageLink"]')),
    PageCheck("tokens", "tokens", "tokens.text", (".gb-chips", CHART)),
    PageCheck("next-token", "next-token", "next.prompt", (CHART,), click_key="next.reveal_button"),
    PageCheck("experts", "experts", "experts.prompt", (CHART,)),
    PageCheck("training-data", "training-data", "trace.text", (HTML,)),
    PageCheck("teach", "teach", "teach.probe", (CHART,)),  # the shared model's bars for the probe
    PageCheck(
        "watch-it-learn",
        "watch-it-learn",
        "watch.prompt",
        ('[data-testid="stMarkdownContainer"]',),
        input_optional=True,
    ),
    PageCheck("playground", "playground", "playground.text", ('[data-testid="stTabs"]', ".gb-chips")),
    PageCheck("about", "about", "about.query", ('[data-testid="stDataFrame"]', HTML), typed=("lantern", "고양이")),
    PageCheck("teachers", "teachers", None, ('[data-testid="stMarkdownContainer"] table',)),
)


@pytest.fixture(scope="module")
def site(tiny_model_dir, site_data_dir, tmp_path_factory):
    for base, log in serve_site(tiny_model_dir, site_data_dir, tmp_path_factory.mktemp("site")):
        warm_up(base)
        yield base, log


def warm_up(base: str) -> None:
    """The first visit to a fresh server, straight onto a page other than Home (as a learner opening
    a shared link would): no "Page not found" dialog, no error. This also loads the model."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = chromium.new_page()
        page.goto(f"{base}/tokens", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(page)
        problems = visible_problems(page)
        chromium.close()
        assert not problems, f"first visit to a fresh server: {problems}"


@pytest.fixture(scope="module")
def browser(site):
    yield from chromium_browser()


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("check", PAGES, ids=[p.name for p in PAGES])
def test_page_in_browser(site, browser, check: PageCheck, lang: str):
    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="ko-KR" if lang == "ko" else "en-US")
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    try:
        page.goto(f"{base}/{check.url}?lang={lang}", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(page)
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
        box = page.locator(f"{key_class(check.input_key)} textarea, {key_class(check.input_key)} input")
        if check.input_key and (box.count() or not check.input_optional):
            box.first.wait_for(timeout=30_000)
            assert box.count() == 1, f"not one main text input with key {check.input_key!r} on {check.name}"
            box.fill(check.typed[lang == "ko"])
            box.press("Control+Enter" if box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
            settle(page)
            assert box.input_value() == check.typed[lang == "ko"]
            if check.click_key:
                page.locator(f"{key_class(check.click_key)} button").click()
                settle(page)
        for selector in check.expect:
            page.wait_for_selector(selector, timeout=30_000)
        problems = visible_problems(page)
        assert not problems, f"{check.name} ({lang}): {problems}; server: {server_errors(log)}"
        assert not page_errors, f"{check.name} ({lang}) JavaScript errors: {page_errors}"
        barriers = accessibility_barriers(page)
        assert not barriers, f"{check.name} ({lang}): axe finds {barriers}"
        main_text = page.locator('[data-testid="stMain"]').inner_text()
        if lang == "ko":
            hangul = len(HANGUL.findall(main_text))
            assert hangul > 20, f"{check.name}: only {hangul} Hangul characters on the Korean page"
        assert "Ġ" not in main_text
    finally:
        try:  # a picture of the page as the test left it, passed or failed
            screenshot(page, SHOTS / f"{check.name}-{lang}.png")
        finally:
            context.close()


def test_shared_link_opens_presenter_view_without_running_injected_markup(site, browser):
    """A link with presenter mode, settings and an injection attempt in the prompt: the view opens
    as linked, the prompt is shown as text, and nothing in it runs."""
    from urllib.parse import quote

    base, log = site
    prompt = '<img src=x onerror="window.__injected=1">**bold** [link](javascript:alert(1))'
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{base}/next-token?lang=en&present=1&next.temperature=0.3&next.prompt={quote(prompt)}&lock=prompt")
        page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(page)
        box = page.locator(f"{key_class('next.prompt')} textarea")
        assert box.input_value() == prompt and box.is_disabled()  # the linked text, locked
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator(key_class("frame.present_exit")).is_visible()
        assert page.evaluate("() => window.__injected") is None
        assert page.locator('img[src="x"]').count() == 0
        assert "step=1" in page.url and "next.temperature=0.3" in page.url
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    finally:
        try:
            screenshot(page, SHOTS / "presenter-link.png")
        finally:
            context.close()


def test_the_url_follows_the_widgets_and_the_share_link_opens_the_same_view(site, browser):
    """The widgets are bound to the URL: a link sets them, a bad value in it is refused with a
    message, a slider moved writes the URL, the share link carries what is shown, and that link
    opens the same view in a new session; another page leaves this page's settings behind."""
    base, log = site
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()

    def thumb(key: str):
        return page.locator(f"{key_class(key)} input[type=range]")

    try:
        page.goto(f"{base}/next-token?lang=en&next.temperature=0.4&next.top_k=5&next.top_p=wide")
        page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(page)
        assert thumb("next.temperature").input_value() == "0.4" and thumb("next.top_k").input_value() == "5"
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="next.top_p")
        assert alert.count() == 1 and "wide" in alert.inner_text()  # refused, saying which and why
        assert thumb("next.top_p").input_value() == "1"
        page.wait_for_function("() => !location.search.includes('top_p')", timeout=30_000)

        thumb("next.temperature").focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")  # 0.4 -> 0.6 in steps of 0.05
        page.wait_for_function("() => location.search.includes('next.temperature=0.6')", timeout=30_000)
        settle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Share this view").click()
        page.locator(f"{key_class('share.make')} button").click()
        settle(page)
        link = sidebar.locator('[data-testid="stCode"]').inner_text().strip()
        assert "next.temperature=0.6" in link and "next.top_k=5" in link and "top_p" not in link, link

        other = context.new_page()  # the link in a new session
        other.goto(link)
        other.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(other)
        assert other.locator(f"{key_class('next.temperature')} input[type=range]").input_value() == "0.6"
        assert other.locator(f"{key_class('next.top_k')} input[type=range]").input_value() == "5"
        assert not other.locator('[data-testid="stAlert"]').filter(has_text="link").count()
        other.close()

        sidebar.get_by_role("link", name="Tokens", exact=True).click()
        page.wait_for_function("() => location.pathname.endsWith('/tokens')", timeout=30_000)
        settle(page)
        assert "next." not in page.url and "lang=en" in page.url, page.url
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    finally:
        context.close()


def test_a_tool_rerun_keeps_the_link_the_language_and_the_notebook_current(site, browser):
    """Typing a prompt reruns the page's tool alone: the URL, the share link and the lab notebook
    must still follow it, and the tool must stay in the learner's language."""
    from urllib.parse import quote

    base, log = site
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="ko-KR", accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/experts?lang=ko", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
        settle(page)
        box = page.locator(f"{key_class('experts.prompt')} textarea")
        box.fill("Whales sing under the ice")
        box.press("Control+Enter")
        settle(page)
        wanted = quote("Whales sing under the ice")
        page.wait_for_function(  # the URL is written once the tool's rerun ends: wait for it, however slow
            "w => location.href.replace(/\\+/g, '%20').includes('prompt=' + w)", arg=wanted, timeout=60_000
        )
        assert "lang=ko" in page.url
        header = page.locator('[data-testid="stMain"] h2').filter(has_text="전문가").count()
        assert header, "the tool's header is not in Korean after it reran"
        settle(page)  # whatever the URL write started has finished before the link is asked for
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("이 화면 공유하기").click()
        page.locator(f"{key_class('share.make')} button").click()
        settle(page)
        code = sidebar.locator('[data-testid="stCode"]').inner_text()
        assert "Whales" in code and "experts" in code, code
        sidebar.get_by_text("실험 노트").click()
        with page.expect_download(timeout=30_000) as download:
            page.locator(f"{key_class('notebook.download_md')} button").click()
        notes = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Whales sing under the ice" in notes
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    finally:
        try:
            screenshot(page, SHOTS / "tool-rerun-ko.png")
        finally:
            context.close()


def open_lesson_page(browser, base: str, url: str, lang: str):
    """A 1400x900 window on a lesson page, its step box drawn and the run finished: (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR" if lang == "ko" else "en-US")
    page = context.new_page()
    page.goto(f"{base}/{url}?lang={lang}", wait_until="domcontentloaded")
    page.wait_for_selector(".st-key-step", timeout=60_000)
    settle(page)
    return context, page



# (page url, its lesson, the tool's main output, a button pressed before it shows)
LESSON_TOOLS = (
    ("tokens", "tokens", ".gb-chips", None),
    ("next-token", "next_token", CHART, "next.reveal_button"),
    ("experts", "experts", CHART, None),
    ("training-data", "training_data", ".gb-chips, " + HTML, None),
    ("watch-it-learn", "watch_it_learn", CHART + ', [data-testid="stAlert"]', None),
)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(("url", "lesson_id", "output", "press"), LESSON_TOOLS, ids=[t[0] for t in LESSON_TOOLS])
def test_the_step_and_its_tool_are_in_view_together(site, browser, url, lesson_id, output, press, lang):
    """At 1400x900, the lesson's current step (its box keyed `step`) and the top of the tool's main
    output (in the box keyed `tool`) are both on screen without scrolling, after "Try this"."""
    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_lesson_page(browser, base, url, lang)
    try:
        try_this = page.locator(f".st-key-step {key_class(f'lesson.{lesson_id}.try1')} button")
        for _ in range(3):  # past the introduction (and a prediction that comes first) to step 1
            if try_this.count():
                break
            page.locator(f"{key_class(f'lesson.{lesson_id}.next')} button").click()
            settle(page)
        try_this.click()
        settle(page)
        if press:
            page.locator(f"{key_class(press)} button").click()
            settle(page)
        page.locator(f".st-key-tool :is({output})").first.wait_for(timeout=30_000)
        scroll_to_top(page)
        step = page.locator(".st-key-step").bounding_box()
        shown = page.locator(f".st-key-tool :is({output})").first.bounding_box()
        assert step and shown, f"{url} ({lang}): no step box or no tool output"
        assert step["y"] >= 0 and step["y"] + step["height"] <= 900, f"{url} ({lang}): step box {step}"
        assert 0 <= shown["y"] and shown["y"] + min(shown["height"], 150) <= 900, f"{url} ({lang}): output {shown}"
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    finally:
        try:
            page.screenshot(path=str(SHOTS / f"step-and-tool-{url}-{lang}.png"))
        finally:
            context.close()


def lesson_parts(lesson_id: str) -> list[tuple[str, int | None, str | None]]:
    """The lesson's one-part-at-a-time view in order, after the introduction (where `part_of` puts
    each): (what, step number or None for a prediction, the tool part it is about)."""
    from glassbox.lessons import load_lessons

    lesson = next(le for le in load_lessons("en") if le.id == lesson_id)
    shown = [(part_of(lesson_id, i), f"step {i}", i, step.focus) for i, step in enumerate(lesson.steps, start=1)]
    shown += [
        (part_of(lesson_id, predict=n), f"prediction {n}", None, p.focus)
        for n, p in enumerate(lesson.predictions, start=1)
    ]
    return [(what, number, focus) for _, what, number, focus in sorted(shown, key=lambda s: s[0])]


@pytest.mark.parametrize("lang", ["ko"])
def test_every_training_data_step_shows_the_part_it_is_about_beside_it(site, browser, lang):
    """Walk the Training data lesson one part at a time at 1400x900: after "Try this", the step box
    is on screen, the part of the tool the step names (`focus:`) is the tool's first part, and, when
    it has something drawn, its top is on screen too (no scrolling). In Korean: the English lesson's
    every part is walked in presenter mode (test_browser_present's WALKS), 30 s a language."""
    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_lesson_page(browser, base, "training-data", lang)
    next_button = page.locator(f"{key_class('lesson.training_data.next')} button")
    try:
        for what, number, focus in lesson_parts("training_data"):
            next_button.click()
            settle(page)
            if number is not None:
                page.locator(f".st-key-step {key_class(f'lesson.training_data.try{number}')} button").click()
                settle(page)
            scroll_to_top(page)
            step = page.locator(".st-key-step").bounding_box()
            assert step and step["y"] >= 0 and step["y"] < 900, f"{what} ({lang}): step box {step}"
            order = page.eval_on_selector_all(
                ".st-key-tool [class*='st-key-part-']",
                "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-part-')))",
            )
            assert order, f"{what} ({lang}): the tool has no parts"
            assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
            if focus is None:
                continue
            assert order[0] == f"st-key-part-{focus}", f"{what} ({lang}): parts in order {order}"
            drawn = page.locator(f".st-key-tool .st-key-part-{focus}").bounding_box()
            if drawn and drawn["height"] > 0:
                assert 0 <= drawn["y"] < 900, f"{what} ({lang}): part {focus} at {drawn}"
    finally:
        try:
            page.screenshot(path=str(SHOTS / f"training-data-last-step-{lang}.png"))
        finally:
            context.close()


PACK_LESSONS = ("next_token",)


def test_the_offline_pack_has_every_part_of_every_lesson_it_is_given(tiny_model_dir, site_data_dir, tmp_path):
    """`python -m ui.offline` (for a class without a server): a screenshot of every part of every
    lesson and the expected outputs, from the site's own model (run as a command, as a teacher
    runs it; it drives its own browser)."""
    from glassbox.lessons import load_lessons

    if not CHROMIUM.exists():
        pytest.skip(f"!!! OFFLINE PACK NOT CHECKED: no Chromium at {CHROMIUM} !!!")
    env = {**os.environ, "GLASSBOX_MODEL": str(tiny_model_dir), "GLASSBOX_DATA": str(site_data_dir),
           "HF_HUB_OFFLINE": "1"}
    # one lesson, not all seven (each part of every lesson costs a browser page; the lesson claims
    # of all of them are measured by test_lesson_claims): the one with a guess to reveal
    done = subprocess.run([sys.executable, "-m", "ui.offline", str(tmp_path), "--lang", "ko", "--lessons",
                           ",".join(PACK_LESSONS)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lessons = [le for le in load_lessons("ko") if le.id in PACK_LESSONS]
    pictures = sorted(p.name for p in (tmp_path / "ko").glob("*.png"))
    assert pictures == sorted(f"{le.id}-{part:02d}.png" for le in lessons for part in range(1, len(le.steps) + 4))
    expected = (tmp_path / "ko" / "expected.md").read_text(encoding="utf-8")
    assert [line for line in expected.splitlines() if line.startswith("## ")] == [f"## {le.title}" for le in lessons]
    claims = [line for line in expected.splitlines() if line.startswith("- ")]
    assert len(claims) == sum(len(s.expect) for le in lessons for s in (*le.steps, *le.predictions)) > 0


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_lesson_goes_by_keyboard_alone_with_a_visible_focus(site, browser, lang):
    """Tab reaches the lesson's Next button, which shows where the focus is, and Enter turns the part."""
    base, log = site
    context, page = open_lesson_page(browser, base, "tokens", lang)
    try:
        following = page.locator(f"{key_class('lesson.tokens.next')} button")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for _ in range(80):  # through the sidebar and the page, as a keyboard user would
            page.keyboard.press("Tab")
            if following.evaluate("b => b === document.activeElement"):
                break
        assert following.evaluate("b => b === document.activeElement"), "Tab never reached the Next button"
        ring = following.evaluate(
            "b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
        assert ring[0] != "none" and ring[1] != "0px" or ring[2] != "none", f"no visible focus: {ring}"
        page.keyboard.press("Enter")
        settle(page)
        step_text = page.locator(".st-key-step").inner_text()
        from glassbox.lessons import lesson_for_page

        assert lesson_for_page("tokens", lang).steps[0].title in step_text  # part 2: the first step
    finally:
        context.close()
