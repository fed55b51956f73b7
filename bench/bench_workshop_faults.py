"""Workshop faults and the class poll under load: a replica killed mid-run, 100 learners answering at once.

Both runs use `./run workshop --replicas 2` (nginx in front, supervised; bench/workshop_farm.py)
with the shipped model, a class opened in the run's own store, and learners that join it with
`?class=CODE`, each with its own route and learner cookies, speaking Streamlit's protocol
(bench/workshop_client.py).

Fault run (`--learners`, default 40, for `--seconds`): each learner goes through the lessons in
order; on each it opens the lesson at its prediction, gives a guess (stored for the class), and
does a step or two with the page's tool. At `--kill-at` seconds the replica with the most learners
is killed with SIGKILL, as a crash would. A learner notices a dropped connection at once, as a
browser does, and reloads after 0.5 s; nginx sends it to the live replica. Counted: errors of
learners on the other replica (target 0); for learners on the killed one, seconds from the kill
until a page run finished on a live replica (target ≤ 10 s), and whether the "moved to another
server" notice showed; poll answers in the store just before the kill that are gone after the run,
and answers the site took (no problem, no refusal) that are not in the store (target 0 and 0).

Poll load run (`--poll-learners`, default 100): every learner joins and opens Next token at its
prediction; then all give their guess at the same moment. Counted: errors, the answering runs'
p50/p95, answers in the store and in the teacher's tally (target: all of them), how long the tally
took to show them all; then the teacher reveals, and each learner, waiting with the page's 2 s
timer running as a browser's would, sees the answer: seconds from reveal to seen (p50/p95/max).

Usage: python bench/bench_workshop_faults.py [--learners 40] [--seconds 60] [--kill-at 25]
                                             [--poll-learners 100] [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_workshop import ACTIONS, RUN_TIMEOUT_S, learner_cookies, percentile, warm_up, widget_value  # noqa: E402
from workshop_client import RunResult, Session, SessionError  # noqa: E402
from workshop_farm import Farm, RssSampler  # noqa: E402

from glassbox import i18n, lessons, paths, site  # noqa: E402
from glassbox.workshop import classroom  # noqa: E402
from glassbox.workshop.store import SQLiteStore  # noqa: E402

BACK_WITHIN_S = 10.0
RELOAD_AFTER_S = 0.5  # a browser's first reconnect attempt comes about this soon
REFUSED = i18n.t("classroom.refused_too_fast", "en")
MOVED = i18n.t("progress.moved", "en")
SEEN = (i18n.t("lesson.guess_right", "en"), i18n.t("lesson.guess_wrong", "en", answer="").split("“")[0])


@dataclass(frozen=True)
class Prediction:
    """Where a lesson's prediction is: the page's URL, the lesson section (for `?step=`), the radio."""

    lesson: str
    url: str
    section: int
    choices: tuple[str, ...]  # as the radio shows them (English), which is what a browser sends

    @property
    def key(self) -> str:
        return f"lesson.{self.lesson}.predict"


def predictions() -> list[Prediction]:
    """Every lesson's first prediction, in lesson order (intro is section 1, then steps and predictions)."""
    found = []
    for lesson in lessons.load_lessons("en"):
        if lesson.predict is not None and lesson.page != site.PAGES[0].key:  # (Home opens on its own, no ?step)
            section = lesson.sections.index(("predict", 1)) + 2
            found.append(Prediction(lesson.id, site.PAGE[lesson.page].url, section, tuple(lesson.predict.choices)))
    return found


def answers_in(store_path: Path, code: str) -> set[tuple[str, str]]:
    """(question, learner) of every answer kept for the class, read straight from the file."""
    with sqlite3.connect(store_path, timeout=30) as db:
        return set(db.execute("SELECT question, learner FROM answers WHERE code = ?", (code,)).fetchall())


