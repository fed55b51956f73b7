"""Running the `glassbox` command line inside the test process: the model a test fixture loaded
stays loaded, and a case costs no interpreter start (a real process is for what only one gets:
real stdin, undecodable argv bytes)."""

from __future__ import annotations

import io
import sys


def cli(capsys, argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `glassbox.cli.main(argv)` run in this process; argparse's
    own refusals (SystemExit) give their exit status too."""
    from glassbox.cli import main

    capsys.readouterr()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err
