"""`python -m ui.offline OUT [--lang en,ko]`: the offline fallback for a class without a server.

It starts the site on the embedded model, opens every lesson in headless Chromium at 1400x900,
goes through it part by part, presses each step's "Try this", and saves a screenshot of every
part to OUT/<lang>/<lesson>-<part>.png; OUT/<lang>/expected.md lists what each step's example
shows on the shipped model (`glassbox lessons`, the claims measured). Nothing is written by hand,
so the pack always matches the model that ships. Needs Playwright (the test extra) and Chromium.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

from glassbox import paths
from glassbox.site import PAGES
from ui.browser import wait_healthy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chosen(lang: str, ids: tuple[str, ...] = ()) -> list:
    """The lessons in `lang`, in the manifest's order: all of them, or those whose ids are given."""
    from glassbox.lessons import load_lessons

    return [lesson for lesson in load_lessons(lang) if not ids or lesson.id in ids]


def expected_outputs(lang: str, measurer, ids: tuple[str, ...] = ()) -> str:
    """Markdown: every claim of every lesson in `lang` (or of those named), measured by `measurer`
    (one for all languages, which share their examples and so their measurements)."""
    from glassbox.lessons.claims import check_lesson

    lines = []
    for lesson in chosen(lang, ids):
        lines += [f"## {lesson.title}", ""]
        lines += [f"- {c.where} · {c.claim}: {c.measured}" for c in check_lesson(lesson, measurer)] or ["- —"]
        lines.append("")
    return "\n".join(lines)


def screenshots(base: str, out: Path, lang: str, ids: tuple[str, ...] = ()) -> int:
    """Every part of every lesson (or of those named), after its "Try this"; returns how many
    pictures were saved."""
    from playwright.sync_api import sync_playwright

    from ui.browser import CHROMIUM, LAUNCH_ARGS, settle

    saved = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for lesson in chosen(lang, ids):
            where = next(p for p in PAGES if p.key == lesson.page)
            url = "" if where is PAGES[0] else where.url  # the default page lives at the root
            page.goto(f"{base}/{url}?lang={lang}", wait_until="domcontentloaded")
            page.wait_for_selector(".st-key-step", timeout=120_000)
            settle(page)
            for part in range(1, len(lesson.steps) + 4):
                button = page.locator(".st-key-step button").filter(has_text=_try_words(lang))
                if button.count():
                    button.first.click()
                    settle(page)
                reveal = page.locator(".st-key-tool .st-key-next-reveal_button button")  # a guess-first tool
                if reveal.count():
                    reveal.click()
                    settle(page)
                page.screenshot(path=str(out / f"{lesson.id}-{part:02d}.png"))
                saved += 1
                following = page.locator(f".st-key-lesson-{lesson.id}-next button")
                if not following.count() or following.is_disabled():
                    break
                following.click()
                settle(page)
        browser.close()
    return saved


def _try_words(lang: str) -> str:
    from glassbox.i18n import t

    return t("lesson.try", lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.offline", description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder for the pack")
    parser.add_argument("--lang", default="en,ko", help="comma-separated languages (default: en,ko)")
    parser.add_argument("--lessons", default="", help="comma-separated lesson ids (default: every lesson)")
    args = parser.parse_args(argv)
    ids = tuple(x.strip() for x in args.lessons.split(",") if x.strip())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    options = ["--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1"]
    server = subprocess.Popen([sys.executable, "-m", "ui.launch", *options], cwd=paths.PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        from glassbox.lessons.claims import Measurer
        from glassbox.model.loading import load_model

        measurer = Measurer.on_site_data(load_model(paths.default_model_source()))
        wait_healthy(base, server, timeout=180)
        for lang in [x.strip() for x in args.lang.split(",") if x.strip()]:
            folder = Path(args.out) / lang
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "expected.md").write_text(expected_outputs(lang, measurer, ids), encoding="utf-8")
            print(f"{lang}: {screenshots(base, folder, lang, ids)} screenshots and expected.md in {folder}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
