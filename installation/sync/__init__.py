"""Several machines playing one show in sync: a leader publishes its show clock and its bus
writes over UDP (OSC bundles with time tags); followers render the same motion at the same
show time. Motion is a function of the show, the bus and the clock, so that is all they share.

- wire.py: the OSC messages (clock, bus entries, full snapshots), built and parsed;
- leader.py: `Leader`, the publisher a `run.py play --lead` show runs;
- follower.py: `Follower`, the receiver a `run.py play --follow` show runs.
See docs/deploy.md for setting up the machines' clocks and for scale.
"""

from installation.sync.follower import Follower
from installation.sync.leader import Leader
from installation.sync.wire import parse_address

__all__ = ["Follower", "Leader", "parse_address"]
