"""Teaching's place in a server's model slots (`glassbox.limits.teach_slot`): one teaching at a
time, and while it runs a page run still finds a model slot; and the allocator settings that give
a teaching's freed memory back (`glassbox.memory`)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from glassbox import limits, memory


def test_a_second_teaching_waits_while_page_runs_keep_a_slot():
    assert limits.MODEL_SLOTS >= 2 and limits.TEACH_SLOTS == 1  # the defaults this test is about
    first_in, second_in, release = threading.Event(), threading.Event(), threading.Event()

    def teaching(inside: threading.Event) -> None:
        with limits.teach_slot():
            inside.set()
            release.wait(10)

    threads = [threading.Thread(target=teaching, args=(e,)) for e in (first_in, second_in)]
    threads[0].start()
    assert first_in.wait(5)
    threads[1].start()
    assert not second_in.wait(0.3)  # in line behind the first teaching
    page_ran = threading.Event()

    def page_run() -> None:
        with limits.model_slot():
            page_ran.set()

    page = threading.Thread(target=page_run)
    page.start()
    assert page_ran.wait(5)  # a model slot was left for the others
    release.set()
    assert second_in.wait(5)
    for thread in (*threads, page):
        thread.join(5)


FREE_AND_MEASURE = """
import sys, torch
from glassbox import memory
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
if sys.argv[1] == "hold":
    memory.hold_less()
big = torch.ones(4 * 1024 * 1024)  # a 16 MB block, freed: glibc raises its mmap threshold past 1 MB
del big
before = rss()
blocks = [torch.ones(256, 1024) for _ in range(200)]  # 200 MB in 1 MB tensors
pin = torch.ones(256, 1024)  # still in use after them, as a taught model's weights would be
del blocks
freed = rss()
memory.release()
print(round(freed - before), round(rss() - before))
"""


def _freed_mb(mode: str) -> tuple[int, int]:
    """MB still resident after 200 MB of tensors are freed, then after `memory.release()`."""
    out = subprocess.run([sys.executable, "-c", FREE_AND_MEASURE, mode], capture_output=True, text=True, check=True)
    kept, released = out.stdout.split()
    return int(kept), int(released)


@pytest.mark.skipif(not memory._glibc(), reason="glibc's allocator only; elsewhere both are no-ops")
def test_freed_tensors_go_back_to_the_system():
    assert _freed_mb("hold")[0] < 50  # with hold_less, freeing returns them at once
    kept, released = _freed_mb("default")  # glibc's own policy keeps them, until release()
    assert kept > 150 and released < 50
