"""Workshop load: N learners at once, each doing a lesson step every few seconds, on R replicas.

For each R in `--replicas` and each N in `--learners` (every combination, in one run) a fresh server
is started with the shipped model and the data folder: R ≥ 1 is `./run workshop --replicas R` (R
Streamlit replicas behind nginx, supervised; bench/workshop_farm.py), R = 0 one plain site server
without nginx. Each replica is warmed up by one visit to each page, and then N simulated learners
join through nginx (spread over the first seconds) and work for `--seconds`; each has its own
route and learner cookies, as a browser would, so nginx keeps it on one replica. Each learner is one websocket session
speaking Streamlit's own protocol (bench/workshop_client.py), not a browser: 50 Chromium tabs on a
small machine would swamp the server being measured. Every 2-5 s (`--think`, seeded jitter) a learner
does one of: type a new prompt on Next token, move its temperature slider, type a prompt on Experts,
type text on Tokens; mostly (70 %) on the page it is on, else it opens another page first. Every
learner writes its own sentences, so the shared caches do not hide the cost of a forward pass.

Measured per level: interactions (widget changes), errors (connection failures, no answer within
30 s, an exception box, an error message, page not found), latency from sending the new widget
value to the run's `script_finished` (p50, p95, max), how the learners spread over the replicas,
and the peak resident memory of the whole server (supervisor, nginx and all replicas, sampled from
/proc). Targets: 0 errors, p95 ≤ 1 s; memory ≤ 1.5 GB for one replica, ≤ 2.5 GB for two (1.25 GB
a replica beyond). Baseline in the same run: one learner alone (N = 1) on a fresh server with the
first R given, doing the same steps; each level's p95 is also given as a multiple of the baseline's.

Teaching mix (`--teachers T --copies 64`): in every level but the baseline, T of the learners
(spread over the joining order) also teach once, at a seeded time in the first half of the run: they
open Teach it with three sentences of their own in the link, press Teach and follow its progress bar
(a timed fragment, ticked every 0.5 s as a browser does) until the page shows their taught model; a
teacher waits for it up to TEACH_WAIT_S, past the others' deadline. Their own runs are timed and
checked but left out of the p95, whose target is then 1.5 s; every teacher must get a result.
Measured (2 cores, `--replicas 1,2 --learners 50 --teachers 10 --copies 64 --seconds 90`): others'
p95 237 ms (1 replica) and 366 ms (2), 0 errors, 10 of 10 taught each time (the teachings queue one
at a time per replica: Teach to result p50 95 s and 64 s, max 156 s and 104 s), peak RSS 1466 and
2200 MB.

Usage: python bench/bench_workshop.py [--replicas 1,2] [--learners 50,100] [--seconds 60] [--seed 0]
                                      [--teachers T] [--copies 64]
                                      [--json out.json] [--env KEY=VALUE ...]   (for the servers, e.g.
                                       GLASSBOX_MODEL_SLOTS=2, OMP_NUM_THREADS=1)
Faults (a replica killed mid-run) and the class poll under load: bench/bench_workshop_faults.py.
Loopback only; each level is capped in wall-clock time; the server is stopped even on failure.
Timings depend on the machine and on what else runs on it; compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from workshop_client import RunResult, Session, SessionError  # noqa: E402
from workshop_farm import Direct, Farm, RssSampler, tree_cpu_seconds, tree_rss_mb  # noqa: E402

from glassbox import paths  # noqa: E402

TARGET_P95_S = 1.0
TARGET_MIX_P95_S = 1.5  # while some learners teach (Teach it trains a copy of the model for seconds)
TEACH_WAIT_S = 300.0  # how long a teacher waits for its taught model before it counts as an error
RUN_TIMEOUT_S = 30.0
STAY = 0.7  # chance that the next step is on the page the learner is on (a lesson keeps them there a while)
NOT_INTERACTIONS = ("open page", "setup")  # runs that are timed and checked, but not lesson steps
TEACH = "teach: "  # a teacher's own runs (open, press, progress ticks); timed and checked, not in the p95
# (name, page url, widget key); the value is made up per learner and step
ACTIONS = (
    ("next: type prompt", "next-token", "next.prompt"),
    ("next: temperature", "next-token", "next.temperature"),
    ("experts: type prompt", "experts", "experts.prompt"),
    ("tokens: type text", "tokens", "tokens.text"),
)
# Our own words; a learner's sentence is drawn from them with its own seeded generator.
WHO = "the old fisherman|a curious student|my grandmother|the night nurse|a tired pilot|the village baker".split("|")
DID = "carried|painted|forgot|repaired|borrowed|described|sold|hid|found|weighed".split("|")
WHAT = "a blue umbrella|three copper kettles|the broken clock|a letter from Busan|the garden gate".split("|")
WHAT += "a map of the harbour|her brother's bicycle|an empty suitcase|the spare key|forty apples".split("|")
WHEN = "before breakfast|during the storm|after the concert|on a quiet Sunday|at the end of winter".split("|")
WHEN += "while the kettle boiled|in the early spring|just after midnight|during the long lunch".split("|")


def target_rss_mb(replicas: int) -> float:
    """The memory target for a server of `replicas` replicas (0: one plain server)."""
    return 1536.0 if replicas <= 1 else 2560.0 + 1280.0 * (replicas - 2)


def learner_cookies(seed: int, level: str, learner: int) -> dict[str, str]:
    """A browser's two cookies: the nginx route and the learner id (made up here, seeded)."""
    rng = random.Random(f"cookies/{seed}/{level}/{learner}")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return {"glassbox_route": f"bench-{seed}-{level}-{learner}",
            "glassbox_learner": "".join(rng.choice(alphabet) for _ in range(22))}


