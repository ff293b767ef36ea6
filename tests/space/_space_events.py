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

    def component(self, **props) -> int:
        """The id of the one component whose props include `props` (e.g. elem_id=..., or label=...)."""
        (found,) = [c["id"] for c in self.config["components"] if props.items() <= c.get("props", {}).items()]
        return found

    def trigger(self, target: int, event: str, values: dict[int, Any] | None = None) -> dict[int, Any]:
        """Fire `event` on component `target` as the page does: its handler, then each `.then` in order, each sent
        the current `values` (component id → value; a component's configured value otherwise). The values after."""
        values = dict(values or {})
        kinds = {c["id"]: c["type"] for c in self.config["components"]}
        defaults = {c["id"]: c.get("props", {}).get("value") for c in self.config["components"]}
        deps = self.config["dependencies"]
        todo = [d for d in deps if [target, event] in d.get("targets", [])]
        while todo:
            dep = todo.pop(0)
            data = [None if kinds.get(i) == "state" else values.get(i, defaults.get(i)) for i in dep["inputs"]]
            if dep.get("backend_fn"):
                outputs = self._run(dep, data, None)
                for output, value in zip(dep["outputs"], outputs, strict=False):
                    if isinstance(value, dict) and value.get("__type__") == "update":
                        if "value" not in value:
                            continue
                        value = value["value"]
                    if kinds.get(output) != "state":
                        values[output] = value
            todo += [d for d in deps if d.get("trigger_after") == dep["id"]]
        return values

    def call(self, api_name: str, data: list, event_data: Any = None) -> list:
        """Run the event named `api_name` with `data` (one value per input); its outputs, or AssertionError."""
        return self._run(self.dependency(api_name), data, event_data)

    def _run(self, dep: dict, data: list, event_data: Any) -> list:
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
        raise AssertionError(f"event {dep['id']}: the stream ended before it completed")

    def close(self) -> None:
        self.http.close()
