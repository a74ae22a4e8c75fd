"""`bpu-bot serve` as a real process: health and metrics over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ops.test_cli import cli_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[str]:
    port = free_port()
    env = cli_env(db_url) | {"PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_healthz_and_metrics(server: str) -> None:
    health = httpx.get(f"{server}/healthz")
    assert health.status_code == 200
    assert (health.json()["status"], health.json()["database"]) == ("ok", "ok")
    metrics = httpx.get(f"{server}/metrics")
    assert metrics.status_code == 200 and "bpu_database_up 1.0" in metrics.text
