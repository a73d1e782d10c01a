#!/usr/bin/env bash
# Set up (first run only) and run the test suite: `bash scripts/test.sh [pytest arguments]`.
# Starts a virtual X server (Xvfb) and a JACK server with its dummy driver when they are
# installed and not already running, so window and MIDI tests use real parts.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
    Xvfb :97 -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
    pids+=($!)
    export DISPLAY=:97
fi
if command -v jackd >/dev/null && ! (command -v jack_lsp >/dev/null && JACK_NO_START_SERVER=1 jack_lsp >/dev/null 2>&1); then
    jackd --no-realtime -d dummy -r 48000 >/dev/null 2>&1 &
    pids+=($!)
fi
sleep 1
.venv/bin/python -m pytest "$@"
