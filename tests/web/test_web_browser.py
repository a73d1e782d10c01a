"""The page in a real browser (Debian's headless Chromium, driven by Playwright) against a live
show in a real window: it loads, its faders write the bus and change the picture, OSC moves
them, a wrong token is refused, and it fits a phone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from installation.web.server import ServerSettings, WebServer
from tests.control.helpers import eventually
from tests.web.conftest import chromium_or_skip

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
# Set to a path (docs/web-phone.png) to keep the phone screenshot for the docs.
SCREENSHOT_VARIABLE = "INSTALLATION_WEB_SCREENSHOT"


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, web_show):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    tab = context.new_page()
    tab.goto(web_show.url)
    tab.wait_for_selector("#conn[data-state='live']")
    tab.wait_for_selector("#p-psi")
    yield tab
    context.close()


def on_screen(web_show) -> np.ndarray:
    """What the window shows now (its pixels, read back)."""
    live = web_show.live
    return web_show.presenter.screen.show(live.pair_at(live.clock.now()), capture=True)


def until(web_show, tab, script: str, arg=None, timeout: float = 30.0) -> None:
    """Wait for `script` to hold in the page, presenting meanwhile (the test's thread is the
    window's: without it presenting, the engine's look-ahead fills and nothing new renders)."""
    assert eventually(lambda: (web_show.pump(0.1), tab.evaluate(script, arg))[1], timeout), script


def drag_to_start(page, selector: str) -> None:
    """A finger (the mouse) on a fader, dragged to its low end."""
    box = page.locator(selector).bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for fraction in (0.4, 0.2, 0.0):
        page.mouse.move(box["x"] + box["width"] * fraction, y)
    page.mouse.move(box["x"] - 20, y)
    page.mouse.up()


def test_the_page_has_every_parameter_scene_keyframe_and_the_status(page, web_show):
    names = set(page.eval_on_selector_all("[data-name]", "els => els.map(e => e.dataset.name)"))
    assert names == set(web_show.live.bus.specs)
    assert page.locator("#p-glow").get_attribute("type") == "checkbox"
    assert page.locator("#p-psi").get_attribute("type") == "range"
    assert page.locator("#p-seed").get_attribute("type") == "number"  # too wide for a fader
    assert page.locator("#scene-list button").all_inner_texts() == ["calm"]
    assert len(page.locator("#keyframes button").all()) == 3
    assert len(page.locator(".direction").all()) == 3  # the SeFa strips, each with a name field
    page.wait_for_function("() => document.getElementById('status').textContent.includes('screen fps')")
    assert "problems" in page.locator("#status").inner_text()


def test_a_fader_writes_the_bus_and_changes_the_picture_on_screen(page, web_show):
    live, controls = web_show.live, web_show.surfaces.controls
    page.click("#pause")
    assert eventually(lambda: live.clock.paused, timeout=5)
    web_show.pump(1.5)  # the paused picture settles
    before = on_screen(web_show)
    web_show.pump(0.5)
    assert np.array_equal(on_screen(web_show), before)  # paused: a still picture
    previews = page.evaluate("document.getElementById('preview').src")

    drag_to_start(page, "#p-cutoff")  # psi then reaches no layer: untruncated
    assert eventually(lambda: controls.current("cutoff") == 0, timeout=5)
    assert controls.last_writer("cutoff") == "web"
    assert eventually(lambda: (web_show.pump(0.2), not np.array_equal(on_screen(web_show), before))[1], 20)
    until(web_show, page, "(old) => document.getElementById('preview').src !== old", previews)
    page.click("#pause")
    assert eventually(lambda: not live.clock.paused, timeout=5)


def test_an_osc_write_moves_the_fader_on_the_page(page, web_show):
    client = SimpleUDPClient(*web_show.surfaces.osc.address)
    client.send_message("/installation/param/radius", 0.75)  # radius spans 0..2
    until(web_show, page, "() => Number(document.getElementById('p-radius').value) === 1.5", timeout=5)
    client.send_message("/installation/param/glow", 1)
    until(web_show, page, "() => document.getElementById('p-glow').checked", timeout=5)


def test_a_wrong_token_is_refused(browser, web_show):
    server = WebServer(ServerSettings("0.0.0.0", 0, "sesame"), web_show.web.page).start()
    context = browser.new_context()
    try:
        tab = context.new_page()
        port = server.address[1]
        response = tab.goto(f"http://127.0.0.1:{port}/?token=wrong")
        assert response.status == 403 and "wrong or missing token" in tab.content()
        tab.goto(f"http://127.0.0.1:{port}/?token=sesame")
        tab.wait_for_selector("#conn[data-state='live']")
        assert tab.locator("#p-psi").count() == 1
    finally:
        context.close()
        server.stop()


def test_the_page_fits_a_phone(browser, web_show, tmp_path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        tab = context.new_page()
        tab.goto(web_show.url)
        tab.wait_for_selector("#conn[data-state='live']")
        until(web_show, tab, "() => document.getElementById('preview').naturalWidth > 0")
        until(
            web_show,
            tab,
            "() => [...document.querySelectorAll('#grid img')].filter((i) => i.naturalWidth).length >= 6",
        )
        widest = tab.evaluate("document.documentElement.scrollWidth")
        assert widest <= PHONE["width"]  # nothing runs off the side
        shot = tmp_path / "phone.png"
        tab.screenshot(path=str(shot), full_page=False)
    finally:
        context.close()
    import cv2

    image = cv2.imread(str(shot))
    assert image.shape[:2] == (PHONE["height"] * 2, PHONE["width"] * 2)
    assert image.std() > 10  # a page, not a blank
    keep = os.environ.get(SCREENSHOT_VARIABLE)
    if keep:
        shutil.copy(shot, Path(keep))
