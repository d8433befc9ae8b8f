"""Process-wide defaults: worker processes per core, the garbage collector when serving."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from c360.settings import Settings


def test_the_api_runs_a_worker_process_per_core_less_one_for_the_embedded_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("C360_API_WORKERS", raising=False)
    monkeypatch.delenv("C360_GRAPH_URI", raising=False)
    remote = {"graph_uri": "bolt://graph:7687"}
    for cores, extra, workers in ((2, {}, 1), (2, remote, 2), (4, {}, 3), (1, {}, 1),
                                  (None, {}, 1), (32, {}, 8), (32, remote, 8)):  # fmt: skip
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert Settings(**extra).api_workers == workers, (cores, extra)
    monkeypatch.setenv("C360_API_WORKERS", "3")
    assert Settings().api_workers == 3


def test_serving_freezes_start_up_objects_and_collects_young_ones_less_often() -> None:
    # In a process of its own: the collector's settings are the whole process's.
    code = (
        "import gc; from c360.serving import settle_gc; settle_gc(); "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["20000", "True"]
