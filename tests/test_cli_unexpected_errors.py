"""An unexpected error is one line naming the command and a log file holding the traceback, with no token in either."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hubtools.cli._crash import report_unexpected

TOKEN = "hf_" + "Q7fK2pLx9RtV4mN8sWc3yZb6HdJ1gAe5Uo"  # shaped like a real one
LOG_LINE = re.compile(r"^hubtools: unexpected error in `hubtools .+`: .*\(traceback in (\S+\.log); HUBTOOLS_DEBUG=1")


def _read_manifest(path: Path) -> dict:
    """Stands for library code with a bug: it reads a field the file does not have."""
    return {"model": json.loads(path.read_text())["model"]}


def _crash(tmp_path: Path) -> BaseException:
    path = tmp_path / "release.json"
    path.write_text(json.dumps({"note": f"uploaded with {TOKEN}"}))
    try:
        try:
            _read_manifest(path)
        except KeyError as error:
            raise RuntimeError(f"could not read {path} (token {TOKEN})") from error
    except RuntimeError as error:
        return error
    raise AssertionError("no error")


def test_one_line_and_the_traceback_in_a_log_without_the_token(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HUBTOOLS_DEBUG", raising=False)
    argv = ["release", "demo", "--version", "v0.1.0", "--token", TOKEN]
    error = _crash(tmp_path)
    error.add_note("release stopped in stage train")
    assert report_unexpected(error, argv) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and TOKEN not in err
    assert "(release stopped in stage train)" in err
    match = LOG_LINE.match(err)
    assert match, err
    assert "`hubtools release demo --version v0.1.0 --token <redacted>`" in err and "RuntimeError" in err
    log = Path(match.group(1))
    assert log.parent == Path(os.environ["HUBTOOLS_HOME"]) / "logs"
    text = log.read_text()
    assert "Traceback" in text and "_read_manifest" in text and "KeyError: 'model'" in text
    assert TOKEN not in text and "<redacted>" in text
    assert log.stat().st_mode & 0o077 == 0


def test_the_input_an_os_error_names_is_on_the_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HUBTOOLS_DEBUG", raising=False)
    missing = tmp_path / "gone" / "chats.jsonl"
    try:
        missing.read_text()
    except OSError as error:
        try:
            raise ValueError("could not convert") from error
        except ValueError as wrapped:
            report_unexpected(wrapped, ["data", "convert", str(missing)])
    err = capsys.readouterr().err
    assert f"(on {missing})" in err and len(err.splitlines()) == 1


def test_debug_prints_the_traceback_and_writes_no_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HUBTOOLS_DEBUG", "1")
    logs = Path(os.environ["HUBTOOLS_HOME"]) / "logs"
    before = set(logs.glob("*")) if logs.is_dir() else set()
    assert report_unexpected(_crash(tmp_path), ["release", "demo", f"--token={TOKEN}"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "_read_manifest" in err and TOKEN not in err
    assert (set(logs.glob("*")) if logs.is_dir() else set()) == before


@pytest.fixture
def broken_hub():
    """A server that answers every request 200 with a body no Hub client can read."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>not a Hub</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_command_reports_a_crash_in_one_line(broken_hub, tmp_path):
    """A real `hubtools release` against a Hub answering nonsense: one line, the traceback in the log it names."""
    import hubtools

    recipe = Path(__file__).parent / "release" / "fixtures" / "tiny-release.toml"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "HUBTOOLS_DEBUG")}
    env["PYTHONPATH"] = str(Path(hubtools.__file__).parents[1])
    command = [sys.executable, "-m", "hubtools", "release", str(recipe), "--version", "v0.1.0"]
    done = subprocess.run(
        [*command, "--hub", broken_hub, "--token", TOKEN], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    match = LOG_LINE.match(done.stderr)
    assert match and "release" in done.stderr, done.stderr
    text = Path(match.group(1)).read_text()
    assert "Traceback" in text and TOKEN not in text and TOKEN not in done.stderr + done.stdout
