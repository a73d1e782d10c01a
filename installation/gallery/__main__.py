"""`python -m installation.gallery SHOW ...`: the renderer process `run.py gallery` supervises.

A separate entry module, so that `installation.gallery.renderer` is imported under its own name
and others (OSC's /status) see the same `renderer.status()` the running renderer fills in.
"""

from installation.cli import exit_process
from installation.gallery.renderer import main

exit_process(main())  # as run.py ends: see exit_process
