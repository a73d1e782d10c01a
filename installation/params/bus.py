"""The parameter bus: controllers write named values from any thread; the engine reads snapshots.

Writers (`set`, `set_normalized`, `trigger`) clamp to the parameter's range and drop what is not
a finite number, returning whether the write was taken. Two more kinds of entry are for what
only the reader can resolve: `step` ("keyframe +1", "keyframe random") is a write relative to
where the reader is, and `set_vector` writes a vector entry of a fixed length (the z a
controller sends, whose length is the model's). The reader takes one immutable `Snapshot` per
frame, with slew smoothing evaluated at the frame's time. Memory is one small record per
parameter, however long the show runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np

from installation.params.slew import Slew
from installation.params.spec import ParamSpec, Value

# Writers that act on their own (not a person in the room): they do not count as input.
INTERNAL_SOURCES = frozenset({"autopilot", "scene", "schedule", "show"})
EMPTY: Mapping = MappingProxyType({})
RESTORED_TYPES = {"float": float, "bool": bool}  # what `restore` makes of an entry's numbers


@dataclass(frozen=True)
class Step:
    """The relative writes to an int parameter since its last absolute write: `offset` steps in
    all, plus `randoms` steps to anywhere else (the reader draws where). `base` counts the
    absolute writes, so a reader can tell that one came in between and count from its value."""

    base: int = 0
    offset: int = 0
    randoms: int = 0


@dataclass(frozen=True)
class Glide:
    """A float parameter's current glide and how it is smoothed (see Slew)."""

    slew: Slew
    seconds: float
    kind: str


@dataclass(frozen=True)
class Snapshot:
    """Every parameter's value at time `t`. `count(name)` is how many writes the parameter has
    taken; it tells a reader that a value was written again (a trigger fired, a keyframe chosen
    twice) even when the value did not change."""

    t: float
    values: Mapping[str, Value]
    counts: Mapping[str, int]
    steps: Mapping[str, Step] = field(default_factory=lambda: EMPTY)
    vectors: Mapping[str, np.ndarray | None] = field(default_factory=lambda: EMPTY)
    glides: Mapping[str, Glide] = field(default_factory=lambda: EMPTY)

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Value | None = None) -> Value | None:
        return self.values.get(name, default)

    def count(self, name: str) -> int:
        """Writes so far to a parameter or a vector entry."""
        return self.counts.get(name, 0)

    def step(self, name: str) -> Step:
        return self.steps.get(name, Step())

    def vector(self, name: str) -> np.ndarray | None:
        """A vector entry (read-only), or None while it is not set."""
        return self.vectors.get(name)

    def integral(self, name: str, start: float, times: np.ndarray) -> np.ndarray:
        """The float parameter `name` integrated from `start` to each of `times` along its glide
        (as a constant at this snapshot's value where the snapshot has no glide for it)."""
        glide = self.glides.get(name)
        if glide is None:
            return float(self.values[name]) * (np.asarray(times, dtype=np.float64) - start)
        return glide.slew.integral(start, times, glide.seconds, glide.kind)


@dataclass
class _State:
    slew: Slew
    count: int = 0
    step: Step = Step()


