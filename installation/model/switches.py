"""Switches that a `with` block turns on for the code it runs: how a graph is traced for one
runtime (ONNX or Inductor) without threading a flag through every layer's arguments. A
context variable, so a trace in one thread never changes a render in another."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator


class Switch:
    """Off, but inside `with switch.on():`."""

    def __init__(self, name: str) -> None:
        self._on = contextvars.ContextVar(name, default=False)

    def __bool__(self) -> bool:
        return self._on.get()

    @contextlib.contextmanager
    def on(self) -> Iterator[None]:
        token = self._on.set(True)
        try:
            yield
        finally:
            self._on.reset(token)