def make_text(rng: random.Random, learner: int, step: int) -> str:
    """Two or three new sentences (under 128 tokens); learner and step make every text unique."""
    sentences = [
        f"{rng.choice(WHO).capitalize()} {rng.choice(DID)} {rng.choice(WHAT)} {rng.choice(WHEN)}."
        for _ in range(rng.randint(2, 3))
    ]
    return f"Note {step} from desk {learner}: " + " ".join(sentences) + f" Then {rng.choice(WHO)}"


@dataclass
class Level:
    learners: int
    replicas: int = 0
    teachers: int = 0  # how many of the learners also teach once (Teach it, `copies` copies)
    copies: int = 64
    taught: list[float] = field(default_factory=list)  # seconds from Teach pressed to the taught model shown
    spread: dict[str, int] = field(default_factory=dict)  # replica address → learner sessions sent there
    latencies: dict[str, list[float]] = field(default_factory=dict)  # action → seconds
    errors: list[str] = field(default_factory=list)
    runs: int = 0
    idle_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    wall_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average as the learners start and stop
    server_log: str = ""  # the last error the server logged, when there were errors

    def record(self, learner: int, action: str, result: RunResult) -> None:
        self.runs += 1
        self.latencies.setdefault(action, []).append(result.seconds)
        self.errors += [f"learner {learner}, {action}: {problem}" for problem in result.problems]

    def interactions(self) -> list[float]:
        return [
            s for action, values in self.latencies.items()
            if action not in NOT_INTERACTIONS and not action.startswith(TEACH) for s in values
        ]

    def teaches(self, learner: int) -> bool:
        """Whether `learner` is one of the teachers (spread evenly over the joining order)."""
        return self.teachers > 0 and learner % max(1, self.learners // self.teachers) == 0 and \
            learner // max(1, self.learners // self.teachers) < self.teachers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def widget_value(rng: random.Random, learner: int, step: int, key: str) -> str | float:
    return round(rng.randrange(1, 40) * 0.05, 2) if key.endswith("temperature") else make_text(rng, learner, step)


def teach_query(rng: random.Random, learner: int, copies: int) -> str:
    """Teach it's link values for one teacher: three sentences of its own, the copies, a probe."""
    sentences = [make_text(rng, learner, 1000 + n).split(": ", 1)[1][:190] for n in range(3)]
    return urlencode({"teach.sentences": "\n".join(sentences), "teach.copies": copies,
                      "teach.probe": f"{rng.choice(WHO).capitalize()} {rng.choice(DID)}"})


async def teach_once(session: Session, index: int, rng: random.Random, level: Level) -> None:
    """Open Teach it with this teacher's sentences in the link, press Teach, and follow the progress
    bar (a timed fragment) as a browser would until the page shows the taught model (Reset becomes
    clickable). Teaching queues for a model slot, so a teacher may wait; it waits on past the
    others' deadline, up to TEACH_WAIT_S."""
    session.query_string = teach_query(rng, index, level.copies)
    level.record(index, TEACH + "open page", await session.visit("teach"))
    pressed = time.monotonic()
    level.record(index, TEACH + "press", await session.press("teach.teach"))
    while session.auto_reruns and time.monotonic() - pressed < TEACH_WAIT_S:
        await asyncio.sleep(0.5)
        ticks = await session.tick()
        for result in ticks:
            level.record(index, TEACH + "progress", result)
    if session.disabled.get("teach.reset", True):
        level.errors.append(f"learner {index}: no taught model {time.monotonic() - pressed:.0f} s after Teach")
    else:
        level.taught.append(time.monotonic() - pressed)
    session.query_string = ""


async def learner(
    index: int, port: int, seed: int, think: tuple[float, float], start_delay: float, deadline: float, level: Level
) -> None:
    """One learner: join, open Next token (bars shown without guessing first), then work until the deadline."""
    rng = random.Random(f"{seed}/{level.learners}/{index}")
    cookies = learner_cookies(seed, f"{level.replicas}x{level.learners}", index)
    await asyncio.sleep(start_delay)
    step = 0
    # a teacher teaches once, at a time drawn from the first half of the working time
    teach_at = time.monotonic() + rng.uniform(0, (deadline - time.monotonic()) / 2) if level.teaches(index) else None
    while time.monotonic() < deadline:
        session = Session(port, RUN_TIMEOUT_S, cookies)
        try:
            await session.open()
            level.spread[session.replica or "direct"] = level.spread.get(session.replica or "direct", 0) + 1
            level.record(index, "open page", await session.visit(""))
            level.record(index, "open page", await session.visit("next-token"))
            level.record(index, "setup", await session.set_widget("next.guess_first", False))
            while True:
                await asyncio.sleep(rng.uniform(*think))
                if time.monotonic() >= deadline:
                    return
                if teach_at is not None and time.monotonic() >= teach_at:
                    teach_at = None
                    await teach_once(session, index, rng, level)
                    continue
                here = [action for action in ACTIONS if action[1] == session.page]
                name, page, key = rng.choice(here if here and rng.random() < STAY else ACTIONS)
                if session.page != page:
                    level.record(index, "open page", await session.visit(page))
                    if time.monotonic() >= deadline:  # no new run starts after the deadline
                        return
                step += 1
                level.record(index, name, await session.set_widget(key, widget_value(rng, index, step, key)))
        except SessionError as err:
            level.errors.append(f"learner {index}: {err}")  # then join again, as a reloaded tab would
            await asyncio.sleep(1.0)
        finally:
            await session.close()


async def warm_up(port: int, level: Level) -> None:
    """Load the model and every page once (the first run in a fresh server also sets Streamlit up)."""
    session = Session(port, timeout=300)
    try:
        await session.open()
        rng = random.Random("warm-up")
        await session.visit("")  # the default page first: a fresh server answers a deep link "page not found"
        for _, page, key in ACTIONS:
            for result in (await session.visit(page), await session.set_widget(key, widget_value(rng, -1, 0, key))):
                level.errors += [f"warm-up on {page}: {problem}" for problem in result.problems]
    finally:
        await session.close()


async def drive(port: int, level: Level, seconds: float, seed: int, think: tuple[float, float]) -> None:
    ramp = min(10.0, seconds / 4) if level.learners > 1 else 0.0
    deadline = time.monotonic() + seconds
    tasks = [
        asyncio.create_task(learner(i, port, seed, think, ramp * i / level.learners, deadline, level))
        for i in range(level.learners)
    ]
    cap = seconds + RUN_TIMEOUT_S + 5  # no run starts after `seconds`; one still going after this is late
    cap += TEACH_WAIT_S if level.teachers else 0  # a teacher waits on for its taught model
    done, pending = await asyncio.wait(tasks, timeout=cap)
    for task in pending:
        task.cancel()
    if pending:
        level.errors += [f"a run still going at the {cap:.0f} s cap; stopped"] * len(pending)
        await asyncio.wait(pending, timeout=15)
    for task in done:
        if task.exception() is not None:
            level.errors.append(f"learner crashed: {task.exception()!r}")


def new_server(replicas: int, work: Path) -> Farm | Direct:
    """`replicas` replicas behind nginx (0: one plain server), not started yet."""
    model, data = Path(paths.default_model_source()), paths.data_dir()
    return Farm(replicas, work, model, data) if replicas else Direct(work, model, data)


def run_level(replicas: int, learners: int, seconds: float, seed: int, think: tuple[float, float],
              teachers: int = 0, copies: int = 64) -> Level:
    """A fresh server, warmed up, with `learners` learners for `seconds`, `teachers` of whom teach
    once; the server is stopped after."""
    level = Level(learners, replicas, min(teachers, learners), copies)
    with tempfile.TemporaryDirectory(prefix="gb-workshop-") as tmp:
        server = new_server(replicas, Path(tmp))
        sampler: RssSampler | None = None
        try:
            server.start()
            for replica_port in server.replica_ports():  # each replica directly: nginx would pick one
                asyncio.run(asyncio.wait_for(warm_up(replica_port, level), 600))
            level.idle_rss_mb = tree_rss_mb(server.pid)
            sampler = RssSampler(server.pid)
            sampler.start()
            cpu0, own0, wall0 = tree_cpu_seconds(server.pid), time.process_time(), time.monotonic()
            load0 = os.getloadavg()[0]
            asyncio.run(drive(server.port, level, seconds, seed, think))
            level.load = (load0, os.getloadavg()[0])
            level.wall_s = time.monotonic() - wall0
            level.server_cpu_s = tree_cpu_seconds(server.pid) - cpu0
            level.client_cpu_s = time.process_time() - own0
            if server.process.poll() is not None:
                level.errors.append(f"the server exited with {server.process.returncode}")
            restarts = server.supervisor_log().count(" restarted (") if replicas else 0
            if restarts:
                level.errors.append(f"the supervisor restarted a replica {restarts} times")
        except (RuntimeError, SessionError, TimeoutError) as err:  # no server, or no warm-up: no level
            level.errors.append(f"could not start: {type(err).__name__}: {str(err)[-500:]}")
        finally:
            level.server_log = server.last_error(300) if level.errors else ""
            if sampler is not None:
                sampler.done.set()
                sampler.join(timeout=5)
                level.peak_rss_mb = max(sampler.peak, level.idle_rss_mb)
            server.stop()
    return level


def summary(level: Level, base_p95: float | None) -> dict:
    values = level.interactions()
    p95 = percentile(values, 0.95)
    target_mb = target_rss_mb(level.replicas)
    target_p95 = TARGET_MIX_P95_S if level.teachers else TARGET_P95_S
    ok = bool(values) and not level.errors and p95 <= target_p95 and level.peak_rss_mb <= target_mb
    ok = ok and len(level.taught) == level.teachers
    return {
        "replicas": level.replicas,
        "learners": level.learners,
        "teachers": level.teachers,
        "copies": level.copies if level.teachers else None,
        "taught": len(level.taught),
        "teach_p50_s": statistics.median(level.taught) if level.taught else None,
        "teach_max_s": max(level.taught) if level.taught else None,
        "target_p95_s": target_p95,
        "interactions": len(values),
        "runs": level.runs,
        "errors": len(level.errors),
        "p50_s": statistics.median(values) if values else None,
        "p95_s": p95 if values else None,
        "max_s": max(values) if values else None,
        "p95_vs_baseline": p95 / base_p95 if base_p95 and values else None,
        "idle_rss_mb": round(level.idle_rss_mb, 1),
        "peak_rss_mb": round(level.peak_rss_mb, 1),
        "target_rss_mb": target_mb,
        "sessions_per_replica": dict(sorted(level.spread.items())),
        "server_cpu_s": round(level.server_cpu_s, 1),
        "client_cpu_s": round(level.client_cpu_s, 1),
        "wall_s": round(level.wall_s, 1),
        "load_avg_start_end": [round(x, 2) for x in level.load],
        "pass": ok,
        "by_action": {
            name: {"n": len(v), "p50_s": statistics.median(v), "p95_s": percentile(v, 0.95), "max_s": max(v)}
            for name, v in level.latencies.items()
        },
        "error_samples": level.errors[:20],
        "server_log_error": level.server_log,
    }


def print_table(rows: list[dict]) -> None:
    print(
        f"{'R':>2} {'N':>4} {'T':>3} {'interactions':>12} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'p95/base':>8} {'peak RSS MB':>11} {'verdict':>7}"
    )
    for row in rows:
        ms = {k: f"{row[k] * 1000:8.0f}" if row[k] is not None else f"{'-':>8}" for k in ("p50_s", "p95_s", "max_s")}
        ratio = f"{row['p95_vs_baseline']:7.1f}x" if row["p95_vs_baseline"] else f"{'-':>8}"
        verdict = "PASS" if row["pass"] else "FAIL"
        print(
            f"{row['replicas'] or '-':>2} {row['learners']:>4} {row['teachers']:>3} "
            f"{row['interactions']:>12} {row['errors']:>6} "
            f"{ms['p50_s']} {ms['p95_s']} {ms['max_s']} {ratio} {row['peak_rss_mb']:>11.0f} {verdict:>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2", help="comma-separated numbers of replicas (0: no nginx)")
    parser.add_argument("--learners", default="50,100", help="comma-separated numbers of learners")
    parser.add_argument("--seconds", type=float, default=60, help="working time per level")
    parser.add_argument("--think", default="2,5", help="seconds between a learner's steps: MIN,MAX")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--teachers", type=int, default=0,
                        help="how many learners of each level (not the baseline) also teach once on Teach it")
    parser.add_argument("--copies", type=int, default=64, choices=(1, 2, 4, 8, 16, 32, 64), help="copies per teaching")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="for the server process")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    counts = [int(n) for n in args.learners.split(",") if n.strip()]
    replica_counts = [int(n) for n in args.replicas.split(",") if n.strip()]
    think = tuple(float(x) for x in args.think.split(","))
    if not counts or min(counts) < 1 or max(counts) > 200 or not 5 <= args.seconds <= 600:
        parser.error("learners must be 1..200 and seconds 5..600")
    if not replica_counts or min(replica_counts) < 0 or max(replica_counts) > 16:
        parser.error("replicas must be 0..16 (0: one plain server without nginx)")
    if len(think) != 2 or not 0 <= think[0] <= think[1] <= 120:
        parser.error("--think takes MIN,MAX seconds (0..120)")
    if any("=" not in item for item in args.env):
        parser.error("--env takes KEY=VALUE")
    extra = dict(item.split("=", 1) for item in args.env)
    os.environ.update(extra)  # the server inherits it; GLASSBOX_MODEL / GLASSBOX_DATA also pick model and data

    print(
        f"Glass Box workshop load on {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f} before start), "
        f"model {paths.default_model_source()}, data {paths.data_dir()}, server env {extra or '(default)'}"
    )
    print(
        f"replicas {replica_counts} (0: no nginx) x learners {counts}; "
        f"each level: fresh server, warm-up, learners join over ≤ 10 s, then work until {args.seconds:.0f} s; "
        f"think time {think[0]:g}-{think[1]:g} s, next step on the same page with p={STAY}"
    )
    rows: list[dict] = []
    base_p95: float | None = None
    plan = [(replica_counts[0], 1)] + [(r, n) for r in replica_counts for n in counts]
    for index, (r, n) in enumerate(plan):
        level = run_level(r, n, args.seconds, args.seed, think, args.teachers if index else 0, args.copies)
        row = summary(level, base_p95)
        if index == 0:
            base_p95 = row["p95_s"]
            row["baseline"] = True
        rows.append(row)
        print(
            f"  R={r} N={n}: {row['interactions']} interactions ({row['runs']} runs incl. page opens), "
            f"{row['errors']} errors, server CPU {row['server_cpu_s']} s, bench CPU {row['client_cpu_s']} s "
            f"in {row['wall_s']} s; idle RSS {row['idle_rss_mb']:.0f} MB; load {row['load_avg_start_end']}; "
            f"sessions per replica {row['sessions_per_replica']}",
            flush=True,
        )
        actions = ", ".join(
            f"{name} {v['p50_s'] * 1000:.0f}/{v['p95_s'] * 1000:.0f} ms (n={v['n']})"
            for name, v in row["by_action"].items()
        )
        print(f"      p50/p95 by step: {actions}")
        if row["teachers"]:
            print(f"      teachers: {row['taught']} of {row['teachers']} got their taught model ({row['copies']} "
                  f"copies); Teach to result p50 {row['teach_p50_s'] or 0:.1f} s, max {row['teach_max_s'] or 0:.1f} s")
        for sample in row["error_samples"][:5]:
            print(f"      {sample}")
        if row["server_log_error"]:
            print(f"      last error in the server log: {row['server_log_error']}")
    print(
        f"\nTargets: 0 errors, p95 ≤ {TARGET_P95_S * 1000:.0f} ms ({TARGET_MIX_P95_S * 1000:.0f} ms for the others "
        f"while T learners teach, each of whom must get a result), peak RSS of all replicas ≤ "
        f"{target_rss_mb(1):.0f} MB (1), {target_rss_mb(2):.0f} MB (2) (the first row, N=1, is the baseline)"
    )
    print_table(rows)
    if args.json:
        report = {
            "argv": sys.argv[1:],
            "cpus": os.cpu_count(),
            "server_env": extra,
            "seconds": args.seconds,
            "think_s": think,
            "targets": {
                "p95_s": TARGET_P95_S, "mix_p95_s": TARGET_MIX_P95_S,
                "rss_mb": {r: target_rss_mb(r) for r in replica_counts}, "errors": 0,
            },
            "levels": rows,
        }
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
