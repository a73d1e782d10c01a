"""What a parameter is: its type, range, default, unit and how fast it follows new values.

`ParamSpec` is also the schema of a show file's `[parameters.NAME]` tables.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from installation.show.schema import AnyOf, Choice, Flag, Number, SchemaError, Text, number_text, setting

TYPES = ("float", "int", "bool", "trigger")
SLEWS = ("exponential", "linear")

Value = float | int | bool


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One named parameter. Triggers are momentary: their value is the number of times fired."""

    name: str
    type: str = setting("float", Choice(TYPES), "float, int, bool, or trigger (a momentary event)")
    min: float = setting(0.0, Number(), "lowest value (float and int)")
    max: float = setting(1.0, Number(), "highest value (float and int)")
    default: Any = setting(
        None, AnyOf((Number(), Flag())), "value at start; a number, or true/false for bool (default: min)"
    )
    unit: str = setting("", Text(), "shown on the HUD next to the value")
    smoothing: float = setting(
        0.0,
        Number(0, 600),
        "seconds to follow a new value: the time constant of an exponential slew, "
        "or the glide time of a linear one; 0 jumps (float only)",
    )
    slew: str = setting("exponential", Choice(SLEWS), "how a float follows new values")
    help: str = setting("", Text(), "what the parameter does, for people mapping controls")
    label: str = setting("", Text(), 'name shown on the control page (e.g. a direction\'s: "smile")')

    def __post_init__(self) -> None:
        if self.smoothing and self.type != "float":
            raise SchemaError(("smoothing",), f"only float parameters are smoothed, this one is {self.type}")
        if self.type in ("bool", "trigger"):
            # Fixed ranges; an absent default means off / never fired.
            object.__setattr__(self, "min", 0.0)
            object.__setattr__(self, "max", 1.0)
            object.__setattr__(self, "default", bool(self.default) if self.type == "bool" else 0)
            return
        if not self.min < self.max:
            low, high = number_text(self.min), number_text(self.max)
            raise SchemaError(("max",), f"max ({high}) must be above min ({low})")
        default = self.min if self.default is None else self.default
        if isinstance(default, bool) or not self.min <= default <= self.max:
            raise SchemaError(
                ("default",),
                f"expected a number from {number_text(self.min)} to {number_text(self.max)}, got {default}",
            )
        if self.type == "int":
            object.__setattr__(self, "default", int(round(default)))
        else:
            object.__setattr__(self, "default", float(default))

    def clamp(self, value: Any) -> Value | None:
        """`value` as this parameter's type, within range; None for something unusable (NaN, text)."""
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        if self.type == "bool":
            return value >= 0.5
        value = min(max(value, self.min), self.max)
        return int(round(value)) if self.type == "int" else float(value)

    def from_normalized(self, x01: float) -> Value | None:
        """A controller position in [0, 1] (a fader, a knob) mapped onto the range."""
        if not isinstance(x01, (int, float)) or not math.isfinite(x01):
            return None
        x01 = min(max(float(x01), 0.0), 1.0)
        return self.clamp(self.min + x01 * (self.max - self.min))

    def to_normalized(self, value: Value) -> float:
        return (float(value) - self.min) / (self.max - self.min)
