"""`python -m installation.gallery SHOW ...`: the renderer process `run.py gallery` supervises.

A separate entry module, so that `installation.gallery.renderer` is imported under its own name
and others (OSC's /status) see the same `renderer.status()` the running renderer fills in.
"""

import sys

from installation.gallery.renderer import main

sys.exit(main())
