from tests.engine.live_helpers import one_torch_thread  # noqa: F401  (autouse)
