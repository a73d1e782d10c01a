"""The keyboard: which key does what. Keys not listed go only to the key callbacks."""

from __future__ import annotations

ACTIONS = {
    "space": "pause",
    "left": "previous",
    "right": "next",
    "h": "hud",
    "f": "fullscreen",
    "s": "screenshot",
    "r": "record",
    "escape": "quit",
    "q": "quit",
}


def action_of(key_name: str) -> str | None:
    """The action for a key, named as `pygame.key.name` names it ('space', 'left', 'q')."""
    return ACTIONS.get(key_name)