@dataclass
class FaultRun:
    learners: int
    errors: dict[int, list[str]] = field(default_factory=dict)  # learner → problems seen
    replica_at_kill: dict[int, str] = field(default_factory=dict)  # learner → replica it was on
    current: dict[int, str] = field(default_factory=dict)  # learner → replica it is on now
    broken_at: dict[int, float] = field(default_factory=dict)  # learner → when its connection broke
    back_after: dict[int, float] = field(default_factory=dict)  # learner → seconds from kill to a finished run
    moved_notice: set[int] = field(default_factory=set)
    acked: set[tuple[str, str]] = field(default_factory=set)  # answers the site took without complaint
    latencies: list[float] = field(default_factory=list)
    killed_at: float | None = None

    def record(self, learner: int, result: RunResult) -> None:
        self.latencies.append(result.seconds)
        self.errors.setdefault(learner, []).extend(result.problems)
        if self.killed_at is not None and learner in self.broken_at and learner not in self.back_after:
            if not result.problems:
                self.back_after[learner] = time.monotonic() - self.killed_at
            if any(n.startswith("toast: ") and MOVED in n for n in result.notices):
                self.moved_notice.add(learner)


async def fault_learner(index: int, farm: Farm, code: str, seed: int, deadline: float, run: FaultRun,
                        path: list[Prediction]) -> None:
    rng = random.Random(f"fault/{seed}/{index}")
    cookies = learner_cookies(seed, "fault", index)
    step, lesson_at = 0, 0
    await asyncio.sleep(10.0 * index / run.learners)
    while time.monotonic() < deadline:
        session = Session(farm.port, RUN_TIMEOUT_S, cookies, query_string=f"class={code}")
        try:
            await session.open()
            run.current[index] = session.replica
            run.record(index, await session.visit(""))
            while time.monotonic() < deadline:
                here = path[lesson_at % len(path)]
                session.query_string = f"step={here.section}"  # opens the lesson at its prediction
                run.record(index, await session.visit(here.url))
                await session.idle(rng.uniform(2, 5))
                result = await session.set_widget(here.key, rng.choice(here.choices))
                run.record(index, result)
                if not result.problems and not any(REFUSED in n for n in result.notices):
                    run.acked.add((classroom.predict_question(here.lesson), cookies["glassbox_learner"]))
                for _ in range(rng.randint(1, 2)):
                    tools = [a for a in ACTIONS if a[1] == here.url and a[2] in session.widget_ids]
                    if not tools or time.monotonic() >= deadline:
                        break
                    await session.idle(rng.uniform(2, 5))
                    name, _, key = rng.choice(tools)
                    step += 1
                    run.record(index, await session.set_widget(key, widget_value(rng, index, step, key)))
                lesson_at += 1
                await session.idle(rng.uniform(2, 5))
        except SessionError as err:
            if run.killed_at is not None and run.replica_at_kill.get(index) == run.current.get(index):
                run.broken_at.setdefault(index, time.monotonic())  # the replica it was on died: reload
            else:
                run.errors.setdefault(index, []).append(str(err))
            await asyncio.sleep(RELOAD_AFTER_S)
        finally:
            await session.close()


async def drive_faults(farm: Farm, code: str, args, run: FaultRun) -> dict:
    start = time.monotonic()
    deadline = start + args.seconds
    path = predictions()
    tasks = [asyncio.create_task(fault_learner(i, farm, code, args.seed, deadline, run, path))
             for i in range(run.learners)]
    await asyncio.sleep(args.kill_at)
    counts = dict(collections.Counter(run.current.values()))
    victim = max(counts, key=counts.get)
    before = answers_in(farm.store_path, code)
    run.replica_at_kill = dict(run.current)
    run.killed_at = time.monotonic()
    row = farm.kill(victim)
    done, pending = await asyncio.wait(tasks, timeout=args.seconds + RUN_TIMEOUT_S + 10)
    for task in pending:
        task.cancel()
    restarted = f"replica {row['replica']} restarted" in farm.supervisor_log()
    return {"victim": victim, "learners_per_replica_at_kill": counts, "answers_before_kill": before,
            "restarted": restarted, "stuck_learners": len(pending),
            "crashed": [repr(t.exception()) for t in done if t.exception() is not None]}


