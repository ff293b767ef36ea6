"""Serving a chat model from the Hub: the library behind the chat Space (`spaces/chat/app.py`).

One concern a module, all importable without loading torch, gradio or ctranslate2 (those are imported
where they are used):

- `config`: what to serve, from the Space's variables (environment) or its `space_variables.json`;
- `resolve`: releases and checkpoints of a model repo, and the revision to serve by default;
- `prompt`: character card → messages → chat template, trimmed to the context window;
- `backends`: CTranslate2 int8 (fast) and transformers fp32 (fallback) behind one batched interface;
- `convert`: `convert_for_serving`, run at release time to publish the fast weights with the model;
- `onnx_export`, `onnx_check`: `export_for_web`, the checked ONNX files (`onnx/`) the static Space runs in
  the visitor's browser with transformers.js;
- `batching`: groups concurrent requests into batches that keep both CPU cores busy;
- `streaming`: token ids → text deltas, stop sequences;
- `service`: the chat service the app talks to (models loaded per revision, friendly errors);
- `deploy`: `deploy_space`, creating or updating the Space repo.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ServeConfig": "hubtools.serve.config",
    "load_serve_config": "hubtools.serve.config",
    "ModelChoice": "hubtools.serve.resolve",
    "ResolvedModel": "hubtools.serve.resolve",
    "list_releases": "hubtools.serve.resolve",
    "list_checkpoints": "hubtools.serve.resolve",
    "resolve_model": "hubtools.serve.resolve",
    "CharacterCard": "hubtools.serve.prompt",
    "build_messages": "hubtools.serve.prompt",
    "PromptBuilder": "hubtools.serve.prompt",
    "GenerationSettings": "hubtools.serve.streaming",
    "convert_for_serving": "hubtools.serve.convert",
    "export_for_web": "hubtools.serve.onnx_export",
    "load_backend": "hubtools.serve.backends",
    "Batcher": "hubtools.serve.batching",
    "ChatService": "hubtools.serve.service",
    "DeployedSpace": "hubtools.serve.deploy",
    "deploy_space": "hubtools.serve.deploy",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Lazy re-exports, so `import hubtools.serve` stays cheap."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hubtools.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
