"""`python -m glassbox` runs the command-line interface."""

from glassbox.cli import main

raise SystemExit(main())
