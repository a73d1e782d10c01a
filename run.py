#!/usr/bin/env python3
"""Entry point: `python run.py` plays the default show; `python run.py --help` lists commands."""

import os
import sys

# Transparent huge pages for torch's CPU allocator: fewer page-fault storms on big activations.
# Read by torch when it loads, so it must be set before anything imports torch.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

from installation.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
