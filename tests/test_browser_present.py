"""Presenter mode on a projector-sized window (1400x900), and Korean line breaks, in Chromium.

For every lesson page, in English and Korean, with `?present=1`: walk the lesson part by part with
its Next button (pressing "Try this" where a part has one) and check, with the page scrolled to the
top as a presenter sees a new part, that the Next button is on screen and not covered, and that the
top of the tool's first chart (where the tool has one) is on screen beside the step, inside the
window's width. In Korean, no line of the lesson box ends inside a word; in both languages a long
unbroken run of text wraps inside the box instead of running past it.

Runs the site once for the module on the tiny test model and data (as tests/test_browser.py does).
Screenshots go to test-artifacts/screenshots/present-*.png for a person to judge the look; what
this file asserts is position and line breaking, not looks.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    SHOTS,
    chromium_browser,
    key_class,
    scroll_to_top,
    serve_site,
    server_errors,
    visible_problems,
)

from glassbox.i18n import t
from ui.browser import settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 1400, 900
CHART = '.st-key-tool [data-testid="stPlotlyChart"]'
SHOWN = 200  # px of a chart's top that must be on screen (its title and the first rows or bars)
NEEDS_CHART = {"experts", "watch_it_learn"}  # lessons whose tool always draws a chart on the first screen
# A tool drawn in parts (Training data) puts the part the step is about first: there that part's top
# must be in view, wherever in it its charts are.
FIRST_PART = ".st-key-tool [class*='st-key-part-']"


def lesson_pages() -> list[tuple[str, str, int]]:
    """(page url, lesson id, number of parts) for every lesson, as the site shows them one at a time:
    the introduction, each step, each prediction and the finish."""
    from glassbox.lessons import load_lessons
    from glassbox.site import PAGE, PAGES

    def url(key: str) -> str:  # the default page (Home) lives at the root
        return "" if PAGE[key] is PAGES[0] else PAGE[key].url

    return [
        (url(lesson.page), lesson.id, len(lesson.steps) + 2 + len(lesson.predictions)) for lesson in load_lessons("en")
    ]


PAGES = lesson_pages()


@pytest.fixture(scope="module")
def site(tiny_model_dir, site_data_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # one presenter walks every part: more than a learner's minute allows
        mp.setenv("GLASSBOX_REQUESTS_PER_MINUTE", "100000")
        served = serve_site(tiny_model_dir, site_data_dir, tmp_path_factory.mktemp("present-site"))
        base, log = next(served)
    try:
        yield base, log
    finally:
        served.close()  # stops the server


@pytest.fixture(scope="module")
def browser(site):
    yield from chromium_browser()



def open_page(browser, base: str, url: str, lang: str, present: bool = True):
    """A 1400x900 window on a lesson page (in presenter mode unless told), its run finished."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                  locale="ko-KR" if lang == "ko" else "en-US")  # fmt: skip
    page = context.new_page()
    page.goto(f"{base}/{url}?lang={lang}" + ("&present=1" if present else ""), wait_until="domcontentloaded")
    page.wait_for_selector(".st-key-step", timeout=120_000)
    settle(page)
    return context, page



# Where a line of text starts anew inside one block (a paragraph, a list item, a heading, a label),
# found from the positions of its characters (a Range per character): each break as the characters
# on both sides, whether whitespace came between them, and the text around it.
LINE_BREAKS_JS = r"""(root) => {
  const blockOf = (el) => {
    while (el && el !== root) {
      const d = getComputedStyle(el).display;
      if (d !== 'inline' && d !== 'contents') return el;
      el = el.parentElement;
    }
    return root;
  };
  const breaks = [];
  let lines = 0;
  for (const md of root.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
    const walker = document.createTreeWalker(md, NodeFilter.SHOW_TEXT);
    let prev = null, space = false, seen = '';
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const block = blockOf(node.parentElement);
      if (prev && prev.block !== block) { prev = null; seen = ''; }
      const text = node.data;
      for (let i = 0; i < text.length; ) {
        const cp = text.codePointAt(i), n = cp > 0xffff ? 2 : 1, ch = text.slice(i, i + n);
        i += n;
        if (/\s/.test(ch)) { space = true; seen += ' '; continue; }
        const range = document.createRange();
        range.setStart(node, i - n); range.setEnd(node, i);
        const rect = [...range.getClientRects()].find(r => r.width > 0 || r.height > 0);
        if (!rect) continue;
        if (prev && rect.top > prev.top + rect.height / 2) {
          lines += 1;
          breaks.push({before: prev.ch, after: ch, space, around: seen.slice(-12) + '|' + ch});
        }
        prev = {ch, top: rect.top, block};
        space = false;
        seen += ch;
      }
    }
  }
  return {breaks, lines};
}"""
LETTER = re.compile(r"[^\W_]")  # a letter or digit of any script


