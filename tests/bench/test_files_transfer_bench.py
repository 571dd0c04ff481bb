"""bench/files_transfer.py still runs, and the server's memory stays flat while a file goes
up and down: ``tessera serve`` over HTTP, the local driver, a 16 MiB file (large enough
that a server holding it whole would show, small enough to take a few seconds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "files_transfer.py"

pytestmark = pytest.mark.database_free


def _bench():
    spec = importlib.util.spec_from_file_location("bench_files_transfer", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_multipart_body_is_streamed_with_its_length(tmp_path):
    bench = _bench()
    path = tmp_path / "data.bin"
    bench.random_file(path, 3 * bench.CHUNK + 5)
    body = bench.MultipartBody(path, {"storage": "local"})
    chunks = list(body)
    assert sum(map(len, chunks)) == len(body)
    assert max(map(len, chunks)) == bench.CHUNK
    joined = b"".join(chunks)
    assert joined.startswith(f"--{body.boundary}\r\n".encode())
    assert b'name="storage"\r\n\r\nlocal\r\n' in joined
    assert joined.endswith(f"\r\n--{body.boundary}--\r\n".encode())


def test_a_file_up_and_down_leaves_the_servers_memory_flat(capsys):
    size_mib = 16
    run = _bench().main(["--size-mb", str(size_mib), "--drivers", "local"])
    assert set(run.transfers) == {("local", "upload"), ("local", "download")}
    for transfer in run.transfers.values():
        assert len(transfer.seconds) == 1
        assert transfer.mib_per_s(run.size) > 1
        assert 20 < transfer.before_mib < transfer.peak_mib + 1
        # Flat: a server holding the file (or a copy of it) would grow by its size.
        assert transfer.growth_mib < size_mib / 2
    out = capsys.readouterr().out
    assert "A 16 MiB file" in out
    assert "download" in out