@dataclass
class _Vector:
    length: int
    value: np.ndarray | None = None
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
        self._vectors: dict[str, _Vector] = {}
        self._last_input: tuple[float, str] | None = None
        self._watchers: list[Callable[[str], None]] = []
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
                    states[name] = _State(Slew(start, target, old.slew.since), old.count, old.step)
            self._specs, self._states = specs, states

    def declare_vector(self, name: str, length: int) -> None:
        """Make `name` a vector entry of `length` numbers (a new model: its z size). A set
        vector of another length is dropped, which counts as a write."""
        if name in self._specs:
            raise ValueError(f"{name} is a parameter")
        with self._lock:
            old = self._vectors.get(name)
            if old is None:
                self._vectors[name] = _Vector(length)
            elif old.length != length:
                self._vectors[name] = _Vector(length, None, old.count + (old.value is not None))

    def vector_length(self, name: str) -> int | None:
        vector = self._vectors.get(name)
        return None if vector is None else vector.length

    def set_vector(
        self, name: str, values: Iterable[float] | None, source: str = "", t: float | None = None
    ) -> bool:
        """Write a vector entry: exactly its length of finite numbers, or None to clear it."""
        z = None
        if values is not None:
            z = np.array(values, dtype=np.float32)
            z.setflags(write=False)
        with self._lock:
            vector = self._vectors.get(name)
            if vector is None or (
                z is not None and (z.shape != (vector.length,) or not np.isfinite(z).all())
            ):
                return False
            vector.value, vector.count = z, vector.count + 1
            self._note_input(self._clock() if t is None else t, source)
            self._written(name)
            return True

    def step(self, name: str, by: int | Literal["random"], source: str = "", t: float | None = None) -> bool:
        """A write relative to where the reader is, on an int parameter: `by` steps (+1 next,
        -1 previous), or "random" for anywhere else. The reader resolves it (motion's clock,
        which knows which keyframe it is at); the parameter's value stays the last absolute one."""
        spec = self._specs.get(name)
        if spec is None or spec.type != "int" or not (by == "random" or isinstance(by, int)):
            return False
        with self._lock:
            state = self._states.get(name)
            if state is None:
                return False
            old = state.step
            if by == "random":
                state.step = Step(old.base, old.offset, old.randoms + 1)
            else:
                state.step = Step(old.base, old.offset + by, old.randoms)
            state.count += 1
            self._note_input(self._clock() if t is None else t, source)
            self._written(name)
            return True

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
        if spec.type == "int":
            state.step = Step(state.step.base + 1)
        self._note_input(t, source)
        self._written(name)
        return True

    def _note_input(self, t: float, source: str) -> None:
        if source not in self._internal:
            self._last_input = (t, source)

    def _written(self, name: str) -> None:
        for watcher in self._watchers:
            watcher(name)

    # -- mirroring (installation/sync: a leader's bus copied onto its followers') --------------
    def watch(self, watcher: Callable[[str], None]) -> None:
        """Call `watcher(name)` after each write taken, under the bus's lock: it must only note
        the name (a queue put) and read the entry later with `entries`."""
        with self._lock:
            self._watchers = [*self._watchers, watcher]

    def entries(self, names: Iterable[str] | None = None) -> list[tuple]:
        """The exact state of the named entries (default all), for `restore` on another bus:
        ("param", name, start, target, since, count, base, offset, randoms) or
        ("vector", name, count, values or None)."""
        with self._lock:
            wanted = set(self._states) | set(self._vectors) if names is None else set(names)
            out = []
            for name in sorted(wanted):
                if (state := self._states.get(name)) is not None:
                    slew, step = state.slew, state.step
                    out.append(
                        ("param", name, slew.start, slew.target, slew.since, state.count)
                        + (step.base, step.offset, step.randoms)
                    )
                elif (vector := self._vectors.get(name)) is not None:
                    values = None if vector.value is None else vector.value.tolist()
                    out.append(("vector", name, vector.count, values))
            return out

    def restore(self, entries: Iterable[tuple], source: str = "") -> int:
        """Take entries from another bus's `entries` as they are; names this bus lacks, and
        vectors of another length, are left out. Returns how many were taken."""
        taken = 0
        with self._lock:
            for entry in entries:
                kind, name = entry[0], entry[1]
                if kind == "param" and name in self._states:
                    start, target, since, count, base, offset, randoms = entry[2:9]
                    typed = RESTORED_TYPES.get(self._specs[name].type, int)  # a trigger counts
                    slew = Slew(typed(start), typed(target), since)
                    self._states[name] = _State(slew, count, Step(base, offset, randoms))
                    self._note_input(since, source)
                elif kind == "vector" and name in self._vectors:
                    vector, (count, values) = self._vectors[name], entry[2:4]
                    z = None if values is None else np.array(values, dtype=np.float32)
                    if z is not None and z.shape != (vector.length,):
                        continue
                    if z is not None:
                        z.setflags(write=False)
                    vector.value, vector.count = z, count
                else:
                    continue
                taken += 1
        return taken

    def snapshot(self, t: float | None = None) -> Snapshot:
        """All values as they are at time `t` (default: now), smoothing applied."""
        with self._lock:
            t = self._clock() if t is None else t
            values, counts, steps, glides = {}, {}, {}, {}
            for name, state in self._states.items():
                spec = self._specs[name]
                if spec.type == "float":
                    values[name] = state.slew.at(t, spec.smoothing, spec.slew)
                    if spec.smoothing > 0:
                        glides[name] = Glide(state.slew, spec.smoothing, spec.slew)
                else:
                    values[name] = state.slew.target
                counts[name] = state.count
                if spec.type == "int":
                    steps[name] = state.step
            vectors = {name: v.value for name, v in self._vectors.items()}
            counts.update((name, v.count) for name, v in self._vectors.items())
        return Snapshot(
            t,
            MappingProxyType(values),
            MappingProxyType(counts),
            MappingProxyType(steps),
            MappingProxyType(vectors),
            MappingProxyType(glides),
        )

    @property
    def last_input_time(self) -> float | None:
        """When a person last moved something (a write from a non-internal source), or None."""
        with self._lock:
            return None if self._last_input is None else self._last_input[0]

    @property
    def last_input_source(self) -> str | None:
        with self._lock:
            return None if self._last_input is None else self._last_input[1]
