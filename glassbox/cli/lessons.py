"""`glassbox lessons`: measure every claim the lessons make on a model and the corpus index.

The same measurement as tests/test_lesson_claims.py, for a lesson writer (which claim fails,
and what was measured) and for a teacher preparing a class without a server (what each step
will show, in the terminal or as JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from glassbox.cli.common import add_model_args, open_model, terminal_safe


def cmd_lessons(args: argparse.Namespace) -> int:
    from glassbox.lessons import load_lessons
    from glassbox.lessons.claims import Measurer, check_lesson

    measurer = Measurer.on_site_data(open_model(args))
    lessons = [lesson for lang in args.lang.split(",") for lesson in load_lessons(lang.strip())]
    checks = [check for lesson in lessons for check in check_lesson(lesson, measurer)]
    if args.json:
        json.dump([asdict(c) for c in checks], sys.stdout, ensure_ascii=False)
        print()
    else:
        for check in checks:
            print(terminal_safe(check.describe(), one_line=True))
        failed = sum(not c.holds for c in checks)
        print(f"{len(checks) - failed} of {len(checks)} claims hold")
    return 1 if any(not c.holds for c in checks) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lessons", help="measure every claim the lessons make (exit 1 if one fails)")
    add_model_args(p)
    p.add_argument("--lang", default="en", help="comma-separated lesson languages (default: en)")
    p.set_defaults(run=cmd_lessons)