@contextlib.contextmanager
def class_farm(work: Path) -> Iterator[tuple[Farm, str, RssSampler]]:
    """Two replicas behind nginx, each warmed up, a class open in their store, and the server's
    memory sampled until the block ends."""
    with Farm(2, work, Path(paths.default_model_source()), paths.data_dir()) as farm:
        for port in farm.replica_ports():
            asyncio.run(warm_up(port, level=_Sink()))
        code = SQLiteStore(farm.store_path).open_class().code
        sampler = RssSampler(farm.pid)
        sampler.start()
        try:
            yield farm, code, sampler
        finally:
            sampler.done.set()


def fault_run(args, work: Path) -> dict:
    run = FaultRun(args.learners)
    with class_farm(work) as (farm, code, sampler):
        facts = asyncio.run(drive_faults(farm, code, args, run))
        after = answers_in(farm.store_path, code)
        facts["server_log"] = farm.last_error()
    on_victim = sorted(i for i, r in run.replica_at_kill.items() if r == facts["victim"])
    others = sorted(i for i in run.replica_at_kill if i not in on_victim)
    outside_errors = [f"learner {i}: {e}" for i in others for e in run.errors.get(i, [])]
    victim_errors = [f"learner {i}: {e}" for i in on_victim for e in run.errors.get(i, [])]
    back = [run.back_after.get(i) for i in on_victim if i in run.broken_at]
    lost_before = facts["answers_before_kill"] - after
    lost_acked = run.acked - after
    ok = (not outside_errors and not facts["stuck_learners"] and back and all(b is not None and b <= BACK_WITHIN_S
          for b in back) and not lost_before and not lost_acked and facts["restarted"])  # fmt: skip
    return {
        "learners": args.learners, "seconds": args.seconds, "kill_at_s": args.kill_at,
        "learners_per_replica_at_kill": facts["learners_per_replica_at_kill"], "killed": facts["victim"],
        "errors_outside_killed_replica": len(outside_errors), "error_samples_outside": outside_errors[:10],
        "learners_on_killed_replica": len(on_victim), "of_them_broken": len(back),
        "errors_on_killed_replica_after_reload": len(victim_errors), "error_samples_killed": victim_errors[:10],
        "back_after_s": {"max": max((b for b in back if b is not None), default=None),
                         "p50": statistics.median([b for b in back if b is not None]) if any(back) else None,
                         "never_back": sum(b is None for b in back)},
        "moved_notice_shown": len(run.moved_notice & set(on_victim)),
        "answers_before_kill": len(facts["answers_before_kill"]), "answers_after": len(after),
        "lost_from_before_kill": len(lost_before), "answers_taken": len(run.acked), "taken_but_lost": len(lost_acked),
        "killed_replica_restarted": facts["restarted"], "stuck_learners": facts["stuck_learners"],
        "crashed": facts["crashed"], "runs": len(run.latencies),
        "p50_s": statistics.median(run.latencies) if run.latencies else None,
        "p95_s": percentile(run.latencies, 0.95), "peak_rss_mb": round(sampler.peak, 1), "pass": bool(ok),
        "server_log_error": facts["server_log"],
    }


class _Sink:
    """Where warm-up puts its problems when no Level collects them."""

    def __init__(self) -> None:
        self.errors: list[str] = []


