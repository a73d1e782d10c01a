"""The web control surface: a page built from the show, live over a WebSocket.

`server.WebSurface` serves it (aiohttp, in its own thread and event loop); `page.ShowPage` is
what the page can see and do, written through `Controls` like every other surface;
`preview.Preview` taps the engine's frames; `explorer.Explorer` renders seed thumbnails at low
priority; `showfile` writes choices back into the show file, comments kept.
"""
