"""The static chat Space (`spaces/web-chat/`): the model runs in the visitor's browser with transformers.js.

Static Spaces are free for every account, and each visitor brings their own CPU or GPU. The Space repo holds
the page, its JavaScript modules, the vendored transformers.js bundle and onnxruntime-web's WebAssembly (from
the npm registry, pinned by `package-lock.json`: no CDN, so tests and production run the same files), and
`space-config.json` naming the model repo, the pinned revision and the Hub. The README sets the
cross-origin isolation headers onnxruntime-web needs for more than one thread.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.errors import HubtoolsError
from hubtools.serve.prompt import CharacterCard

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hubtools.serve.deploy import DeployedSpace

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# spaces/web-chat, reached through a symlink so that wheels carry it too (as space_app does for spaces/chat).
WEB_APP_DIR = PACKAGE_ROOT / "serve" / "web_app"
APP_FILES = (
    "index.html",
    "app.js",
    "chat.js",
    "worker.js",
    "kv_in_place.js",
    "style.css",
    "README.md",
    "package.json",
    "package-lock.json",
)
CONFIG_FILE = "space-config.json"
# What the page loads by default on WebAssembly (transformers.js's q8), so what a deploy checks is there.
WEB_MODEL_FILE = "onnx/model_quantized.onnx"
# Space path -> file under the app's node_modules (installed by `npm ci --ignore-scripts`); a wheel carries these
# (pyproject.toml's package-data for hubtools.serve.web_app) when built after `make web`.
VENDOR_FILES = {
    "vendor/transformers.min.js": "@huggingface/transformers/dist/transformers.min.js",
    "vendor/ort-wasm-simd-threaded.asyncify.mjs": "onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs",
    "vendor/ort-wasm-simd-threaded.asyncify.wasm": "onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm",
    "vendor/LICENSE.transformers.js": "@huggingface/transformers/LICENSE",
    "vendor/LICENSE.onnxruntime-web": "onnxruntime-web/README.md",
}
# Cross-origin isolation (SharedArrayBuffer, so onnxruntime-web runs on several threads), lower-case as the
# Spaces config reference requires for `custom_headers`.
ISOLATION_HEADERS = {
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "cross-origin",
}


def space_config(model_repo: str, revision: str, hub_endpoint: str, card: CharacterCard | None = None) -> dict:
    """What `space-config.json` holds: the model, pinned, where it lives, and the default character card."""
    return {
        "model_repo": model_repo,
        "revision": revision,
        "hub_endpoint": hub_endpoint.rstrip("/"),
        "card": asdict(card or CharacterCard()),
    }


def vendor_sources(app_dir: Path) -> dict[str, Path]:
    """The vendored files' sources in `app_dir/node_modules`; a clear error when npm ci has not run."""
    modules = app_dir / "node_modules"
    sources = {name: modules / relative for name, relative in VENDOR_FILES.items()}
    missing = [str(path) for path in sources.values() if not path.is_file()]
    if missing:
        raise HubtoolsError(
            f"{app_dir}: the static Space's npm files are missing ({missing[0]}): run `npm ci --ignore-scripts` "
            f"in {app_dir} (`make web` in a checkout, before deploying or building a wheel), or pass --app-dir a "
            "spaces/web-chat folder where it ran"
        )
    return sources


def static_space_files(app_dir: Path, config: dict, *, models: list[str], datasets: list[str]) -> dict[str, Any]:
    """Every file the static Space repo holds, path → bytes (small files) or Path (vendored, large)."""
    from huggingface_hub import SpaceCard

    missing = [name for name in APP_FILES if not (app_dir / name).is_file()]
    if missing:
        raise HubtoolsError(f"{app_dir} lacks the static Space's {', '.join(missing)} (pass --app-dir)")
    files: dict[str, Any] = {name: (app_dir / name).read_bytes() for name in APP_FILES}
    card = SpaceCard(files["README.md"].decode())
    if card.data.sdk != "static":
        raise HubtoolsError(f"{app_dir / 'README.md'}: the web chat Space must use sdk: static")
    headers = card.data.get("custom_headers") or {}
    if {k: str(v) for k, v in headers.items()} != ISOLATION_HEADERS:
        raise HubtoolsError(f"{app_dir / 'README.md'}: custom_headers must be exactly {ISOLATION_HEADERS}")
    card.data.models = models
    card.data.datasets = datasets
    files["README.md"] = str(card).encode()
    files[CONFIG_FILE] = (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode()
    files.update(vendor_sources(app_dir))
    return files


def deploy_static_space(
    space_id: str,
    model_repo: str,
    *,
    revision: str | None = None,
    api: HfApi | None = None,
    app_dir: Path | None = None,
    private: bool = False,
) -> DeployedSpace:
    """Create or update the static Space `space_id` for `model_repo` at `revision` (default: newest release).

    `space-config.json` pins the model commit, so the page loads exactly the files that were released.
    Refuses a model commit without the web export: the page could only show an error.
    """
    from huggingface_hub import HfApi

    from hubtools.serve.deploy import DeployedSpace, changed_files, model_datasets
    from hubtools.serve.resolve import hub_error, resolve_model
    from hubtools.serve.space_kinds import check_kind

    api = api or HfApi()
    check_kind(api, space_id, "static")
    resolved = resolve_model(model_repo, revision, api=api)
    if resolved.subfolder:
        raise HubtoolsError(f"'{revision}': a static Space serves a release or commit, not a checkpoint folder")
    if getattr(api.model_info(model_repo, revision=resolved.commit), "private", False):
        raise HubtoolsError(
            f"{model_repo} is private: visitors' browsers load the model without a token, so a static Space "
            "can only serve a public model repo"
        )
    if not api.file_exists(model_repo, WEB_MODEL_FILE, revision=resolved.commit):
        raise HubtoolsError(
            f"{model_repo}@{resolved.revision} has no {WEB_MODEL_FILE} for the browser: publish a release with "
            "`web = true` (the default), or export one with `hubtools space export-web`"
        )
    config = space_config(model_repo, resolved.commit, api.endpoint)
    datasets = model_datasets(model_repo, resolved.commit, api)
    files = static_space_files(app_dir or WEB_APP_DIR, config, models=[model_repo], datasets=datasets)
    try:
        api.create_repo(space_id, repo_type="space", space_sdk="static", exist_ok=True, private=private or None)
    except Exception as error:
        raise hub_error(error, space_id) from error
    operations = changed_files(api, space_id, files, lambda path: path.startswith("vendor/"))
    if not operations:
        return DeployedSpace(repo_id=space_id, commit=api.repo_info(space_id, repo_type="space").sha, changed=False)
    info = api.create_commit(
        space_id,
        repo_type="space",
        operations=operations,
        commit_message=f"Deploy static chat Space for {model_repo}@{resolved.commit[:12]}",
    )
    return DeployedSpace(repo_id=space_id, commit=info.oid, changed=True)