async def poll_learner(index: int, farm: Farm, code: str, seed: int, here: Prediction, go: asyncio.Event,
                       revealed: asyncio.Event, out: dict) -> None:
    """Join, open Next token at its prediction, wait for `go`, guess, then wait (timer running) for the reveal."""
    cookies = learner_cookies(seed, "poll", index)
    session = Session(farm.port, RUN_TIMEOUT_S, cookies, query_string=f"class={code}")
    problems: list[str] = []
    try:
        await asyncio.sleep(20.0 * index / out["learners"])
        await session.open()
        problems += (await session.visit("")).problems
        session.query_string = f"step={here.section}"
        problems += (await session.visit(here.url)).problems
        out["ready"] += 1
        await go.wait()
        result = await session.set_widget(here.key, here.choices[index % len(here.choices)])
        problems += result.problems
        out["answer_s"].append(result.seconds)
        if not result.problems and not any(REFUSED in n for n in result.notices):
            out["taken"].add(cookies["glassbox_learner"])
        while not revealed.is_set():  # the page's own timer: nothing is asked of the server yet
            await asyncio.sleep(0.1)
        while True:
            for result in await session.tick():
                problems += result.problems
                if any(text in n for n in result.notices for text in SEEN):
                    out["seen_after_s"].append(time.monotonic() - out["revealed_at"])
                    return
            if not session.auto_reruns:
                problems.append("no timer on the page to wait for the reveal with")
                return
            if time.monotonic() - out["revealed_at"] > 30:
                problems.append("the reveal did not show within 30 s")
                return
            await asyncio.sleep(min(session.auto_reruns.values()))
    except SessionError as err:
        problems.append(str(err))
    finally:
        out["errors"] += [f"learner {index}: {p}" for p in problems]
        await session.close()


async def drive_poll(farm: Farm, code: str, args, out: dict) -> None:
    here = next(p for p in predictions() if p.url == site.PAGE["next_token"].url)
    store = SQLiteStore(farm.store_path)
    question = classroom.predict_question(here.lesson)
    go, revealed = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(poll_learner(i, farm, code, args.seed, here, go, revealed, out))
             for i in range(args.poll_learners)]
    started = time.monotonic()
    while out["ready"] < args.poll_learners and time.monotonic() - started < 120 and not all(t.done() for t in tasks):
        await asyncio.sleep(0.2)
    out["joined"] = out["ready"]
    go_at = time.monotonic()
    go.set()
    while sum(store.tally(code, question).values()) < out["ready"] and time.monotonic() - go_at < 60:
        await asyncio.sleep(0.1)
    out["tally_complete_after_s"] = round(time.monotonic() - go_at, 2)
    await asyncio.sleep(1.0)  # late answers would show here
    out["tally"] = store.tally(code, question)
    store.reveal(code, question)
    out["revealed_at"] = time.monotonic()
    revealed.set()
    await asyncio.wait(tasks, timeout=90)
    out["question"] = question


def poll_run(args, work: Path) -> dict:
    out: dict = {"learners": args.poll_learners, "ready": 0, "answer_s": [], "taken": set(), "errors": [],
                 "seen_after_s": []}
    with class_farm(work) as (farm, code, sampler):
        asyncio.run(drive_poll(farm, code, args, out))
        out["server_log"] = farm.last_error()
        kept = {learner for question, learner in answers_in(farm.store_path, code) if question == out["question"]}
    answer_s, seen = out["answer_s"], out["seen_after_s"]
    lost = out["taken"] - kept
    ok = (not out["errors"] and out["joined"] == args.poll_learners and len(kept) == args.poll_learners
          and not lost and sum(out["tally"].values()) == args.poll_learners and len(seen) == args.poll_learners)
    return {
        "learners": args.poll_learners, "joined": out["joined"], "errors": len(out["errors"]),
        "error_samples": out["errors"][:10], "answers_taken": len(out["taken"]), "answers_kept": len(kept),
        "lost": len(lost), "tally": out["tally"], "tally_complete_after_s": out["tally_complete_after_s"],
        "answer_p50_s": statistics.median(answer_s) if answer_s else None,
        "answer_p95_s": percentile(answer_s, 0.95), "answer_max_s": max(answer_s, default=None),
        "reveal_seen": len(seen), "reveal_seen_p50_s": statistics.median(seen) if seen else None,
        "reveal_seen_p95_s": percentile(seen, 0.95), "reveal_seen_max_s": max(seen, default=None),
        "peak_rss_mb": round(sampler.peak, 1), "pass": bool(ok), "server_log_error": out["server_log"],
    }


