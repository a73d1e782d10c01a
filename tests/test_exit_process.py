"""run.py's exit: daemon threads still inside torch's C++ code must not abort a finished run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

CHILD = textwrap.dedent("""
    import atexit, sys, threading, time
    import torch
    from installation.cli import exit_process

    def convolve_forever():
        while True:
            torch.nn.functional.conv2d(torch.randn(1, 32, 96, 96), torch.randn(32, 32, 3, 3))

    for _ in range(2):
        threading.Thread(target=convolve_forever, daemon=True).start()
    late = threading.Thread(target=lambda: (time.sleep(0.5), print("joined", flush=True)))
    late.start()
    atexit.register(lambda: print("exit handlers ran"))  # unflushed: exit_process flushes it
    time.sleep(0.3)  # both daemons are deep in convolutions now
    print("done")
    exit_process(int(sys.argv[1]))
""")


def test_a_run_that_ends_with_torch_busy_in_daemon_threads_exits_cleanly_with_its_code():
    # Python 3.11 finalising the interpreter stops such threads with pthread_exit, and the
    # unwind through torch's C++ aborts the process (exit 134): this child did so 6 times in 6.
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "3"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 3, child.stderr
    assert "terminate called" not in child.stderr
    # the other thread joined, then the exit handlers, and what they printed reached the pipe
    assert child.stdout.splitlines() == ["done", "joined", "exit handlers ran"], child.stdout
