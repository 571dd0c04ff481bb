"""A transformed asset, cold and cached, through the ASGI app.

    .venv/bin/python bench/assets.py                      # 4000x3000 JPEG -> width=800 webp
    .venv/bin/python bench/assets.py --runs 3 --size 2000x1500 --format avif
    .venv/bin/python bench/assets.py --compare http://127.0.0.1:8055 \\
        --compare-token ref-admin-static-token-0001       # and the reference Directus

It makes a fresh SQLite database and a local storage folder in a temporary directory,
stores a ``--size`` JPEG (a gradient under noise, so it compresses like a photograph) with
its ``directus_files`` row, and asks the app in-process (httpx's ASGI transport, no socket)
as the admin for ``/assets/<id>?width=800&format=webp&quality=<q>``:

- cold: a quality not asked before, so the image is decoded, resized, encoded and written
  back to storage before it is sent; ``--runs`` times, each with another quality;
- cached: the same URL again, ``--runs`` times: a stat and a read of the stored variant;
- the original, untransformed, for scale.

With ``--compare`` the same file is uploaded to a running Directus and the same URLs asked
over HTTP (loopback, so a few tenths of a millisecond more per request than in-process).
Medians are printed; nothing is asserted.

Latest figures (2 cores, AMD EPYC, Python 3.11.7, Pillow 13.0, load average 5-7 from other
work; a 4000x3000 JPEG of 5.0 MB, medians of 7, in ms):

=====================  =======  =============
width=800              Tessera  Directus 12.4
=====================  =======  =============
webp, cold             150      122
webp, cached           2.4      14
avif, cold             315      2268
avif, cached           2.6      14
the original           9.6      45
=====================  =======  =============
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import sqlalchemy as sa
from PIL import Image

from tessera.app import create_app
from tessera.config import load_settings
from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.db.system_tables import directus_files, directus_users
from tessera.services.bootstrap import bootstrap
from tessera.storage import LocalDriver, StorageLocations

TOKEN = "bench-admin-token"


def photo(width: int, height: int) -> bytes:
    """A JPEG that compresses like a photograph: a gradient under a little noise."""
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    channels = [Image.blend(base, noise, share) for share in (0.2, 0.35, 0.5)]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "JPEG", quality=90)
    return out.getvalue()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def timed(client: httpx.AsyncClient, url: str, **params: str) -> float:
    started = time.perf_counter()
    answer = await client.get(url, params=params)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed * 1000


async def measure(
    client: httpx.AsyncClient, url: str, args: argparse.Namespace
) -> dict[str, float]:
    """Median milliseconds for a cold transform, a cached one, and the original."""
    base = {"width": str(args.width), "format": args.format}
    cold = [await timed(client, url, **base, quality=str(80 - run)) for run in range(args.runs)]
    cached = [await timed(client, url, **base, quality="80") for _ in range(args.runs)]
    original = [await timed(client, url) for _ in range(args.runs)]
    return {
        "cold": statistics.median(cold),
        "cached": statistics.median(cached),
        "original": statistics.median(original),
    }


async def tessera(data: bytes, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    database = folder / "bench.db"
    settings = load_settings(env_file=None, secret="bench", db_filename=str(database))
    db = Database(settings.database_url)
    migrate(db)
    bootstrap(db, settings)
    with db.write() as conn:
        conn.execute(sa.update(directus_users).values(token=TOKEN))
    driver = LocalDriver(folder / "uploads")
    file_id = str(uuid.uuid4())
    await driver.write(f"{file_id}.jpg", _once(data), content_type="image/jpeg")
    width, height = args.size
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_files).values(
                id=file_id,
                storage="local",
                filename_disk=f"{file_id}.jpg",
                filename_download="photo.jpg",
                type="image/jpeg",
                filesize=len(data),
                width=width,
                height=height,
            )
        )
    app = create_app(settings, db, storage=StorageLocations({"local": driver}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            return await measure(client, f"/assets/{file_id}", args)


async def directus(data: bytes, args: argparse.Namespace) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {args.compare_token}"}
    async with httpx.AsyncClient(base_url=args.compare, headers=headers, timeout=60) as client:
        files = {"file": ("photo.jpg", data, "image/jpeg")}
        uploaded = await client.post("/files", files=files)
        uploaded.raise_for_status()
        file_id = uploaded.json()["data"]["id"]
        try:
            return await measure(client, f"/assets/{file_id}", args)
        finally:
            await client.delete(f"/files/{file_id}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="4000x3000", help="the original's size, WxH")
    parser.add_argument("--width", type=int, default=800, help="the width asked for")
    parser.add_argument("--format", default="webp", help="the format asked for")
    parser.add_argument("--runs", type=int, default=5, help="requests of each kind")
    parser.add_argument("--compare", help="a running Directus, such as http://127.0.0.1:8055")
    parser.add_argument("--compare-token", help="an admin's static token there")
    args = parser.parse_args(argv)
    width, _, height = args.size.partition("x")
    args.size = (int(width), int(height))
    return args


async def run(argv: Sequence[str]) -> dict[str, dict[str, float]]:
    args = parse_args(argv)
    data = photo(*args.size)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["Tessera"] = await tessera(data, args, Path(folder))
    if args.compare:
        results["Directus"] = await directus(data, args)
    size = "x".join(map(str, args.size))
    print(
        f"{size} JPEG of {len(data) / 1e6:.1f} MB -> width={args.width} {args.format}, "
        f"medians of {args.runs} (ms)"
    )
    print(f"{'':<22}" + "".join(f"{name:>12}" for name in results))
    for kind in ("cold", "cached", "original"):
        print(f"{kind:<22}" + "".join(f"{found[kind]:>12.1f}" for found in results.values()))
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    return asyncio.run(run(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
