"""Benchmarks: measured speed, printed as tables and written as JSON. Never used by tests' asserts."""
