"""Hot reload with a real file on disk: valid edits arrive, invalid ones are reported and ignored."""

import logging
import os
import threading
import time

from installation.show.loader import load_show
from installation.show.watcher import ShowWatcher

SHOW = '[show]\nname = "{name}"\n[motion]\nperiod_seconds = {period}\n'


def rewrite(path, text):
    path.write_text(text)
    # Move the mtime into the past, as for a file saved a while ago, so only content decides.
    stamp = time.time() - 10 - len(text) / 1000
    os.utime(path, (stamp, stamp))


def test_poll_applies_valid_edits_and_keeps_the_show_on_invalid_ones(tmp_path, caplog):
    path = tmp_path / "live.toml"
    rewrite(path, SHOW.format(name="one", period=10))
    received = []
    watcher = ShowWatcher(load_show(path), received.append)
    assert watcher.poll() is None  # nothing changed

    rewrite(path, SHOW.format(name="two", period=20))
    new = watcher.poll()
    assert new is not None and new.info.name == "two" and new.motion.period_seconds == 20.0
    assert received == [new] and watcher.show is new

    with caplog.at_level(logging.WARNING):
        rewrite(path, SHOW.format(name="three", period='"slow"'))
        assert watcher.poll() is None
    assert watcher.show is new and received == [new]
    assert "live.toml:4: motion.period_seconds" in watcher.last_error
    assert "keeping the running one" in caplog.text
    assert watcher.poll() is None  # the same broken file is not reported again

    rewrite(path, SHOW.format(name="four", period=40))
    assert watcher.poll().info.name == "four" and watcher.last_error is None


def test_same_content_is_not_a_change(tmp_path):
    path = tmp_path / "live.toml"
    rewrite(path, SHOW.format(name="one", period=10))
    received = []
    watcher = ShowWatcher(load_show(path), received.append)
    os.utime(path, (time.time() - 5, time.time() - 5))  # touched, not edited
    assert watcher.poll() is None and received == []


def test_fresh_saves_of_the_same_size_are_seen(tmp_path):
    path = tmp_path / "live.toml"
    path.write_text(SHOW.format(name="aaa", period=10))
    watcher = ShowWatcher(load_show(path), lambda show: None)
    path.write_text(SHOW.format(name="bbb", period=10))  # same size, same coarse mtime tick
    assert watcher.poll().info.name == "bbb"


def test_thread(tmp_path):
    path = tmp_path / "live.toml"
    rewrite(path, SHOW.format(name="one", period=10))
    arrived = threading.Event()
    errors = []
    watcher = ShowWatcher(
        load_show(path), lambda show: arrived.set(), interval=0.02, on_error=errors.append
    ).start()
    try:
        rewrite(path, "[show]\nname = 3\n")
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            time.sleep(0.02)
        assert errors and "show.name: expected a string, got 3" in errors[0]
        rewrite(path, SHOW.format(name="two", period=10))
        assert arrived.wait(5)
        assert watcher.show.info.name == "two"
    finally:
        watcher.stop()


def test_an_emptied_file_mid_save_is_not_an_edit(tmp_path):
    path = tmp_path / "live.toml"
    rewrite(path, SHOW.format(name="one", period=10))
    changes = []
    watcher = ShowWatcher(load_show(path), changes.append)
    rewrite(path, "")  # the moment between an editor's truncate and its write
    assert watcher.poll() is None and not changes and watcher.show.info.name == "one"
    rewrite(path, SHOW.format(name="two", period=10))
    assert watcher.poll() is not None and watcher.show.info.name == "two"


def test_an_edit_with_a_mistake_across_sections_keeps_the_running_show(tmp_path):
    path = tmp_path / "live.toml"
    rewrite(path, SHOW.format(name="one", period=10) + '[[mappings]]\nkey = "g"\nto = "psi"\n')
    errors, received = [], []
    watcher = ShowWatcher(load_show(path), received.append, on_error=errors.append)
    rewrite(path, SHOW.format(name="two", period=10) + '[[mappings]]\nkey = "g"\nto = "glowx"\n')
    assert watcher.poll() is None and received == []
    assert watcher.show.info.name == "one" and watcher.show.mappings[0].to == "psi"
    assert len(errors) == 1 and "live.toml:7: mappings[0].to: no parameter 'glowx'" in errors[0]
