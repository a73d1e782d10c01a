"""Running a piece for months without anyone touching it (`run.py gallery SHOW`).

- `supervisor`: runs the renderer as a child process, restarts it on a crash or a hang
- `heartbeat`: the renderer's pulse (frames presented, status) over a private socket pair
- `restarts`, `fallback`: backoff, and the safe configurations stepped down to
- `schedule`: opening hours, fades and the scene playlist, as a pure function of local time
- `health`: GET /health as JSON; `logs`: rotating logs that never stop the show
- `sdnotify`: READY / WATCHDOG for systemd, only once frames are really presented
"""
