"""bench/assets.py still runs: a small image, one request of each kind, no timings checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "assets.py"

pytestmark = pytest.mark.database_free


def test_the_benchmark_times_cold_cached_and_original(capsys):
    spec = importlib.util.spec_from_file_location("bench_assets", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    results = module.main(["--runs", "1", "--size", "400x300", "--width", "80"])
    assert set(results) == {"Tessera"}
    assert set(results["Tessera"]) == {"cold", "cached", "original"}
    assert all(value > 0 for value in results["Tessera"].values())
    assert "400x300 JPEG" in capsys.readouterr().out
