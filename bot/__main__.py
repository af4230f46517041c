"""`python -m bot [run|sandbox|roster import FILE]`."""

from bot.cli import main

raise SystemExit(main())
