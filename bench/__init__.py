"""Stapel's benchmark harness: the real server on a real Postgres, driven by wrk.

Run it with ``python -m bench run`` (see docs/performance.md).
"""
