"""One rule for tests that need a part of the machine (an X server, JACK, ../shared): locally
they skip and say what is missing; under CI (`CI=true`, set by .ci/run) they fail, because there
the part is installed by .ci/run and its absence is a broken install, not a choice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

CI_VALUES = ("true", "1", "yes")
SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def require_part(name: str, why: str) -> NoReturn:
    """Stop the current test because `name` is missing (`why`: what is missing, how to install it)."""
    message = f"{name} missing: {why}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: .ci/run should have provided it)", pytrace=False)
    pytest.skip(message)
