"""Key bindings: `[[mappings]]` with key = "NAME", fed by the display's key events.

The display calls `Keyboard.on_key(name)` with pygame's key name ("space", "a", "1", "up",
"f1", ...) for each key pressed. A key bound to an action, a trigger or an on/off parameter
acts on the press; a key bound to a value parameter moves it by one step (the mapping's
`step`, else `[keyboard] step`, a fraction of the range; give a negative step for "down").
"""

from __future__ import annotations

from collections.abc import Sequence

from installation.control.controls import Controls
from installation.control.mappings import Mapping


def key_name(name: str) -> str:
    return name.strip().lower()


class Keyboard:
    def __init__(self, mappings: Sequence[Mapping], controls: Controls, step: float) -> None:
        self._controls = controls
        self._step = step
        self._bindings: dict[str, list[Mapping]] = {}
        for m in mappings:
            self._bindings.setdefault(key_name(m.settings.key), []).append(m)

    def on_key(self, name: str) -> bool:
        """Handle one key press; False when the key is not bound (the display may use it)."""
        bound = self._bindings.get(key_name(name))
        if not bound:
            return False
        self._controls.note_input("key")
        for m in bound:
            if m.is_button:
                m.press(True, self._controls, "key")
                m.press(False, self._controls, "key")
            else:
                m.relative(1, self._controls, "key", self._step)
        return True
