"""The CharacterAI dumper userscript in headless Chromium against a local imitation of the site.

A `http.server` on 127.0.0.1 serves a chat page and the site's JSON endpoints (fixtures/site, with the
planted user "Nadia Benali" / `nadia_b`); the userscript is injected with a small GM_* shim that points it at
that server. Every request leaving 127.0.0.1 is blocked and recorded. The downloaded dump must parse with
hubtools' own CAI parser and hold none of the user's names, handles or e-mail, in any case.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from _community_planted import FIXTURES

SCRIPT = Path(__file__).resolve().parents[2] / "userscripts" / "characterai-dumper.user.js"
SITE = FIXTURES / "site"
USER_ITEMS = ["nadia", "benali", "ortiz", "kofi_creates", "884412", "selfie", "fixture-token", "example.com"]


class FakeSite(BaseHTTPRequestHandler):
    """The chat page and the JSON endpoints the userscript calls, answering like the site (token required)."""

    requests: list[str] = []

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/chat":
            return self._send(200, (SITE / "chat.html").read_bytes(), "text/html; charset=utf-8")
        if url.path == "/chat/user/":
            return self._json("user.json")
        if url.path == "/chat/history/msgs/user/":
            history, page = query.get("history_external_id", [""])[0], query.get("page_num", ["1"])[0]
            return self._json(f"msgs-{history}-page{page}.json")
        return self._send(404, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if body.get("external_id") != "mira-123":
            return self._send(404, b'{"status": "character not found"}')
        if self.path == "/chat/character/info/":
            return self._json("info.json")
        if self.path == "/chat/character/histories_v2/":
            return self._json("histories.json")
        return self._send(404, b"{}")

    def _json(self, name: str) -> None:
        if self.headers.get("Authorization") != "Token fixture-token":
            return self._send(401, b'{"detail": "Authentication credentials were not provided."}')
        path = SITE / name
        return self._send(200, path.read_bytes()) if path.is_file() else self._send(404, b"{}")

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        FakeSite.requests.append(f"{self.command} {self.path} {status}")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def shim(base_url: str) -> str:
    """What a userscript manager provides, reduced to what the script uses, plus the test's base URL."""
    return f"""
        window.CAI_DUMPER_BASE_URL = {json.dumps(base_url)};
        window.__gmMenu = [];
        window.GM_info = {{ script: {{ name: "CharacterAI Dumper (anonymized)", version: "test" }} }};
        window.GM_registerMenuCommand = (name, callback) => window.__gmMenu.push({{ name, callback }});
    """


def test_userscript_downloads_an_anonymized_dump_the_parser_reads(browser, site_url, tmp_path):
    from hubtools.data.convert import convert_files
    from hubtools.data.sources import parse_file

    FakeSite.requests.clear()
    context = browser.new_context(accept_downloads=True)
    leaving: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(site_url + "/"):
            route.continue_()
        else:
            leaving.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    context.add_init_script(shim(site_url))
    context.add_init_script(path=str(SCRIPT))  # the whole file: the metadata block is a comment
    page = context.new_page()
    try:
        page.goto(f"{site_url}/chat?char=mira-123")
        button = page.locator("#cai-dumper-button")
        with page.expect_download() as first:
            button.click()
        download = first.value
        assert download.suggested_filename == "Mira.json"
        dump_path = tmp_path / "Mira.json"
        download.save_as(dump_path)
        page.wait_for_function("document.getElementById('cai-dumper-button').textContent.startsWith('Downloaded')")
        assert button.text_content() == "Downloaded 2 chat(s), anonymized"

        assert page.evaluate("window.__gmMenu.map(item => item.name)") == ["Download anonymized chats"]
        with page.expect_download() as second:
            page.evaluate("window.__gmMenu[0].callback()")
        again = tmp_path / "again.json"
        second.value.save_as(again)
    finally:
        context.close()

    assert leaving == []  # nothing but the (imitated) site itself was contacted
    assert not any(" 40" in request for request in FakeSite.requests), FakeSite.requests
    text = dump_path.read_text()
    assert again.read_text() == text
    lowered = text.lower()
    assert [item for item in USER_ITEMS if item in lowered] == []

    dump = json.loads(text)
    assert dump["dumper"]["anonymized"] is True
    assert set(dump["info"]["character"]) == {"name", "title", "description", "greeting", "definition", "external_id"}
    histories = dump["histories"]["histories"]
    for message in (m for h in histories for m in h["msgs"]):
        assert set(message) == {"text", "src", "tgt", "display_name"}
    second_chat = [m["text"] for m in histories[1]["msgs"]]
    assert second_chat[0].startswith("Ahoy!") and second_chat[1].startswith("The storm is coming")  # paged, in order
    first_chat = [m["text"] for m in histories[0]["msgs"]]
    assert "My friends call me [NAME_REDACTED] or [NAME_REDACTED], and my handle is [NAME_REDACTED]." in first_chat[1]
    assert "I will try to visit." in first_chat[3] and first_chat[4].startswith("I will!")  # "will" is a word here
    # "Hope" is one of the user's names and an everyday word: replaced only where it reads as a name or handle.
    assert first_chat[3].endswith(
        "I hope the [NAME_REDACTED] cousins come too. "
        "Tell [NAME_REDACTED] the lamp is fixed, and ping [NAME_REDACTED]."
    )

    parsed = parse_file("cai-dump", dump_path, source="cai-dump")
    assert parsed.rejects == [] and len(parsed.rows) == 2
    assert [m["role"] for m in parsed.rows[0]["messages"]][:3] == ["system", "assistant", "user"]
    converted = convert_files("cai-dump", [dump_path])
    assert converted.rejects == [] and len(converted.rows) == 2


def test_metadata_block_declares_what_the_script_uses():
    source = SCRIPT.read_text()
    block = re.search(r"^// ==UserScript==\n(.*?)^// ==/UserScript==", source, re.M | re.S)
    assert block is not None
    meta: dict[str, list[str]] = {}
    for key, value in re.findall(r"^// @(\S+)\s+(.*)$", block.group(1), re.M):
        meta.setdefault(key, []).append(value.strip())
    assert meta["name"] and meta["version"] and meta["description"]
    assert all(match.startswith("https://") and match.endswith("character.ai/*") for match in meta["match"])
    used = set(re.findall(r"\bGM_\w+", source[block.end() :]))
    assert used <= set(meta["grant"]), f"GM_* used but not granted: {used - set(meta['grant'])}"
    assert f'"{meta["version"][0]}"' in source  # the fallback version string matches the metadata
    assert "http" not in source[block.end() :].replace("https://beta.character.ai", "")  # no other origin


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_script_is_valid_javascript():
    import subprocess

    subprocess.run(["node", "--check", str(SCRIPT)], check=True)
