#!/usr/bin/env python3
"""Entry point: `python run.py` plays the default show; `python run.py --help` lists commands."""

import sys

from installation.cli import main

if __name__ == "__main__":
    sys.exit(main())
