"""``python -m layerwise``: the same command as ``layerwise``."""

from layerwise.cli import main

raise SystemExit(main())
