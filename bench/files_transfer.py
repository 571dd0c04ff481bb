"""A large file up and down through REST over HTTP: throughput, and the server's memory.

    .venv/bin/python bench/files_transfer.py                        # 100 MiB, local and S3
    .venv/bin/python bench/files_transfer.py --size-mb 500 --rounds 3 --drivers local

It writes ``--size-mb`` MiB of random bytes to a file in a temporary directory, starts
moto's S3 server on loopback (as tests/storage/conftest.py does, ``moto`` being in the
``[test]`` extras) with a bucket for it, and ``tessera serve`` in its own process on a free
loopback port, on a fresh SQLite project in that directory with an admin static token and
two storage locations: ``local`` (a folder there) and ``s3`` (that bucket). Then, for each
driver and each of ``--rounds`` rounds:

- upload: ``POST /files`` with a ``multipart/form-data`` body (the ``storage`` field, then
  the file), streamed from disk by the client in 1 MiB chunks with its Content-Length: timed
  from the first byte sent to the answer with the stored row (for S3 that includes the
  server-side copy of the temporary object to its final key);
- download: ``GET /assets/:id``, read as a stream and hashed; the size and SHA-256 must be
  the file's;
- the file deleted.

Memory is the Tessera process's (one process: ``tessera serve`` with one worker). Before
the rounds, a 1 MiB file goes up and down once per driver, so that what the first request
loads for good (botocore's S3 model, the S3 client, the multipart parser) is in the *idle*
figure. Before each transfer the kernel's high-water mark is reset (``5`` written to
/proc/<pid>/clear_refs) and the RSS read; after it, VmHWM is the peak during the transfer
(where the reset is refused, VmRSS sampled every 5 ms is used). *Growth* is that peak less
the RSS just before, the worst of the rounds: flat memory is a growth of a few MiB whatever
the file's size; a server holding the file would grow by about its size. Throughput is
the median of the rounds, in MiB/s. Client and servers share the machine's cores.

Latest figures: README "Benchmarks", "Uploads and downloads of a large file".
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TOKEN = "bench-admin-static-token"
SECRET = "bench-secret-" + "x" * 32
BUCKET = "tessera-bench"
MIB = 1024 * 1024
CHUNK = MIB
DRIVERS = ("local", "s3")


# -- the file and the request body -----------------------------------------------------------


def random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path``, a chunk at a time; their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


@dataclass
class MultipartBody:
    """A ``multipart/form-data`` body of form fields then one file read from disk as sent."""

    path: Path
    fields: dict[str, str]
    filename: str = "random.bin"
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _head(self) -> bytes:
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields.items()
        ]
        parts.append(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{self.filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        return "".join(parts).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head()) + self.path.stat().st_size + len(self._tail())

    def __iter__(self) -> Iterator[bytes]:
        yield self._head()
        with self.path.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk
        yield self._tail()


# -- the server's memory ---------------------------------------------------------------------


def _status_kb(pid: int, name: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{name}:\s+(\d+) kB", status, re.MULTILINE)
    if not found:
        raise RuntimeError(f"no {name} in /proc/{pid}/status")
    return int(found.group(1))


class PeakRSS:
    """The peak RSS of a process during a ``with`` block, and its RSS before it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before_kb = 0
        self.peak_kb = 0
        self.exact = False
        self._sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def rss_kb(self) -> int:
        return _status_kb(self.pid, "VmRSS")

    def __enter__(self) -> PeakRSS:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
            self.exact = True
        except OSError:
            self.exact = False
        self.before_kb = self.rss_kb()
        self._sampled = self.before_kb
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            with contextlib.suppress(OSError, RuntimeError):
                self._sampled = max(self._sampled, self.rss_kb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self._sampled = max(self._sampled, self.rss_kb())
        hwm = _status_kb(self.pid, "VmHWM") if self.exact else 0
        self.peak_kb = max(hwm, self._sampled)


# -- the servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def moto_server(folder: Path) -> Iterator[str]:
    """moto's S3 server on a free loopback port, with the bucket; yields its address."""
    log = folder / "moto.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            found = re.search(rb"Running on (http://127\.0\.0\.1:\d+)", log.read_bytes())
            if found:
                endpoint = found.group(1).decode()
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"moto's S3 server did not start:\n{log.read_text('utf-8')}")
            time.sleep(0.05)
        # moto checks no signature: the bucket is one plain PUT away.
        httpx.put(f"{endpoint}/{BUCKET}", timeout=10).raise_for_status()
        yield endpoint
    finally:
        _stop(server, signal.SIGTERM)


def server_env(folder: Path, s3_endpoint: str | None) -> dict[str, str]:
    """The environment ``tessera serve`` reads its settings from (it runs in ``folder``)."""
    env = {
        "SECRET": SECRET,
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": "bench-password",
        "ADMIN_TOKEN": TOKEN,
        "PUBLIC_URL": "http://127.0.0.1",
        "LOG_LEVEL": "warn",
        "DB_CLIENT": "sqlite3",
        "DB_FILENAME": str(folder / "bench.db"),
        "STORAGE_LOCATIONS": "local",
        "STORAGE_LOCAL_DRIVER": "local",
        "STORAGE_LOCAL_ROOT": str(folder / "uploads"),
    }
    if s3_endpoint:
        env.update(
            STORAGE_LOCATIONS="local,s3",
            STORAGE_S3_DRIVER="s3",
            STORAGE_S3_BUCKET=BUCKET,
            STORAGE_S3_ENDPOINT=s3_endpoint,
            STORAGE_S3_KEY="bench",
            STORAGE_S3_SECRET="bench",
            STORAGE_S3_REGION="us-east-1",
            STORAGE_S3_FORCE_PATH_STYLE="true",
        )
    return env


def _tessera_command() -> list[str]:
    script = Path(sys.executable).with_name("tessera")
    if script.exists():
        return [str(script)]
    found = shutil.which("tessera")
    return [found] if found else [sys.executable, "-m", "tessera"]


@contextlib.contextmanager
def tessera_server(folder: Path, s3_endpoint: str | None) -> Iterator[tuple[str, int]]:
    """``tessera serve`` in its own process; yields its base URL and pid."""
    port = free_port()
    command = [*_tessera_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, **server_env(folder, s3_endpoint)}
    for name in list(env):  # nothing of the caller's own Tessera settings
        if name.startswith(("STORAGE_", "DB_")) and name not in server_env(folder, s3_endpoint):
            del env[name]
    log = folder / "tessera.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"Tessera exited with {server.returncode}:\n{log.read_text()}")
            try:
                httpx.get(f"{base}/server/ping", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"Tessera did not start in 60 s:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield base, server.pid
    finally:
        _stop(server)


# -- one transfer each way -------------------------------------------------------------------


def upload(client: httpx.Client, path: Path, storage: str) -> tuple[float, str]:
    """``POST /files`` of the file at ``path`` to ``storage``: seconds, and the new id."""
    body = MultipartBody(path, {"storage": storage})
    headers = {"Content-Type": body.content_type, "Content-Length": str(len(body))}
    started = time.perf_counter()
    answer = client.post("/files", content=iter(body), headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise SystemExit(f"POST /files answered {answer.status_code}: {answer.text[:500]}")
    row = answer.json()["data"]
    if row["storage"] != storage or int(row["filesize"]) != path.stat().st_size:
        raise SystemExit(f"POST /files stored {row!r}")
    return elapsed, row["id"]


def download(client: httpx.Client, file_id: str, size: int, sha256: str) -> float:
    """``GET /assets/:id`` read as a stream; seconds. The content must be the file's."""
    digest, received = hashlib.sha256(), 0
    started = time.perf_counter()
    with client.stream("GET", f"/assets/{file_id}") as answer:
        if answer.status_code != 200:
            answer.read()
            raise SystemExit(f"GET /assets answered {answer.status_code}: {answer.text[:500]}")
        for chunk in answer.iter_raw(CHUNK):
            digest.update(chunk)
            received += len(chunk)
    elapsed = time.perf_counter() - started
    if received != size or digest.hexdigest() != sha256:
        raise SystemExit(f"GET /assets/{file_id} sent {received} bytes, not the file's {size}")
    return elapsed


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Transfer:
    """One driver and direction over the rounds."""

    seconds: list[float] = field(default_factory=list)
    before_kb: list[int] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    exact: bool = True

    def mib_per_s(self, size: int) -> float:
        return size / MIB / statistics.median(self.seconds)

    @property
    def growth_mib(self) -> float:
        return (
            max(peak - before for peak, before in zip(self.peak_kb, self.before_kb, strict=True))
            / 1024
        )

    @property
    def peak_mib(self) -> float:
        return max(self.peak_kb) / 1024

    @property
    def before_mib(self) -> float:
        return statistics.median(self.before_kb) / 1024


@dataclass
class Run:
    size: int
    rounds: int
    drivers: list[str]
    started_mib: float = 0.0
    idle_mib: float = 0.0
    client_peak_mib: float = 0.0
    #: Tessera's RSS after each round (its files deleted).
    rounds_mib: list[float] = field(default_factory=list)
    transfers: dict[tuple[str, str], Transfer] = field(default_factory=dict)


def transfer_once(
    client: httpx.Client, pid: int, path: Path, sha256: str, driver: str, run: Run
) -> None:
    up = run.transfers.setdefault((driver, "upload"), Transfer())
    with PeakRSS(pid) as memory:
        seconds, file_id = upload(client, path, driver)
    up.seconds.append(seconds)
    up.before_kb.append(memory.before_kb)
    up.peak_kb.append(memory.peak_kb)
    up.exact = up.exact and memory.exact
    down = run.transfers.setdefault((driver, "download"), Transfer())
    with PeakRSS(pid) as memory:
        seconds = download(client, file_id, path.stat().st_size, sha256)
    down.seconds.append(seconds)
    down.before_kb.append(memory.before_kb)
    down.peak_kb.append(memory.peak_kb)
    down.exact = down.exact and memory.exact
    client.delete(f"/files/{file_id}").raise_for_status()


def warm_up(client: httpx.Client, folder: Path, drivers: Sequence[str]) -> None:
    """A 1 MiB file up, down and deleted once per driver, untimed."""
    small = folder / "warm-up.bin"
    sha256 = random_file(small, MIB)
    for driver in drivers:
        _, file_id = upload(client, small, driver)
        download(client, file_id, MIB, sha256)
        client.delete(f"/files/{file_id}").raise_for_status()
    small.unlink()


def run_benchmark(args: argparse.Namespace, folder: Path) -> Run:
    size = int(args.size_mb * MIB)
    run = Run(size=size, rounds=args.rounds, drivers=list(args.drivers))
    path = folder / "random.bin"
    sha256 = random_file(path, size)
    with contextlib.ExitStack() as stack:
        s3 = stack.enter_context(moto_server(folder)) if "s3" in args.drivers else None
        base, pid = stack.enter_context(tessera_server(folder, s3))
        run.started_mib = _status_kb(pid, "VmRSS") / 1024
        headers = {"Authorization": f"Bearer {TOKEN}"}
        timeout = httpx.Timeout(600, connect=10)
        client = stack.enter_context(httpx.Client(base_url=base, headers=headers, timeout=timeout))
        warm_up(client, folder, run.drivers)
        time.sleep(0.5)
        run.idle_mib = _status_kb(pid, "VmRSS") / 1024
        for _ in range(args.rounds):
            for driver in run.drivers:
                transfer_once(client, pid, path, sha256, driver, run)
            run.rounds_mib.append(_status_kb(pid, "VmRSS") / 1024)
    run.client_peak_mib = _status_kb(os.getpid(), "VmHWM") / 1024
    return run


def report(run: Run) -> None:
    size_mib = run.size / MIB
    print(
        f"A {size_mib:g} MiB file of random bytes, {run.rounds} round(s); Tessera's RSS "
        f"{run.started_mib:.1f} MiB started, {run.idle_mib:.1f} MiB idle after the warm-up"
    )
    header = ("driver", "transfer", "MiB/s", "RSS before", "peak RSS", "growth")
    rows = [header]
    for (driver, direction), transfer in run.transfers.items():
        rows.append(
            (
                driver,
                direction,
                f"{transfer.mib_per_s(run.size):.0f}",
                f"{transfer.before_mib:.1f} MiB",
                f"{transfer.peak_mib:.1f} MiB",
                f"{transfer.growth_mib:+.1f} MiB",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for index, row in enumerate(rows):
        print(
            "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    if not all(transfer.exact for transfer in run.transfers.values()):
        print("(VmHWM could not be reset: peaks are VmRSS sampled every 5 ms)")
    after = ", ".join(f"{rss:.1f}" for rss in run.rounds_mib)
    print(f"Tessera's RSS after each round: {after} MiB")
    worst = max(transfer.growth_mib for transfer in run.transfers.values())
    print(
        f"Worst growth {worst:+.1f} MiB for a {size_mib:g} MiB file; the client's own peak RSS "
        f"{run.client_peak_mib:.1f} MiB."
    )
    if "s3" in run.drivers:
        print(
            "(An S3 upload holds up to about two parts at a time, the chunks filling one and"
            " their join: some 20 MiB with 8 MiB parts, whatever the file's size.)"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=float, default=100, help="file size in MiB (100)")
    parser.add_argument("--rounds", type=int, default=1, help="transfers each way per driver (1)")
    parser.add_argument(
        "--drivers",
        nargs="+",
        choices=DRIVERS,
        default=list(DRIVERS),
        help="storage drivers (local s3)",
    )
    args = parser.parse_args(argv)
    if args.size_mb <= 0 or args.rounds < 1:
        parser.error("--size-mb must be positive and --rounds at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> Run:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tessera-files-bench-") as folder:
        run = run_benchmark(args, Path(folder))
    report(run)
    return run


if __name__ == "__main__":
    main(sys.argv[1:])
