"""A bounded hand-over between the engine's thread and a sink's: the oldest frame gives way."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class DropOldestQueue(Generic[Item]):
    """`put` never waits: when `size` items are waiting, the oldest is dropped and counted.
    `get` waits for the next item; after `close`, it returns what is left, then None."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a queue holds at least one item")
        self._items: deque[Item] = deque()
        self._size = size
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, item: Item) -> None:
        with self._ready:
            if len(self._items) >= self._size:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()

    def get(self) -> Item | None:
        with self._ready:
            while not self._items and not self._closed:
                self._ready.wait()
            return self._items.popleft() if self._items else None

    def take_due(self, due: Callable[[Item], bool]) -> Item | None:
        """Remove every item for which `due(item)` holds and return the last of them put (None if
        there is none); the others stay, in order."""
        with self._ready:
            taken = [item for item in self._items if due(item)]
            if taken:
                self._items = deque(item for item in self._items if not due(item))
            return taken[-1] if taken else None

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        return len(self._items)
