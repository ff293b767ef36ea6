"""`hubtools hub serve` as a real process: it announces its URL, answers, and stops on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest


def _serve(tmp_path, *extra: str) -> tuple[subprocess.Popen, str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtools", "hub", "serve", "--root", str(tmp_path / "hub"), "--port", "0", *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stderr:
            lines.append(line)
            if "HF_ENDPOINT=" in line:
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(30):
        process.kill()
        pytest.fail(f"server did not announce its URL: {lines}")
    match = re.search(r"HF_ENDPOINT=(\S+)", "".join(lines))
    if match is None:
        process.kill()
        pytest.fail(f"server did not start: {''.join(lines)}")
    return process, match.group(1), lines


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_stops_on_signal(tmp_path, stop_signal):
    process, url, lines = _serve(tmp_path, "--token", "secret-token", "--user", "alice")
    try:
        request = urllib.request.Request(f"{url}/api/whoami-v2", headers={"Authorization": "Bearer secret-token"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["name"] == "alice"
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "".join(lines)
    assert "HF_HUB_DISABLE_XET=1" in output
    assert "secret-token" not in output


def test_serve_reports_a_busy_port(tmp_path):
    process, url, _ = _serve(tmp_path)
    try:
        port = url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "hubtools", "hub", "serve", "--root", str(tmp_path / "other"), "--port", port],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 1
        assert "cannot serve" in result.stderr and "Traceback" not in result.stderr
    finally:
        process.terminate()
        process.wait(timeout=20)