def breaks_inside_words(page, selector: str = ".st-key-step") -> tuple[list[str], int]:
    """(the line breaks in the box that fall between two letters with no space or punctuation
    between them, every line break counted)."""
    found = page.locator(selector).first.evaluate(LINE_BREAKS_JS)
    bad = [b["around"] for b in found["breaks"]
           if not b["space"] and LETTER.match(b["before"]) and LETTER.match(b["after"])]  # fmt: skip
    return bad, len(found["breaks"])


def on_screen(page, selector: str) -> tuple[dict | None, bool]:
    """(the element's box, whether its centre is the element itself or inside it, i.e. not covered)."""
    element = page.locator(selector).first
    box = element.bounding_box()
    if box is None:
        return None, False
    hit = element.evaluate(
        "(e, p) => { const h = document.elementFromPoint(p[0], p[1]); return !!h && (e === h || e.contains(h)); }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    return box, hit


def in_sight(page, element) -> tuple[dict, float]:
    """(the element's box, how many px of its height are in sight: inside the window and inside
    every box around it that clips what overflows it, such as a column that scrolls on its own)."""
    box = element.bounding_box()
    seen = element.evaluate("""e => {
        const r = e.getBoundingClientRect();
        let top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
        for (let p = e.parentElement; p; p = p.parentElement) {
            if (getComputedStyle(p).overflowY === 'visible') continue;
            const c = p.getBoundingClientRect();
            top = Math.max(top, c.top); bottom = Math.min(bottom, c.bottom);
        }
        return Math.max(0, bottom - top);
    }""")
    return box, seen


# Each lesson is walked in one language, the two taking turns down the list (walking all of them in
# both took five and a half minutes of the suite's twenty); each language still meets every kind of
# page and the lessons' own lengths, and tests/test_lesson_claims.py checks en and ko say the same.
WALKS = [(*page, ("en", "ko")[k % 2]) for k, page in enumerate(PAGES)]


@pytest.mark.parametrize(("url", "lesson_id", "parts", "lang"), WALKS, ids=[f"{p[1]}-{p[3]}" for p in WALKS])
def test_every_part_has_its_next_button_and_the_tools_first_chart_in_view(site, browser, url, lesson_id, parts, lang):
    """Presenter mode, 1400x900: walk every part of the lesson with Next. At each part (after its
    "Try this"), Next is on screen and not covered, and the first chart of the tool beside it (in a
    tool drawn in parts: the part the step is about) starts on screen with its top SHOWN px in sight,
    within the window's width; in Korean no line of the lesson box breaks inside a word."""
    base, log = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = open_page(browser, base, url, lang)
    following = f"{key_class(f'lesson.{lesson_id}.next')} button"
    seen_chart = False
    try:
        for part in range(1, parts + 1):
            where = f"{lesson_id} ({lang}) part {part} of {parts}"
            try_this = page.locator(f".st-key-step [class*='st-key-lesson-{lesson_id}-try'] button")
            if try_this.count():
                try_this.first.click()
                settle(page)
            scroll_to_top(page, 300)
            shown = page.locator(".st-key-step [data-testid='stCaptionContainer']").first.inner_text()
            assert shown == t("present.step", lang, n=part, total=parts), f"{where}: the box shows {shown!r}"
            box, uncovered = on_screen(page, following)
            assert box, f"{where}: no Next button"
            assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, f"{where}: Next button at {box}"
            assert uncovered, f"{where}: the Next button is covered by something drawn over it"
            first = page.locator(FIRST_PART)
            if first.count():  # a tool in parts draws the part the step is about first
                top, seen = in_sight(page, first.first)
                assert top["y"] >= 0 and seen >= min(top["height"], SHOWN), f"{where}: the tool's first part at {top}"
            chart = page.locator(CHART)
            if chart.count() and not first.count():
                seen_chart = True
                box, seen = in_sight(page, chart.first)
                assert box["y"] >= 0 and seen >= min(box["height"], SHOWN), \
                    f"{where}: only {seen:.0f} px of the tool's first chart in sight: {box}"
                assert box["x"] + box["width"] <= WIDTH, f"{where}: the chart runs past the window: {box}"
            if lang == "ko":
                bad, _ = breaks_inside_words(page)
                assert not bad, f"{where}: lines break inside words: {bad}"
            problems = visible_problems(page)
            assert not problems, f"{where}: {problems}; server: {server_errors(log)}"
            if part < parts:
                page.locator(following).click()
                settle(page)
        assert page.locator(following).is_disabled(), f"{lesson_id} ({lang}): more parts than the lesson has"
        if lesson_id in NEEDS_CHART:
            assert seen_chart, f"{lesson_id} ({lang}): the tool drew no chart"
    finally:
        try:  # the part the test ended on, passed or failed
            page.screenshot(path=str(SHOTS / f"present-{url or 'home'}-{lang}.png"))
        finally:
            context.close()


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presenter"])
def test_korean_lines_break_between_words_only(site, browser, present):
    """Korean lesson text on the Tokens page, normal and presenter mode, through its first parts:
    the lesson box has many line breaks and none falls between two letters of one word."""
    base, log = site
    context, page = open_page(browser, base, "tokens", "ko", present=present)
    following = f"{key_class('lesson.tokens.next')} button"
    try:
        lines = 0
        for _ in range(3):
            bad, count = breaks_inside_words(page)
            assert not bad, f"Korean lines break inside words: {bad}"
            lines += count
            page.locator(following).click()
            settle(page)
        assert lines > 10, f"only {lines} line breaks seen: the check saw too little text"
        assert page.locator(".st-key-step").evaluate("e => getComputedStyle(e).wordBreak") == "keep-all"
    finally:
        context.close()


LONG = "OutputStream" * 30  # one unbroken run, far wider than the lesson box


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_long_unbroken_run_wraps_inside_the_lesson_box(site, browser, lang):
    """A run of letters with no space, put into the lesson box's first paragraph, wraps onto several
    lines inside the box instead of running past its edge; English words elsewhere in the box are
    not split (English keeps the browser's own word breaking)."""
    base, log = site
    context, page = open_page(browser, base, "tokens", lang, present=False)
    try:
        if lang == "en":
            bad, count = breaks_inside_words(page)
            assert count > 5 and not bad, f"English lines break inside words: {bad}"
        lines = page.locator(".st-key-step [data-testid='stMarkdownContainer'] p").first.evaluate(
            """(p, text) => {
                const span = document.createElement('span');
                span.textContent = text;
                p.appendChild(span);
                const box = p.closest('.st-key-step').getBoundingClientRect();
                const rects = [...span.getClientRects()];
                const right = Math.max(...rects.map(r => r.right));
                return {lines: new Set(rects.map(r => Math.round(r.top))).size, right, edge: box.right};
            }""",
            LONG,
        )
        assert lines["lines"] > 3, f"the long run did not wrap: {lines}"
        assert lines["right"] <= lines["edge"], f"the long run runs past the lesson box: {lines}"
    finally:
        context.close()


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presenter"])
def test_checkpoint_cards_show_whole_titles_level_ticks_and_every_label(site, browser, present):
    """Watch it learn's checkpoint cards (Korean, the longer title): each card's chart shows its
    whole title inside the chart, its percentage ticks level (not rotated), and its token labels
    inside the chart, in normal and presenter mode."""
    base, log = site
    context, page = open_page(browser, base, "watch-it-learn", "ko", present=present)
    try:
        page.locator("[class*='st-key-watch-bars-'] [data-testid='stPlotlyChart'] .gtitle").first.wait_for(
            timeout=60_000)
        found = page.eval_on_selector_all(
            "[class*='st-key-watch-bars-'] [data-testid='stPlotlyChart']",
            """charts => charts.map(c => {
                const box = c.getBoundingClientRect(), title = c.querySelector('.gtitle');
                const inside = e => { const r = e.getBoundingClientRect();
                    return r.left >= box.left - 1 && r.right <= box.right + 1; };
                return {
                    title: title ? title.textContent : '',
                    titleInside: !!title && inside(title),
                    rotated: [...c.querySelectorAll('.xtick text')].some(
                        e => (e.getAttribute('transform') || '').includes('rotate')),
                    labelsInside: [...c.querySelectorAll('.ytick text')].every(inside),
                    labels: c.querySelectorAll('.ytick text').length,
                };
            })""",
        )
        assert len(found) >= 2, f"only {len(found)} checkpoint cards with a chart"
        for card in found:
            assert card["title"] and card["titleInside"], f"a card's title runs past its chart: {card}"
            assert not card["rotated"], f"a card's ticks are rotated: {card}"
            assert card["labels"] >= 2 and card["labelsInside"], f"a card's token labels are cut: {card}"
        assert not visible_problems(page), f"{visible_problems(page)}; server: {server_errors(log)}"
    finally:
        try:
            page.screenshot(path=str(SHOTS / f"present-cards-{'presenter' if present else 'normal'}.png"))
        finally:
            context.close()
