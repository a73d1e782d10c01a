#!/usr/bin/env python3
"""Entry point: `python run.py` plays the default show; `python run.py --help` lists commands."""

from installation.cli import exit_process, main

if __name__ == "__main__":
    exit_process(main())
