from tests.engine.live_helpers import one_torch_thread  # noqa: F401  (autouse: tiny models, busy hosts)


def counted_builds(monkeypatch, backend) -> list:
    """The shapes `backend`'s class builds from now on, in this test (to prove "without rebuilding")."""
    builds = []
    build = type(backend)._build
    monkeypatch.setattr(
        type(backend), "_build", lambda self, shape: builds.append(shape) or build(self, shape)
    )
    return builds
