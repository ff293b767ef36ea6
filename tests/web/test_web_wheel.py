"""hubtools as a user installs it (`pip install hubtools`, no checkout): a wheel built from this tree after
`npm ci` carries both Space apps and exactly the npm files the static Space ships, and `space deploy` run from
that install (outside the checkout) pushes the same files, byte for byte, as a deploy from the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from _web_models import make_model

import hubtools
from hubtools.recipes import tomllib
from hubtools.serve import deploy, static_space

CHECKOUT = Path(hubtools.__file__).resolve().parents[1]
WEB_APP = "hubtools/serve/web_app"


def _package_data(package: str) -> list[str]:
    return tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][package]


def test_package_data_names_every_file_the_static_deploy_ships():
    """What `static_space_files` reads is in the web app's package data, and of node_modules nothing else."""
    page = _package_data("hubtools.serve.web_app") + _package_data("*")
    assert [name for name in static_space.APP_FILES if not any(Path(name).match(glob) for glob in page)] == []
    assert set(_package_data("hubtools.serve.web_app.node_modules")) == set(static_space.VENDOR_FILES.values())


def _tree(api, space_id: str) -> dict[str, str]:
    return {
        entry.path: entry.lfs.sha256 if entry.lfs else entry.blob_id
        for entry in api.list_repo_tree(space_id, repo_type="space", recursive=True)
        if hasattr(entry, "blob_id")
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory, web_node_modules) -> tuple[Path, Path]:
    """(the wheel, the folder it is installed in): built from a copy of this checkout holding, of node_modules,
    only the files a user's `npm ci` would give that deploy reads."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    skip = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "build", "*.egg-info", ".*cache")
    shutil.copytree(CHECKOUT, source, symlinks=True, ignore=skip)
    for relative in static_space.VENDOR_FILES.values():
        target = source / "spaces" / "web-chat" / "node_modules" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(web_node_modules / relative, target)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", base / "dist", source], check=True)
    [wheel] = (base / "dist").glob("hubtools-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", base / "site", wheel], check=True)
    return wheel, base / "site"


@pytest.mark.slow
def test_the_wheel_carries_both_apps_and_only_the_shipped_npm_files(installed):
    names = set(zipfile.ZipFile(installed[0]).namelist())
    for name in (*deploy.APP_FILES, deploy.ZEROGPU_APP):
        assert f"hubtools/serve/space_app/{name}" in names
    for name in static_space.APP_FILES:
        assert f"{WEB_APP}/{name}" in names
    npm = {name for name in names if "/node_modules/" in name}
    assert npm == {f"{WEB_APP}/node_modules/{path}" for path in static_space.VENDOR_FILES.values()}


@pytest.mark.slow
def test_deploy_from_the_installed_wheel_pushes_what_the_checkout_does(installed, hub, hub_token, hf_api):
    from hubtools.serve.onnx_export import export_for_web
    from hubtools.serve.static_space import deploy_static_space
    from hubtools.train.chat_template import template_into_config

    model = f"local/wheel-model-{uuid.uuid4().hex[:8]}"
    folder = make_model(installed[1].parent / "model", "gpt2", seed=0)
    template_into_config(folder)
    export_for_web(folder)
    hf_api.create_repo(model)
    hf_api.upload_folder(folder_path=folder, repo_id=model)
    hf_api.create_tag(model, tag="v0.1.0")

    # Run outside the checkout, importing only the installed wheel (and this environment's dependencies).
    env = {**os.environ, "PYTHONPATH": str(installed[1]), "HF_TOKEN": hub_token}
    located = subprocess.run(
        [sys.executable, "-c", "import hubtools.serve.static_space as s; print(s.WEB_APP_DIR.resolve())"],
        cwd=installed[1].parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(installed[1])
    for kind in ("static", "gradio"):
        space = f"local/wheel-{kind}-{uuid.uuid4().hex[:8]}"
        command = ["space", "deploy", "--kind", kind, "--space", space, "--model", model, "--hub", hub.url]
        result = subprocess.run(
            [sys.executable, "-m", "hubtools", *command], cwd=installed[1].parent, env=env, capture_output=True
        )
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        reference = f"local/checkout-{kind}-{uuid.uuid4().hex[:8]}"
        if kind == "static":
            deploy_static_space(reference, model, api=hf_api)
        else:
            deploy.deploy_space(reference, model, api=hf_api, embedded=True)
        assert _tree(hf_api, space) == _tree(hf_api, reference)
