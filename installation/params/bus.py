"""The parameter bus: controllers write named values from any thread; the engine reads snapshots.

Writers (`set`, `set_normalized`, `trigger`) clamp to the parameter's range and drop what is not
a finite number, returning whether the write was taken. The reader takes one immutable
`Snapshot` per frame, with slew smoothing evaluated at the frame's time. Memory is one small
record per parameter, however long the show runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from installation.params.slew import Slew
from installation.params.spec import ParamSpec, Value

# Writers that act on their own (not a person in the room): they do not count as input.
INTERNAL_SOURCES = frozenset({"autopilot", "scene", "schedule", "show"})


@dataclass(frozen=True)
class Snapshot:
    """Every parameter's value at time `t`. `count(name)` is how many writes the parameter has
    taken; it tells a reader that a value was written again (a trigger fired, a keyframe chosen
    twice) even when the value did not change."""

    t: float
    values: Mapping[str, Value]
    counts: Mapping[str, int]

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Value | None = None) -> Value | None:
        return self.values.get(name, default)

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)


@dataclass
class _State:
    slew: Slew
    count: int = 0


class ParameterBus:
    """Thread-safe store of the show's parameters.

    `clock` stamps writes that give no time (time.monotonic by default); pass explicit `t` to
    writes and snapshots for reproducible runs. Writes from sources in `internal_sources` do not
    update `last_input_time`.
    """

    def __init__(
        self,
        specs: Iterable[ParamSpec],
        *,
        clock: Callable[[], float] = time.monotonic,
        internal_sources: Iterable[str] = INTERNAL_SOURCES,
    ) -> None:
        self._clock = clock
        self._internal = frozenset(internal_sources)
        self._lock = threading.Lock()
        self._specs: dict[str, ParamSpec] = {}
        self._states: dict[str, _State] = {}
        self._last_input: tuple[float, str] | None = None
        self.reconfigure(specs)

    @property
    def specs(self) -> Mapping[str, ParamSpec]:
        return MappingProxyType(self._specs)

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def reconfigure(self, specs: Iterable[ParamSpec]) -> None:
        """Adopt a new parameter list (a reloaded show): values of kept names stay, clamped to
        their new ranges; new names start at their defaults; missing names go."""
        specs = {s.name: s for s in specs}
        t = self._clock()
        with self._lock:
            states = {}
            for name, spec in specs.items():
                old = self._states.get(name)
                if old is None or spec.type != self._specs[name].type:
                    states[name] = _State(Slew(spec.default, spec.default, t))
                elif spec.type == "trigger":  # a count of firings has no range
                    states[name] = old
                else:
                    start, target = spec.clamp(old.slew.start), spec.clamp(old.slew.target)
                    states[name] = _State(Slew(start, target, old.slew.since), old.count)
            self._specs, self._states = specs, states

    def set(self, name: str, value: float, source: str = "", t: float | None = None) -> bool:
        """Write a value in the parameter's own units. A trigger fires for a value >= 0.5."""
        spec = self._specs.get(name)
        if spec is None:
            return False
        if spec.type == "trigger":
            clean = spec.clamp(value)
            return clean is not None and clean >= 0.5 and self.trigger(name, source, t)
        return self._write(name, spec.clamp(value), source, t)

    def set_normalized(self, name: str, x01: float, source: str = "", t: float | None = None) -> bool:
        """Write a controller position in [0, 1], mapped onto the parameter's range."""
        spec = self._specs.get(name)
        if spec is None:
            return False
        if spec.type == "trigger":
            return self.set(name, x01, source, t)
        return self._write(name, spec.from_normalized(x01), source, t)

    def trigger(self, name: str, source: str = "", t: float | None = None) -> bool:
        """Fire a trigger parameter (its value counts the firings)."""
        spec = self._specs.get(name)
        if spec is None or spec.type != "trigger":
            return False
        with self._lock:
            state = self._states.get(name)
            return state is not None and self._write_locked(name, state.slew.target + 1, source, t)

    def _write(self, name: str, value: Value | None, source: str, t: float | None) -> bool:
        if value is None:
            return False
        with self._lock:
            return self._write_locked(name, value, source, t)

    def _write_locked(self, name: str, value: Value, source: str, t: float | None) -> bool:
        state = self._states.get(name)
        if state is None:  # reconfigured away between the caller's look-up and here
            return False
        spec = self._specs[name]
        t = self._clock() if t is None else t
        state.slew = state.slew.retarget(value, t, spec.smoothing, spec.slew)
        state.count += 1
        if source not in self._internal:
            self._last_input = (t, source)
        return True

    def snapshot(self, t: float | None = None) -> Snapshot:
        """All values as they are at time `t` (default: now), smoothing applied."""
        with self._lock:
            t = self._clock() if t is None else t
            values, counts = {}, {}
            for name, state in self._states.items():
                spec = self._specs[name]
                if spec.type == "float":
                    values[name] = state.slew.at(t, spec.smoothing, spec.slew)
                else:
                    values[name] = state.slew.target
                counts[name] = state.count
        return Snapshot(t, MappingProxyType(values), MappingProxyType(counts))

    @property
    def last_input_time(self) -> float | None:
        """When a person last moved something (a write from a non-internal source), or None."""
        with self._lock:
            return None if self._last_input is None else self._last_input[0]

    @property
    def last_input_source(self) -> str | None:
        with self._lock:
            return None if self._last_input is None else self._last_input[1]
