"""The parameter bus: named, typed, smoothed values that controllers write and motion reads."""

from installation.params.builtin import builtin_parameters
from installation.params.bus import ParameterBus, Snapshot
from installation.params.spec import ParamSpec

__all__ = ["ParamSpec", "ParameterBus", "Snapshot", "builtin_parameters"]
