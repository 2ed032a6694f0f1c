"""Process tuning done after start-up."""

from __future__ import annotations

import gc

from app.runtime import fix_mmap_threshold, settle_heap


def test_settling_the_heap_freezes_what_exists_and_collects_less_eagerly() -> None:
    settle_heap()
    assert gc.get_freeze_count() > 0
    first, _, _ = gc.get_threshold()
    assert first > 700  # the interpreter's default


def test_the_mmap_threshold_is_fixed_on_glibc() -> None:
    # The test machines and the image run glibc, where the option exists and is accepted.
    assert fix_mmap_threshold() is True