def secs(value: float | None) -> str:
    """Seconds for the report, or a dash where nothing was measured."""
    return "—" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40, help="learners in the fault run")
    parser.add_argument("--seconds", type=float, default=60, help="length of the fault run")
    parser.add_argument("--kill-at", type=float, default=25, help="seconds into the fault run the replica dies")
    parser.add_argument("--poll-learners", type=int, default=100, help="learners answering the poll at once")
    parser.add_argument("--skip", choices=("fault", "poll"), help="leave one run out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    if not (1 <= args.learners <= 200 and 1 <= args.poll_learners <= 300 and 5 < args.kill_at < args.seconds <= 600):
        parser.error("learners 1..200, poll learners 1..300, 5 < kill-at < seconds ≤ 600")
    print(f"Glass Box workshop faults on {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f}), 2 replicas "
          f"behind nginx, model {paths.default_model_source()}", flush=True)
    report: dict = {"argv": sys.argv[1:], "cpus": os.cpu_count()}
    if args.skip != "fault":
        with tempfile.TemporaryDirectory(prefix="gb-fault-") as tmp:
            report["fault"] = row = fault_run(args, Path(tmp))
        back = row["back_after_s"]
        print(f"\nFault run: {row['learners']} learners for {row['seconds']:.0f} s, replica {row['killed']} killed "
              f"at {row['kill_at_s']:.0f} s (learners per replica then: {row['learners_per_replica_at_kill']})\n"
              f"  learners on the other replica: {row['errors_outside_killed_replica']} errors (target 0)\n"
              f"  learners on the killed one: {row['learners_on_killed_replica']}, {row['of_them_broken']} noticed; "
              f"back on a live replica after p50 {secs(back['p50'])} s, max {secs(back['max'])} s, "
              f"never {back['never_back']} "
              f"(target ≤ {BACK_WITHIN_S:.0f} s); 'moved' notice shown to {row['moved_notice_shown']}; "
              f"{row['errors_on_killed_replica_after_reload']} errors after the reload\n"
              f"  poll answers: {row['answers_before_kill']} kept before the kill, {row['lost_from_before_kill']} of "
              f"them gone after; {row['answers_taken']} taken by the site, {row['taken_but_lost']} not in the store "
              f"(target 0, 0); the killed replica restarted: {row['killed_replica_restarted']}\n"
              f"  all runs: {row['runs']}, p50 {secs(row['p50_s'])} s, p95 {secs(row['p95_s'])} s; peak RSS "
              f"{row['peak_rss_mb']:.0f} MB → {'PASS' if row['pass'] else 'FAIL'}", flush=True)
        for sample in row["error_samples_outside"][:5] + row["error_samples_killed"][:5] + row["crashed"][:3]:
            print(f"    {sample}")
        if row["server_log_error"]:
            print(f"    last error in a replica's log: {row['server_log_error']}")
    if args.skip != "poll":
        with tempfile.TemporaryDirectory(prefix="gb-poll-") as tmp:
            report["poll"] = row = poll_run(args, Path(tmp))
        print(f"\nPoll load run: {row['learners']} learners ({row['joined']} joined) answer at once: "
              f"{row['errors']} errors; answering p50 {secs(row['answer_p50_s'])} s, "
              f"p95 {secs(row['answer_p95_s'])} s, max {secs(row['answer_max_s'])} s\n"
              f"  answers taken {row['answers_taken']}, kept {row['answers_kept']}, lost {row['lost']} (target 0); "
              f"the teacher's tally {row['tally']} complete after {secs(row['tally_complete_after_s'])} s\n"
              f"  after the reveal, {row['reveal_seen']} saw the answer: p50 {secs(row['reveal_seen_p50_s'])} s, "
              f"p95 {secs(row['reveal_seen_p95_s'])} s, max {secs(row['reveal_seen_max_s'])} s; "
              f"peak RSS {row['peak_rss_mb']:.0f} MB → {'PASS' if row['pass'] else 'FAIL'}", flush=True)
        for sample in row["error_samples"][:8]:
            print(f"    {sample}")
        if row["server_log_error"]:
            print(f"    last error in a replica's log: {row['server_log_error']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=sorted), encoding="utf-8")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
