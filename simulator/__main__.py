"""``python -m simulator`` does what ``connectedcar-sim`` does."""

from simulator.cli import main

raise SystemExit(main())
