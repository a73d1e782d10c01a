"""Who may use the page: the token's sources, the comparison, the rate limit."""

from __future__ import annotations

import ipaddress
import logging

from installation.web.security import TOKEN_VARIABLE, RateLimit, resolve_token, token_ok
from installation.web.server import lan_address


def test_loopback_needs_no_token_and_beyond_it_one_comes_from_the_show_the_environment_or_the_log(
    monkeypatch, caplog
):
    monkeypatch.setenv(TOKEN_VARIABLE, "from-env")
    assert resolve_token("127.0.0.1", "from-show") is None
    assert resolve_token("0.0.0.0", "from-show") == "from-show"
    assert resolve_token("192.168.1.10", "") == "from-env"
    monkeypatch.delenv(TOKEN_VARIABLE)
    with caplog.at_level(logging.WARNING, logger="installation.web"):
        made = resolve_token("0.0.0.0", "")
    assert len(made) >= 16 and made in caplog.text  # printed for whoever started the show
    assert resolve_token("0.0.0.0", "") != made  # a new one each start unless kept


def test_tokens_compare_exactly():
    assert token_ok(None, None) and token_ok(None, "anything")
    assert token_ok("sesame", "sesame")
    assert not token_ok("sesame", None) and not token_ok("sesame", "sesam") and not token_ok("sesame", "")


def test_the_rate_limit_takes_a_burst_then_the_rate():
    now = [0.0]
    limit = RateLimit(10, burst=20, clock=lambda: now[0])
    assert sum(limit.take() for _ in range(50)) == 20
    now[0] += 1.0
    assert sum(limit.take() for _ in range(50)) == 10


def test_the_address_printed_for_every_interface_is_one_of_this_machine():
    assert not ipaddress.ip_address(lan_address()).is_unspecified
