"""Drive a running Gradio app's events as its page does: through the queue, with one session, and with the
event data a browser sends (a like's index and value), which `gradio_client` cannot send."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx


class PageSession:
    """One visitor's page: every event shares the session, so `gr.State` values persist between them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_hash = uuid.uuid4().hex[:11]
        self.http = httpx.Client(base_url=url, timeout=120)
        self.config = self.http.get("config").json()

    def dependency(self, api_name: str) -> dict:
        for dep in self.config["dependencies"]:
            if dep.get("api_name") == api_name:
                return dep
        raise KeyError(f"no event with api_name {api_name!r}")

    def call(self, api_name: str, data: list, event_data: Any = None) -> list:
        """Run the event named `api_name` with `data` (one value per input); its outputs, or AssertionError."""
        dep = self.dependency(api_name)
        targets = dep.get("targets") or [[None]]
        body = {
            "data": data,
            "event_data": event_data,
            "fn_index": dep["id"],
            "trigger_id": targets[0][0],
            "session_hash": self.session_hash,
        }
        joined = self.http.post("gradio_api/queue/join", json=body)
        assert joined.status_code == 200, joined.text
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", "gradio_api/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                    continue
                assert message.get("success"), message
                return message["output"]["data"]
        raise AssertionError(f"{api_name}: the stream ended before the event completed")

    def close(self) -> None:
        self.http.close()
