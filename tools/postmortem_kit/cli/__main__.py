"""`python -m postmortem_kit.cli`: the `postmortem` command without its script."""

from __future__ import annotations

import sys

from postmortem_kit.cli import main

sys.exit(main())
