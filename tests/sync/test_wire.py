"""The sync wire format: what a leader sends parses back to the same clock and bus entries, and
anything else is left alone or refused with a clear message; what a follower and a leader say
of themselves."""

import time

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


def test_a_follower_says_whom_it_follows_on_the_hud_and_health():
    """A leader (with a motion anchor to share) and a follower in one process on loopback:
    waiting, then following."""
    from installation.engine import ShowClock
    from installation.sync import Follower, Leader

    follower_bus = ParameterBus(builtin_parameters(0), clock=lambda: 0.0)
    follower = Follower(ShowClock(), follower_bus, ("127.0.0.1", 0)).start()
    try:
        assert follower.state == "waiting" and follower.status()["leader"] is None
        assert follower.line() == f"sync: waiting for the leader on udp 127.0.0.1:{follower.address[1]}"
        leader_clock = ShowClock(start=5.0)
        leader_bus = ParameterBus(builtin_parameters(0), clock=leader_clock.now)
        leader = Leader(leader_clock, leader_bus, [follower.address], lambda: (0.0, 5.0)).start()
        try:
            deadline = time.monotonic() + 10
            while follower.state != "following" and time.monotonic() < deadline:
                time.sleep(0.02)
            status = follower.status()
            assert status["state"] == "following" and status["leader"].startswith("127.0.0.1:")
            assert status["seeks"] >= 1 and status["problem"] == ""  # it jumped to show time 5
            assert follower.line().startswith(f"sync: following {status['leader']}   last packet ")
            assert leader.status() == {
                "role": "leader",
                "followers": [f"127.0.0.1:{follower.address[1]}"],
                "datagrams_sent": leader.datagrams_sent,
                "bytes_sent": leader.bytes_sent,
            }
            assert leader.datagrams_sent >= 1
        finally:
            leader.stop()
    finally:
        follower.stop()
