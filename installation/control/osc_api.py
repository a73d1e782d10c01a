"""The OSC address space: what each address does, its types and ranges (for OSCQuery too).

Under the show's prefix (default `/installation`), following TouchDesigner / Resolume habits:
`/param/NAME f` takes a float parameter's position 0..1 (an int parameter's own value),
`/param/NAME/raw f` any parameter's value in its units, and `/scene`, `/keyframe`, `/seed`,
`/latent`, `/learn`, `/autopilot`, `/status` do what docs/control.md says. Addresses of the
show's own `[[mappings]]` (osc = "/1/fader1") live outside the prefix.

Every handler checks its arguments; anything wrong raises `Refused`, which the dispatcher
counts and drops. Ints stand for booleans (TouchDesigner has none); True/False work too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from installation.control.controls import Controls
from installation.control.drops import Drops
from installation.control.mappings import Mapping
from installation.control.osc_server import Sender
from installation.control.scenes import SceneBook
from installation.params.builtin import LATENT
from installation.params.spec import ParamSpec

ACCESS_WRITE, ACCESS_READ_WRITE = 2, 3


class Refused(Exception):
    """A message that cannot be used; the text is the reason it is counted under."""


@dataclass(frozen=True)
class Node:
    """One OSC method, described the way OSCQuery wants it."""

    path: str
    type: str  # OSC type tags of the arguments it takes ("" for none)
    description: str
    handle: Callable[[tuple, Sender], None]
    access: int = ACCESS_WRITE
    range: tuple[dict[str, Any], ...] = ()  # per argument: {"MIN": .., "MAX": ..} or {"VALS": [..]}
    value: Callable[[dict[str, float]], list[Any]] | None = None  # given Controls.values()


def number(args: tuple, index: int = 0) -> float:
    """Argument `index` as a finite float (ints and booleans accepted)."""
    if index >= len(args):
        raise Refused("missing argument")
    value = args[index]
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (int, float)):
        raise Refused("wrong argument type")
    if not math.isfinite(value):
        raise Refused("not a finite number")
    return float(value)


def pressed(args: tuple) -> bool:
    """For buttons: no argument, or a first argument of 1 (a release sends 0)."""
    return not args or number(args) >= 0.5


def raw_type(spec: ParamSpec) -> type:
    return float if spec.type == "float" else int


def count(args: tuple, low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise Refused("wrong argument count")


class OscApi:
    """Builds the nodes for a show and dispatches messages to them."""

    def __init__(
        self,
        prefix: str,
        controls: Controls,
        drops: Drops,
        *,
        scenes: SceneBook,
        keyframe_count: int,
        status: Callable[[Sender], None],
        learn: Callable[[str], bool],
        autopilot: Callable[[], bool],
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self._controls = controls
        self._scenes = scenes
        self._keyframe_count = max(keyframe_count, 1)
        self._drops = drops
        self._status = status
        self._learn = learn
        self._autopilot = autopilot
        self._nodes: dict[str, Node] = {}

    @property
    def nodes(self) -> dict[str, Node]:
        return self._nodes

    def rebuild(self, mappings: Sequence[Mapping]) -> None:
        """Nodes for the bus's current parameters and the OSC mappings (after start or reload)."""
        nodes: list[Node] = []
        for spec in self._controls.bus.specs.values():
            nodes += self._param_nodes(spec)
        nodes += self._fixed_nodes()
        by_address: dict[str, list[Mapping]] = {}
        for m in mappings:
            by_address.setdefault(m.settings.osc, []).append(m)
        for address, group in by_address.items():
            nodes.append(
                Node(
                    address,
                    "f",
                    "mapped in the show: " + ", ".join(m.target for m in group),
                    self._mapped(group),
                )
            )
        self._nodes = {n.path: n for n in nodes}

    def dispatch(self, address: str, args: tuple, sender: Sender) -> None:
        """The OscServer handler: run the node, count what is refused."""
        node = self._nodes.get(address)
        if node is None:
            self._drops.drop("unknown address", address)
            return
        # Before handling: a person is there even if they sent something wrong, and an
        # "/autopilot 1" must not count as input that arrived after it.
        self._controls.note_input("osc")
        try:
            node.handle(args, sender)
        except Refused as refused:
            self._drops.drop(str(refused), address)

    # --- parameters ------------------------------------------------------------------------

    def _param_nodes(self, spec: ParamSpec) -> list[Node]:
        base = f"{self.prefix}/param/{spec.name}"
        span = {"MIN": spec.min, "MAX": spec.max}
        if spec.type == "trigger":
            return [
                Node(
                    base,
                    "",
                    spec.help or "fires on a message (a 0 is a button's release)",
                    lambda args, _s, n=spec.name: self._trigger(n, args),
                )
            ]
        cast = raw_type(spec)
        raw = Node(
            f"{base}/raw",
            "f" if spec.type == "float" else "i",
            spec.help + (f" ({spec.unit})" if spec.unit else ""),
            lambda args, _s, n=spec.name: self._set(n, args, raw=True),
            ACCESS_READ_WRITE,
            (span,),
            lambda v, n=spec.name, t=cast: [t(v[n])],
        )
        if spec.type == "float":
            main = Node(
                base,
                "f",
                f"{spec.help} (0..1 across {spec.min:g}..{spec.max:g})",
                lambda args, _s, n=spec.name: self._set(n, args, raw=False),
                ACCESS_READ_WRITE,
                ({"MIN": 0.0, "MAX": 1.0},),
                lambda v, s=spec: [s.to_normalized(v[s.name])],
            )
        else:
            main = Node(base, raw.type, raw.description, raw.handle, ACCESS_READ_WRITE, raw.range, raw.value)
        return [main, raw]

    def _set(self, name: str, args: tuple, *, raw: bool) -> None:
        count(args, 1, 1)
        x = number(args)
        spec = self._controls.spec(name)
        if spec is None:
            raise Refused("unknown address")  # reloaded away
        low, high = (spec.min, spec.max) if raw else (0.0, 1.0)
        if not low <= x <= high:
            self._drops.drop("out of range, clamped", f"{self.prefix}/param/{name}")
        value = x if raw else spec.min + min(max(x, 0.0), 1.0) * (spec.max - spec.min)
        self._controls.write(name, value, "osc", "osc")

    def _trigger(self, name: str, args: tuple) -> None:
        count(args, 0, 1)
        if pressed(args):
            self._controls.fire(name, "osc", "osc")

    # --- everything else -------------------------------------------------------------------

    def _fixed_nodes(self) -> list[Node]:
        p, c = self.prefix, self._controls
        scenes = self._scenes.names
        kf_max = self._keyframe_count - 1
        seed = c.spec("seed")
        z = c.bus.vector_length(LATENT) or 0
        return [
            Node(
                f"{p}/scene",
                "s",
                "recall a scene by name or index; a second argument sets the crossfade seconds",
                self._scene,
                ACCESS_READ_WRITE,
                ({"VALS": scenes},),
                lambda _v: [c.scene_name],
            ),
            Node(f"{p}/scene/next", "", "recall the next scene", lambda a, _s: self._act(a, "scene:next")),
            Node(
                f"{p}/scene/previous",
                "",
                "recall the previous scene",
                lambda a, _s: self._act(a, "scene:previous"),
            ),
            Node(
                f"{p}/keyframe",
                "i",
                "go to keyframe i",
                self._keyframe,
                ACCESS_READ_WRITE,
                ({"MIN": 0, "MAX": kf_max},),
                lambda v: [int(v["keyframe"])],
            ),
            Node(
                f"{p}/keyframe/next",
                "",
                "go to the next keyframe",
                lambda a, _s: self._act(a, "keyframe:next"),
            ),
            Node(
                f"{p}/keyframe/previous",
                "",
                "go to the previous keyframe",
                lambda a, _s: self._act(a, "keyframe:previous"),
            ),
            Node(
                f"{p}/seed",
                "i",
                "set the seed",
                self._seed,
                ACCESS_READ_WRITE,
                ({"MIN": 0, "MAX": int(seed.max) if seed else 0},),
                lambda v: [int(v["seed"])],
            ),
            Node(f"{p}/seed/random", "", "a random seed", lambda a, _s: self._act(a, "seed:random")),
            Node(
                f"{p}/latent",
                "f" * z,
                f"override the latent with {z} floats (z); no arguments ends it",
                self._latent,
                ACCESS_WRITE,
                tuple({"MIN": -10.0, "MAX": 10.0} for _ in range(z)),
            ),
            Node(
                f"{p}/learn",
                "s",
                "arm MIDI learn for a parameter (or action); the next MIDI control "
                "moved is bound to it; no argument cancels",
                self._learn_node,
            ),
            Node(
                f"{p}/autopilot",
                "i",
                "1 hands over to the autopilot, 0 takes back",
                self._autopilot_node,
                ACCESS_READ_WRITE,
                ({"MIN": 0, "MAX": 1},),
                lambda _v: [int(self._autopilot())],
            ),
            Node(
                f"{p}/record",
                "i",
                "1 starts recording the show to recordings/DATE-TIME.mp4, 0 stops",
                lambda a, _s: self._controls.action(
                    "record:on" if number(a) >= 0.5 else "record:off", None, "osc"
                ),
            ),
            Node(
                f"{p}/status",
                "",
                "replies to the sender with status and every parameter's value",
                lambda a, sender: self._status(sender),
            ),
        ]

    def _act(self, args: tuple, target: str) -> None:
        count(args, 0, 1)
        if pressed(args):
            self._controls.action(target, None, "osc")

    def _scene(self, args: tuple, _sender: Sender) -> None:
        count(args, 1, 2)
        ref = args[0]
        if not isinstance(ref, str):
            ref = number(args)
            if not ref.is_integer():
                raise Refused("scene index is not a whole number")
        crossfade = number(args, 1) if len(args) == 2 else None
        if crossfade is not None and not 0 <= crossfade <= 3600:
            raise Refused("crossfade out of range")
        if not self._controls.recall_scene(self._scenes, ref, "osc", crossfade):
            raise Refused("no such scene")

    def _keyframe(self, args: tuple, _sender: Sender) -> None:
        count(args, 1, 1)
        self._controls.write("keyframe", round(number(args)) % self._keyframe_count, "osc", "osc")

    def _seed(self, args: tuple, _sender: Sender) -> None:
        count(args, 1, 1)
        self._controls.write("seed", round(number(args)), "osc", "osc")

    def _latent(self, args: tuple, _sender: Sender) -> None:
        bus = self._controls.bus
        if not args:
            bus.set_vector(LATENT, None, "osc")
            return
        length = bus.vector_length(LATENT) or 0
        count(args, length, length)
        if not bus.set_vector(LATENT, [number(args, i) for i in range(len(args))], "osc"):
            raise Refused("latent not usable")

    def _learn_node(self, args: tuple, _sender: Sender) -> None:
        count(args, 0, 1)
        target = args[0] if args else ""
        if not isinstance(target, str):
            raise Refused("wrong argument type")
        if not self._learn(target):
            raise Refused("nothing to learn by that name")

    def _autopilot_node(self, args: tuple, _sender: Sender) -> None:
        count(args, 1, 1)
        self._controls.action("autopilot:on" if number(args) >= 0.5 else "autopilot:off", None, "osc")

    def _mapped(self, group: list[Mapping]) -> Callable[[tuple, Sender], None]:
        def handle(args: tuple, _sender: Sender) -> None:
            count(args, 0, 1)
            for m in group:
                if args:
                    m.absolute(number(args), self._controls, "osc")
                else:  # a bare message is a button press and release
                    m.press(True, self._controls, "osc")
                    m.press(False, self._controls, "osc")

        return handle
