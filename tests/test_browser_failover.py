"""A replica dying under a learner's open page, in a real browser (Chromium) through the real
workshop set-up (the supervisor, nginx and 2 replicas on the test model): the page reconnects by
itself to the live replica, says the learner was moved, shows no error, keeps what the learner
had done, and its tool answers the next input there."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time

import pytest
from browser_helpers import visible_problems
from workshop_helpers import start_workshop, stop_workshop

from glassbox.i18n import t
from ui.browser import CHROMIUM, LAUNCH_ARGS, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def notebook_inputs(store) -> list[str]:
    """The inputs in every learner's kept lab notebook."""
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT data FROM progress").fetchall()
    return [entry["input"] for (data,) in rows for entry in json.loads(data).get("notebook", ())]


def type_text(page, text: str) -> None:
    box = page.locator(".st-key-tokens-text textarea")
    box.fill(text)
    box.press("Control+Enter")
    settle(page)


def token_count(page) -> int:
    """The page's "Tokens" figure."""
    return int(page.locator('[data-testid="stMetricValue"]').nth(2).inner_text())


@pytest.mark.timeout(300)
def test_a_learner_whose_replica_dies_is_moved_and_the_page_goes_on_working(tiny_model_dir, site_data_dir, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright
    from transformers import AutoTokenizer

    tokens = AutoTokenizer.from_pretrained(tiny_model_dir)
    before, after = "Before the replica stops.", "After the replica stopped, the page still works."
    workshop = start_workshop(tiny_model_dir, site_data_dir, tmp_path)
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
            answered_by: list[str] = []
            page.on("response", lambda r: answered_by.append(r.headers.get("x-glassbox-replica", "")))
            page.goto(f"{workshop.base}/tokens?lang=en")
            settle(page)
            type_text(page, before)
            assert token_count(page) == len(tokens.encode(before, add_special_tokens=False))
            assert before in notebook_inputs(workshop.folder / "glassbox.sqlite3")
            mine = next(a for a in reversed(answered_by) if a).split(", ")[-1]
            rows = json.loads((workshop.folder / "replicas.json").read_text(encoding="utf-8"))
            victim = next(r for r in rows if f"127.0.0.1:{r['port']}" == mine)
            os.kill(victim["pid"], signal.SIGKILL)

            killed_at = time.monotonic()
            toast = page.locator('[data-testid="stToast"]').filter(has_text=t("progress.moved", "en"))
            toast.wait_for(timeout=30_000)  # reconnected to the live replica, which ran the page
            print(f"moved notice after {time.monotonic() - killed_at:.1f} s")
            settle(page)
            assert not visible_problems(page), visible_problems(page)
            assert page.locator(".st-key-tokens-text textarea").input_value() == before

            type_text(page, after)
            assert token_count(page) == len(tokens.encode(after, add_special_tokens=False)), "no answer after the move"
            kept = notebook_inputs(workshop.folder / "glassbox.sqlite3")
            assert before in kept and after in kept
            assert not visible_problems(page), visible_problems(page)
            chromium.close()
    finally:
        stop_workshop(workshop)
