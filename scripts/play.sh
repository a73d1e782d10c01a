#!/usr/bin/env bash
# Set up (first run only) and play a show: `bash scripts/play.sh [run.py arguments]`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec .venv/bin/python run.py "$@"
