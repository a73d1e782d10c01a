"""The sync wire format: what a leader sends parses back to the same clock and bus entries, and
anything else is left alone or refused with a clear message."""

import pytest

from installation.errors import UserError
from installation.params.builtin import LATENT, builtin_parameters
from installation.params.bus import ParameterBus
from installation.sync.wire import ClockState, bundle, parse, parse_address


def test_a_bundle_carries_the_clock_and_the_exact_bus_state():
    leader = ParameterBus(builtin_parameters(0), clock=lambda: 3.25)
    leader.declare_vector(LATENT, 4)
    leader.set("psi", 0.3)
    leader.step("keyframe", "random")
    leader.set_vector(LATENT, [0.5, -1.0, 2.0, 0.25])
    clock = ClockState(1_796_160_000.5, 3.25, 1.0, False, 7, (12.375, 3.5))
    parsed_clock, entries = parse(bundle(clock, leader.entries()))
    assert parsed_clock == clock and parsed_clock.show_time_at(1_796_160_001.0) == 3.75

    follower = ParameterBus(builtin_parameters(0), clock=lambda: 0.0)
    follower.declare_vector(LATENT, 4)
    assert follower.restore(entries, "leader") == len(entries)
    assert follower.entries() == leader.entries()
    mine, theirs = leader.snapshot(4.0), follower.snapshot(4.0)
    assert (theirs.values, theirs.counts, theirs.steps) == (mine.values, mine.counts, mine.steps)
    assert follower.last_input_source == "leader"


def test_foreign_packets_and_bad_addresses():
    assert parse(b"not osc at all") == (None, [])
    assert parse_address("9100") == ("0.0.0.0", 9100)
    assert parse_address("239.20.0.1:9100") == ("239.20.0.1", 9100)
    for bad in ("screen-2:9100", "10.0.0.2:0", "10.0.0.2:port"):
        with pytest.raises(UserError, match="bad address"):
            parse_address(bad)
