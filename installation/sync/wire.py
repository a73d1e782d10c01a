"""The wire format: OSC bundles whose time tag is the sender's wall clock (system time, synced
by NTP or PTP across machines) at the moment the bundle's show time was read.

- `/sync/clock show_time:d speed:d paused:i seq:i [phase:d phase_time:d]`: where the show is
  at the tag's time, and where its motion is (the motion integrates speed and tempo over show
  time, so a follower takes its phase rather than its own history). `speed` is the show
  clock's rate, 1 (show time runs with the wall clock); the motion's `speed` parameter is a
  bus entry like any other, and its glide integrates in closed form, so a follower's phase at
  a show time is its leader's whatever frames each rendered on the way;
- `/sync/entry kind:s name:s ...`: one bus entry, as `ParameterBus.entries` gives it (the
  state after a write, stamped in show time by the write's own time); a vector's numbers
  follow as float32, which is what the bus holds;
- a snapshot is one bundle of a clock message and every entry: a follower that started late or
  lost packets is whole again after the next one.
Entries carry the whole state of their parameter (not a delta), so a repeated or reordered
packet changes nothing once the newer one is in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pythonosc.osc_bundle import OscBundle, ParseError
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from installation.errors import UserError

CLOCK, ENTRY = "/sync/clock", "/sync/entry"
MAX_DATAGRAM = 60000  # under UDP's 65507-byte payload


@dataclass(frozen=True)
class ClockState:
    """The leader's show time `show_time` at its wall-clock time `wall`."""

    wall: float
    show_time: float
    speed: float
    paused: bool
    seq: int
    motion: tuple[float, float] | None = None  # the leader's MotionClock anchor

    def show_time_at(self, wall: float) -> float:
        """The leader's show time at wall-clock time `wall` (on a synced clock)."""
        return self.show_time if self.paused else self.show_time + (wall - self.wall) * self.speed


def _clock_message(clock: ClockState):
    message = OscMessageBuilder(CLOCK)
    message.add_arg(float(clock.show_time), "d")
    message.add_arg(float(clock.speed), "d")
    message.add_arg(int(clock.paused), "i")
    message.add_arg(int(clock.seq), "i")
    for value in clock.motion or ():
        message.add_arg(float(value), "d")
    return message.build()


def _entry_message(entry: tuple):
    message = OscMessageBuilder(ENTRY)
    kind, name = entry[0], entry[1]
    message.add_arg(kind, "s")
    message.add_arg(name, "s")
    if kind == "param":
        for value in entry[2:5]:
            message.add_arg(float(value), "d")
        for value in entry[5:9]:
            message.add_arg(int(value), "i")
    else:
        count, values = entry[2], entry[3]
        message.add_arg(int(count), "i")
        message.add_arg(values is not None)
        for value in values or ():
            message.add_arg(float(value), "f")
    return message.build()


def bundle(clock: ClockState, entries: list[tuple] = ()) -> bytes:
    """A datagram: the clock at `clock.wall`, then `entries`."""
    builder = OscBundleBuilder(clock.wall)
    builder.add_content(_clock_message(clock))
    for entry in entries:
        builder.add_content(_entry_message(entry))
    data = builder.build().dgram
    if len(data) > MAX_DATAGRAM:
        raise ValueError(f"a sync bundle of {len(data)} bytes does not fit in one UDP datagram")
    return data


def parse(data: bytes) -> tuple[ClockState | None, list[tuple]]:
    """(the clock, the entries) of a datagram; (None, []) for anything that is not ours."""
    try:  # OscBundle, not OscPacket: that one puts "now" for a time tag in the past
        packet = OscBundle(data) if OscBundle.dgram_is_bundle(data) else None
    except ParseError:
        return None, []
    if packet is None:
        return None, []
    clock, entries = None, []
    for message in packet:
        if not isinstance(message, OscMessage):
            continue
        address, args = message.address, message.params
        try:
            if address == CLOCK:
                show_time, speed, paused, seq, *motion = args
                anchor = (float(motion[0]), float(motion[1])) if len(motion) == 2 else None
                clock = ClockState(
                    float(packet.timestamp), float(show_time), float(speed), bool(paused), int(seq), anchor
                )
            elif address == ENTRY and args[0] == "param":
                entries.append(("param", str(args[1]), *map(float, args[2:5]), *map(int, args[5:9])))
            elif address == ENTRY and args[0] == "vector":
                values = [float(v) for v in args[4:]] if args[3] else None
                entries.append(("vector", str(args[1]), int(args[2]), values))
        except (ValueError, TypeError, IndexError):
            continue  # a malformed message: the next snapshot repairs what it would have said
    return clock, entries


def parse_address(text: str, default_host: str = "0.0.0.0") -> tuple[str, int]:
    """'HOST:PORT' or 'PORT' -> (host, port), or a UserError saying what is wrong."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
        if host:
            ipaddress.ip_address(host)
    except ValueError:
        raise UserError(
            f"bad address {text!r}: use HOST:PORT with an IP address, e.g. 192.168.1.20:9100"
        ) from None
    if not 1 <= number <= 65535:
        raise UserError(f"bad address {text!r}: the port is from 1 to 65535")
    return host or default_host, number


def is_multicast(host: str) -> bool:
    return ipaddress.ip_address(host).is_multicast
