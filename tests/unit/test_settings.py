"""Settings defaults that depend on the machine."""

from __future__ import annotations

import os

import pytest

from c360.settings import Settings


def test_the_api_runs_one_worker_process_per_core_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("C360_API_WORKERS", raising=False)
    for cores, workers in ((2, 2), (1, 1), (None, 1), (32, 8)):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert Settings().api_workers == workers, cores
    monkeypatch.setenv("C360_API_WORKERS", "3")
    assert Settings().api_workers == 3
