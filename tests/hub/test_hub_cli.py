"""`hubtools hub serve` as a real process: it announces its URL, answers, and stops on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest


def _serve(tmp_path, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtools", "hub", "serve", "--root", str(tmp_path / "hub"), "--port", "0", *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
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


def _whoami(url: str, token: str) -> str:
    request = urllib.request.Request(f"{url}/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["name"]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def test_serve_refuses_an_open_non_loopback_bind(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubtools",
            "hub",
            "serve",
            "--root",
            str(tmp_path),
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={key: value for key, value in os.environ.items() if key != "HUBTOOLS_HUB_TOKEN"},
    )
    assert result.returncode == 1
    assert "without tokens" in result.stderr and "--insecure-open" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_takes_tokens_from_a_file_and_the_environment(tmp_path):
    token_file = tmp_path / "tokens"
    token_file.write_text("# team tokens\nfile-token\n")
    process, url, lines = _serve(
        tmp_path,
        "--host",
        "0.0.0.0",
        "--token-file",
        str(token_file),
        "--user",
        "carol",
        env={"HUBTOOLS_HUB_TOKEN": "env-token"},
    )
    try:
        assert _whoami(url, "file-token") == _whoami(url, "env-token") == "carol"
        with pytest.raises(urllib.error.HTTPError) as info:
            _whoami(url, "other")
        assert info.value.code == 401
    finally:
        _stop(process)
    output = "".join(lines)
    assert "file-token" not in output and "env-token" not in output and "INSECURE" not in output


def test_serve_insecure_open_shouts_and_users_file_serves_each_user(tmp_path):
    process, url, lines = _serve(tmp_path, "--host", "0.0.0.0", "--insecure-open")
    try:
        assert _whoami(url, "anything") == "local"
    finally:
        _stop(process)
    assert "INSECURE" in "".join(lines)

    users = tmp_path / "users.toml"
    users.write_text('[users.alice]\ntoken = "a-token"\n[users.bob]\ntoken = ["b1", "b2"]\n')
    process, url, lines = _serve(tmp_path, "--users", str(users))
    try:
        assert (_whoami(url, "a-token"), _whoami(url, "b2")) == ("alice", "bob")
    finally:
        _stop(process)

    users.write_text('[users.alice]\ntokens = "a"\n')
    result = subprocess.run(
        [sys.executable, "-m", "hubtools", "hub", "serve", "--root", str(tmp_path), "--users", str(users)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and f"{users}: users.alice.token: required field is missing" in result.stderr
    assert "users.alice.tokens: unknown field" in result.stderr
    assert "Traceback" not in result.stderr
