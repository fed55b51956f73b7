"""A learner's progress in a real browser (Chromium) against real servers: a lesson marked done
and a quiz answer survive a reload, closing the tab and opening the site again in the same browser,
and the server being stopped and started again (as the workshop supervisor restarts a replica).
Another browser (no cookie) starts at zero, and "Forget me" starts this one afresh."""

from __future__ import annotations

import subprocess

import pytest
from browser_helpers import SHOTS, free_port, snapshot_site, start_site, visible_problems

from glassbox.i18n import t
from glassbox.lessons import load_lessons
from ui.browser import CHROMIUM, LAUNCH_ARGS, settle, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LESSON = "tokens"


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def open_site(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    settle(page)


def test_progress_survives_reload_tab_close_and_server_restart(tiny_model_dir, site_data_dir, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    total = len(load_lessons("en"))
    one_done = t("frame.progress_text", "en", done=1, total=total)
    none_done = t("frame.progress_text", "en", done=0, total=total)
    port, app = free_port(), snapshot_site(tmp_path / "app")
    base = f"http://127.0.0.1:{port}"
    server = start_site(tiny_model_dir, site_data_dir, port, tmp_path / "first.log", cwd=app)
    try:
        wait_healthy(base, server, tmp_path / "first.log")
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            context = chromium.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            open_site(page, f"{base}/tokens")
            assert none_done in sidebar_text(page)
            while not page.locator(f".st-key-lesson-{LESSON}-done button").count():
                page.locator(f".st-key-lesson-{LESSON}-next button").click()
                settle(page)
            page.locator(f'.st-key-lesson-{LESSON}-q0 [data-testid="stRadioOption"]').nth(1).click()  # a quiz answer
            settle(page)
            page.locator(f".st-key-lesson-{LESSON}-done button").click()
            settle(page)
            assert one_done in sidebar_text(page)
            assert any(c["name"] == "glassbox_learner" for c in context.cookies())

            page.reload(wait_until="domcontentloaded")
            settle(page)
            assert one_done in sidebar_text(page), "a reload lost the learner's progress"

            page.close()  # the tab closed; later, the same browser opens the site again
            page = context.new_page()
            open_site(page, base)
            assert one_done in sidebar_text(page), "closing the tab lost the learner's progress"

            stop(server)  # the server goes and comes back on the same port, as a restarted replica
            server = start_site(tiny_model_dir, site_data_dir, port, tmp_path / "second.log", cwd=app)
            wait_healthy(base, server, tmp_path / "second.log")
            open_site(page, f"{base}/tokens?step=99")
            assert one_done in sidebar_text(page), "a server restart lost the learner's progress"
            while not page.locator(f".st-key-lesson-{LESSON}-done").count() and not page.get_by_text(
                t("lesson.is_done", "en")).count():
                page.locator(f".st-key-lesson-{LESSON}-next button").click()
                settle(page)
            checked = page.locator(f'.st-key-lesson-{LESSON}-q0 [data-testid="stRadioOption"] input').nth(1)
            assert checked.is_checked(), "the quiz answer did not come back"
            page.screenshot(path=str(SHOTS / "progress-kept-en.png"))
            assert not visible_problems(page)

            stranger = chromium.new_context().new_page()  # another browser: nothing of this learner
            open_site(stranger, base)
            assert none_done in sidebar_text(stranger)

            page.locator(".st-key-progress-forget").get_by_role("button", name=t("progress.forget", "en")).click()
            settle(page)
            assert none_done in sidebar_text(page)
            page.reload(wait_until="domcontentloaded")
            settle(page)
            assert none_done in sidebar_text(page), "Forget me did not forget"
            chromium.close()
    finally:
        stop(server)
