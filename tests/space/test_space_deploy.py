"""`deploy_space` and `hubtools space deploy` against the embedded Hub; the CLI stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hubtools.errors import HubtoolsError
from hubtools.serve.config import load_serve_config
from hubtools.serve.deploy import deploy_space


def _commits(api, repo_id):
    return [c.commit_id for c in api.list_repo_commits(repo_id, repo_type="space")]


def _variables(api, space_id):
    return {key: variable.value for key, variable in api.get_space_variables(space_id).items()}


def test_deploy_creates_the_space_then_is_idempotent(session_api, chat_repo, repo_name, tmp_path):
    from huggingface_hub import SpaceCard

    space = repo_name("space")
    first = deploy_space(space, chat_repo.repo_id, api=session_api)
    assert first.changed and first.repo_id == space
    files = set(session_api.list_repo_files(space, repo_type="space"))
    assert {"app.py", "requirements.txt", "README.md", "space_variables.json"} <= files
    assert {"hubtools/serve/service.py", "hubtools/hub/target.py", "hubtools/errors.py"} <= files

    folder = session_api.snapshot_download(space, repo_type="space", local_dir=tmp_path / "space")
    card = SpaceCard.load(f"{folder}/README.md")
    assert (card.data.sdk, card.data.app_file, card.data.models) == ("gradio", "app.py", [chat_repo.repo_id])
    assert card.data.datasets == ["local/chat-data"]  # from the model card of the release served
    variables = json.loads((tmp_path / "space" / "space_variables.json").read_text())
    assert variables == {"MODEL_REPO": chat_repo.repo_id}
    assert load_serve_config(tmp_path / "space", environ={}).model_repo == chat_repo.repo_id
    assert _variables(session_api, space) == {"MODEL_REPO": chat_repo.repo_id}  # what the Space runtime reads

    history = _commits(session_api, space)
    again = deploy_space(space, chat_repo.repo_id, api=session_api)
    assert (again.commit, again.changed) == (first.commit, False)
    assert _commits(session_api, space) == history  # no new (empty) commit

    pinned = deploy_space(space, chat_repo.repo_id, revision="v0.1.0", api=session_api)
    assert pinned.changed and pinned.commit != first.commit
    assert _commits(session_api, space)[0] == pinned.commit
    assert _variables(session_api, space) == {"MODEL_REPO": chat_repo.repo_id, "MODEL_REVISION": "v0.1.0"}

    unpinned = deploy_space(space, chat_repo.repo_id, api=session_api)
    assert unpinned.changed
    assert _variables(session_api, space) == {"MODEL_REPO": chat_repo.repo_id}  # back to the newest release


def test_deploy_refuses_a_missing_model(session_api, repo_name):
    with pytest.raises(HubtoolsError, match="was not found"):
        deploy_space(repo_name("space"), "local/no-such-model", api=session_api)


def test_cli_deploy(session_api, chat_repo, repo_name, hub, capsys):
    from hubtools.cli import main

    space = repo_name("cli-space")
    assert main(["space", "deploy", "--space", space, "--model", chat_repo.repo_id, "--hub", hub.url]) == 0
    repo_id, commit = capsys.readouterr().out.strip().split("\t")
    assert repo_id == space and commit == session_api.repo_info(space, repo_type="space").sha

    assert main(["space", "deploy", "--space", space, "--model", "local/nope", "--hub", hub.url]) == 1
    assert "was not found" in capsys.readouterr().err


def test_space_help_lists_its_commands(capsys):
    from hubtools.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["space", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert "run" in help_text and "deploy" in help_text


@pytest.mark.slow
def test_cli_space_run_serves_the_app(chat_repo, hub):
    """`hubtools space run` in its own process, against the (already running) embedded Hub by URL."""
    import time
    import urllib.request

    from _space_app import free_port
    from gradio_client import Client

    port = free_port()
    command = [sys.executable, "-m", "hubtools", "space", "run", "--model", chat_repo.repo_id]
    command += ["--revision", "v0.1.0", "--hub", hub.url, "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):  # start-up imports gradio and transformers: allow a minute on a busy machine
            if process.poll() is not None:
                pytest.fail(f"space run exited early: {process.stderr.read()}")
            try:
                with urllib.request.urlopen(url + "config", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        client = Client(url, verbose=False)
        assert client.predict("Hello", api_name="/chat", max_new_tokens=8).strip()
        status = client.predict("v0.1.0", api_name="/switch_model")
        assert "release v0.1.0" in status and chat_repo.tags["v0.1.0"][:10] in status
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_app_ships_inside_the_package():
    """`space deploy` from a pip-installed hubtools needs no checkout: wheels carry the package's data files."""
    import fnmatch

    from hubtools.recipes import tomllib
    from hubtools.serve.deploy import APP_FILES, DEFAULT_APP_DIR, PACKAGE_ROOT

    assert DEFAULT_APP_DIR.parent == PACKAGE_ROOT / "serve"
    patterns = tomllib.loads((PACKAGE_ROOT.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = patterns["package-data"]["*"]
    for name in APP_FILES:
        assert (DEFAULT_APP_DIR / name).is_file()
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_zerogpu_deploy_writes_the_zerogpu_app_and_it_serves_on_cpu(session_api, chat_repo, repo_name, tmp_path):
    """`--hardware zero-a10g`: `spaces` imported first, the model loaded at module level, a `@spaces.GPU`
    generator, torch pinned and python_version set as ZeroGPU's documentation lists; then the written app
    itself serves, with `SPACES_ZERO_GPU` unset, on the CPU path."""
    import ast
    import importlib.util
    import os

    from gradio_client import Client
    from huggingface_hub import SpaceCard

    from hubtools.serve.deploy import DEFAULT_APP_DIR

    assert "SPACES_ZERO_GPU" not in os.environ
    space = repo_name("zero-space")
    deploy_space(space, chat_repo.repo_id, api=session_api, hardware="zero-a10g")
    folder = Path(session_api.snapshot_download(space, repo_type="space", local_dir=tmp_path / "space"))

    tree = ast.parse((folder / "app.py").read_text())
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert isinstance(imports[0], ast.Import) and imports[0].names[0].name == "spaces"  # before torch or the app
    assert (folder / "chat_app.py").read_bytes() == (DEFAULT_APP_DIR / "app.py").read_bytes()
    module_calls = [ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Assign)]
    assert "chat_app.start_service()" in module_calls  # the model is loaded (to CUDA there) at import time
    gpu = [n for n in tree.body if isinstance(n, ast.FunctionDef) and "spaces.GPU" in ast.unparse(n.decorator_list)]
    assert len(gpu) == 1 and any(isinstance(node, ast.YieldFrom) for node in ast.walk(gpu[0]))  # streams

    requirements = (folder / "requirements.txt").read_text().splitlines()
    torch_pins = [line for line in requirements if line.startswith("torch")]
    assert len(torch_pins) == 1 and torch_pins[0].split("==")[1] in {"2.8.0", "2.9.1", "2.10.0", "2.11.0"}
    assert "spaces" in requirements
    card = SpaceCard.load(folder / "README.md")
    assert card.data.python_version in {"3.10.13", "3.12.12"}
    assert (card.data.suggested_hardware, card.data.hf_oauth, card.data.app_file) == ("zero-a10g", True, "app.py")

    back = deploy_space(space, chat_repo.repo_id, api=session_api)  # back to CPU: the ZeroGPU files go
    assert back.changed
    files = session_api.list_repo_files(space, repo_type="space")
    assert "chat_app.py" not in files

    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location("zerogpu_space_app", folder / "app.py")
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        assert app.SERVICE.startup_error is None and app.SERVICE.default.backend.name == "ctranslate2-int8"
        app.demo.queue().launch(
            server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **app.chat_app.LAUNCH_OPTIONS
        )
        try:
            reply = Client(app.demo.local_url, verbose=False).predict("Hello", api_name="/chat", max_new_tokens=6)
        finally:
            app.demo.close()
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("chat_app", None)
    assert reply.strip()


@pytest.mark.parametrize("hardware", ["zero-h100x9", "gpu", ""])
def test_unknown_hardware_is_refused(session_api, chat_repo, repo_name, hardware):
    with pytest.raises(HubtoolsError, match="unknown Space hardware"):
        deploy_space(repo_name("space"), chat_repo.repo_id, api=session_api, hardware=hardware)


def test_zerogpu_requirements_pin_torch_once():
    from hubtools.serve.deploy import ZEROGPU_TORCH, zerogpu_requirements

    pinned = zerogpu_requirements("torch>=2.4\ntorchvision\nspaces>=0.40\nnumpy\n").splitlines()
    assert pinned == [f"torch=={ZEROGPU_TORCH}", "torchvision", "spaces>=0.40", "numpy"]
    assert f"torch=={ZEROGPU_TORCH}" in zerogpu_requirements("numpy\n").splitlines()


def test_release_recipes_name_the_space_hardware(tmp_path):
    from hubtools.release.recipe import load_release_recipe

    base = 'name = "r"\ndata = "demo"\ntrain = "demo"\n[repos]\ndataset = "d"\nmodel = "m"\n'
    base += '[[spaces]]\nrepo = "s"\nkind = "gradio"\n'
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(base + 'hardware = "zero-a10g"\n')
    bad.write_text(base + 'hardware = "zero-gpu"\n')
    assert load_release_recipe(good).spaces[0].hardware == "zero-a10g"
    with pytest.raises(HubtoolsError, match=r"bad.toml: spaces\[0\].hardware: unknown Space hardware 'zero-gpu'"):
        load_release_recipe(bad)


def test_zerogpu_serves_on_cuda_and_everything_else_on_cpu(tmp_path):
    assert load_serve_config(tmp_path, environ={}).device == "cpu"
    assert load_serve_config(tmp_path, environ={"SPACES_ZERO_GPU": "true"}).device == "cuda"
    assert load_serve_config(tmp_path, environ={"SPACES_ZERO_GPU": "true", "SERVE_DEVICE": "cpu"}).device == "cpu"
    with pytest.raises(HubtoolsError, match="unknown device 'tpu'"):
        load_serve_config(tmp_path, environ={"SERVE_DEVICE": "tpu"})


def test_the_library_slice_shipped_to_the_space_imports_on_its_own(tmp_path):
    """The Space runs the hubtools files deploy ships, not an installed hubtools: every module the app and the
    Contribute tab load at start (and the parser and scrubber a contribution goes through) must be among them."""
    import site
    import subprocess
    import sys

    from hubtools.serve.deploy import DEFAULT_APP_DIR, space_files

    files = space_files(DEFAULT_APP_DIR, model_repo="local/m", revision=None, datasets=[], embedded=True)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    modules = [
        line.split()[1] for line in (tmp_path / "app.py").read_text().splitlines() if line.startswith("from hubtools.")
    ]
    modules += ["hubtools.data.convert", "hubtools.data.scrub", "hubtools.community.contribute"]
    # `-S`: site-packages on the path without their .pth files, so hubtools' own (editable) install is not seen.
    paths = [str(tmp_path), *site.getsitepackages()]
    code = (
        f"import sys, importlib\nsys.path[:0] = {paths!r}\nimport hubtools\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\nprint(hubtools.__file__)"
    )
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(tmp_path / "hubtools" / "__init__.py")
