"""``python -m layerwise.cli``: the same command as ``layerwise``."""

from layerwise.cli import main

raise SystemExit(main())
