"""A stand-in renderer for supervisor tests: "presents" frames at 50 Hz and beats like the real one.

argv: LEVEL [behaviour ...] where a behaviour is
  crash-after=S   exit with code 3 after S seconds
  freeze-after=S  stop presenting frames after S seconds, but keep beating
  silent          never present a frame
  crash-below=L   at fallback level < L, exit with code 4 at once
  refuse-below=L  at fallback level < L, print an error and exit with code 3 (a refused model)
  fail-with=C     print an error and exit with code C at once, at every level
  wait-for=PATH   beat "waiting" (as for a missing display) until PATH exists, then present
"""

import os
import sys
import threading
import time

from installation.gallery import heartbeat

level = int(sys.argv[1])
options = dict(arg.partition("=")[::2] for arg in sys.argv[2:])
frames, last = 0, None
awaited = options.get("wait-for")


def waiting() -> bool:
    return bool(awaited) and not os.path.exists(awaited)


sender = heartbeat.Sender.from_environment()
assert sender is not None, "no heartbeat descriptor"
done = threading.Event()
pulse = heartbeat.Pulse(
    sender,
    lambda: (frames, last),
    paused=waiting,
    status=lambda: {
        "level": level,
        "device": "cpu",
        **({"waiting": "display 1 missing"} if waiting() else {}),
    },
    interval=0.05,
    on_orphaned=done.set,
).start()
if level < int(options.get("crash-below", 0)):
    sys.exit(4)
if "fail-with" in options:
    print("error: port 9000 is taken", file=sys.stderr)
    sys.exit(int(options["fail-with"]))
while waiting() and not done.is_set():
    time.sleep(0.05)
if level < int(options.get("refuse-below", 0)):
    print("error: model.pkl: not a checkpoint", file=sys.stderr)
    sys.exit(3)
start = time.monotonic()
while not done.is_set():
    elapsed = time.monotonic() - start
    if "crash-after" in options and elapsed > float(options["crash-after"]):
        sys.exit(3)
    if "silent" not in options and not (
        "freeze-after" in options and elapsed > float(options["freeze-after"])
    ):
        frames, last = frames + 1, time.monotonic()
    time.sleep(0.02)
