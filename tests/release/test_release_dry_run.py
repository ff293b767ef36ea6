"""`release --dry-run` runs the recipe checks: a bad field, a missing or unparseable data source each exit 1
with one line naming the file (and field); a good recipe lists rows and rejected lines per source. Nothing
trains: the checks run before any stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main

TINY_TRAIN = Path(__file__).parent / "fixtures" / "tiny-train.toml"
GOOD = {"messages": [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello, friend"}]}
CAI_DUMP = {"info": {"character": {"name": "Nova"}}, "histories": {"histories": [{"msgs": []}]}}


@pytest.fixture
def release_dir(tmp_path: Path) -> Path:
    """A release of a one-source data recipe (two good lines, one broken) and the tiny test model."""
    (tmp_path / "chats.jsonl").write_text(json.dumps(GOOD) + "\n{broken\n" + json.dumps(GOOD) + "\n")
    (tmp_path / "data.toml").write_text('[[sources]]\nname = "mine"\nkind = "messages"\npath = "chats.jsonl"\n')
    (tmp_path / "train.toml").write_text(TINY_TRAIN.read_text())
    (tmp_path / "release.toml").write_text(
        'data = "data.toml"\ntrain = "train.toml"\n[repos]\ndataset = "dry-chats"\nmodel = "dry-model"\n'
    )
    return tmp_path


def dry_run(release_dir: Path, capsys) -> tuple[int, str, str]:
    code = main(["release", str(release_dir / "release.toml"), "--version", "v0.0.1", "--dry-run"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_good_recipe_reports_rows_and_rejected_lines_per_source(release_dir, capsys):
    code, out, err = dry_run(release_dir, capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        f"  source   [checked]  mine (messages): 1 file, 2 rows, 1 lines rejected  →  {release_dir}/chats.jsonl"
        in lines
    )
    assert any(line.startswith("  dataset  [to do]") for line in lines)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "train.toml",
            "learning_rate = 1e-3",
            "learning_rate = inf",
            "{dir}/train.toml: training.learning_rate: Input should be a finite number (got inf)",
        ),
        (
            "train.toml",
            "n_layer = 1",
            "n_layer = 0",
            "{dir}/train.toml: base_model.config.n_layer: expected a whole number of at least 1, got 0",
        ),
        (
            "data.toml",
            'path = "chats.jsonl"',
            'path = "chats.jsonl"\nweight = nan',
            "{dir}/data.toml: sources[0].weight: Input should be a finite number (got nan)",
        ),
        (
            "release.toml",
            'model = "dry-model"',
            'model = "dry-model"\n[eval]\nmax_samples = 0',
            "{dir}/release.toml: eval.max_samples: Input should be greater than 0 (got 0)",
        ),
        (
            "release.toml",
            'data = "data.toml"',
            'data = "gone.toml"',
            "{dir}/release.toml: data: recipe file not found: {dir}/gone.toml",
        ),
        (
            "data.toml",
            'path = "chats.jsonl"',
            'path = "gone.jsonl"',
            "{dir}/data.toml: sources[0].path: no such file or folder: {dir}/gone.jsonl",
        ),
    ],
    ids=[
        "inf-learning-rate",
        "zero-layers",
        "nan-weight",
        "zero-eval-samples",
        "missing-data-recipe",
        "missing-source",
    ],
)
def test_bad_recipe_exits_1_with_one_line(release_dir, capsys, file, old, new, message):
    path = release_dir / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    code, out, err = dry_run(release_dir, capsys)
    assert (code, out) == (1, "")
    assert err == f"hubtools: error: {message.format(dir=release_dir)}\n"


def test_source_of_another_kind_fails_with_the_count_of_rejected_lines(release_dir, capsys):
    (release_dir / "dump.json").write_text(json.dumps(CAI_DUMP, indent=1))
    data = release_dir / "data.toml"
    data.write_text(data.read_text() + '\n[[sources]]\nname = "wrong"\nkind = "hh-rlhf"\npath = "dump.json"\n')
    code, out, err = dry_run(release_dir, capsys)
    assert (code, out) == (1, "")
    lines = len(json.dumps(CAI_DUMP, indent=1).splitlines())
    assert err.startswith(
        f"hubtools: error: {data}: sources[1] (wrong): {release_dir}/dump.json parses as 0 hh-rlhf conversation(s), "
        f"fewer than min_rows = 1; {lines} lines rejected (first: dump.json:1: "
    )
    assert err.count("\n") == 1


def test_min_rows_is_checked_before_anything_is_built(release_dir, capsys):
    data = release_dir / "data.toml"
    text = data.read_text()
    assert "[[sources]]" in text
    data.write_text(text.replace("[[sources]]", "[[sources]]\nmin_rows = 1000000", 1))
    code, out, err = dry_run(release_dir, capsys)
    assert (code, out) == (1, "")
    assert "fewer than min_rows = 1000000" in err and err.count("\n") == 1


def test_folder_without_files_of_the_kind_fails(release_dir, capsys):
    (release_dir / "empty").mkdir()
    data = release_dir / "data.toml"
    data.write_text(data.read_text().replace('path = "chats.jsonl"', 'path = "empty"'))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    wanted = "no messages files (*.jsonl, *.jsonl.gz)"
    assert err == f"hubtools: error: {data}: sources[0].path: {wanted} under {release_dir}/empty\n"


def test_splits_the_release_reads_must_be_built(release_dir, capsys):
    release = release_dir / "release.toml"
    release.write_text(release.read_text() + '[eval]\nsplit = "validation"\n')
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err == (
        f"hubtools: error: {release}: eval.split: data recipe 'data' builds no 'validation' split; "
        "it builds: train, test\n"
    )
    release.write_text(release.read_text().replace('split = "validation"', 'split = "train"'))
    data = release_dir / "data.toml"
    data.write_text(data.read_text() + "[splits]\ntrain = 1.0\ntest = 0.0\n")
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err == (
        f"hubtools: error: {release_dir / 'train.toml'}: dataset.eval_split: data recipe 'data' builds no 'test' "
        "split (its splits.test is 0); it builds: train\n"
    )


def _with_spaces(release_dir: Path, tables: str) -> Path:
    release = release_dir / "release.toml"
    release.write_text(release.read_text() + tables)
    return release


def test_each_space_is_a_stage_of_the_plan(release_dir, capsys, repo_name):
    gradio, static = repo_name("plan-chat"), repo_name("plan-web")
    _with_spaces(
        release_dir,
        f'[[spaces]]\nrepo = "{static}"\n[[spaces]]\nrepo = "{gradio.split("/")[1]}"\nkind = "gradio"\n'
        'hardware = "zero-a10g"\n',
    )
    code = main(["release", str(release_dir / "release.toml"), "--version", "v0.0.1", "--dry-run", "--json"])
    assert code == 0
    plan = json.loads(capsys.readouterr().out.splitlines()[-1])
    stages = [step["stage"] for step in plan]
    # In the recipe's order, after the model and before verify; named as the recipe writes them.
    assert stages[stages.index("model") + 1 : stages.index("verify")] == [
        f"space:{static}",
        f"space:{gradio.split('/')[1]}",
    ]
    spaces = {step["stage"]: step for step in plan if step["stage"].startswith("space:")}
    assert spaces[f"space:{static}"]["target"] == static and "static" in spaces[f"space:{static}"]["action"]
    assert spaces[f"space:{gradio.split('/')[1]}"]["target"] == gradio  # under the token's user
    assert spaces[f"space:{gradio.split('/')[1]}"]["action"].endswith("on zero-a10g")
    assert plan[-1]["target"] == f"local/dry-chats, {static}, {gradio}, local/dry-model"


def test_a_space_named_twice_is_refused_once_qualified(release_dir, capsys):
    release = _with_spaces(release_dir, '[[spaces]]\nrepo = "twice"\n[[spaces]]\nrepo = "local/Twice"\n')
    code, out, err = dry_run(release_dir, capsys)
    assert (code, out) == (1, "")
    assert (
        err == f"hubtools: error: {release}: spaces[1].repo: 'local/Twice' is local/Twice, as spaces[0] already is\n"
    )


@pytest.mark.parametrize(("existing", "kind"), [("static", "gradio"), ("gradio", "static"), ("docker", "static")])
def test_an_existing_space_of_another_kind_is_refused_before_anything_is_built(
    release_dir, capsys, hf_api, repo_name, existing, kind
):
    space = repo_name("clash")
    hf_api.create_repo(space, repo_type="space", space_sdk=existing)
    release = _with_spaces(release_dir, f'[[spaces]]\nrepo = "local/ok-{kind}"\nkind = "{kind}"\n')
    release.write_text(release.read_text() + f'[[spaces]]\nrepo = "{space}"\nkind = "{kind}"\n')
    for command in (["--dry-run"], []):
        code = main(["release", str(release), "--version", "v0.0.1", *command])
        err = capsys.readouterr().err
        assert code == 1
        assert err.startswith(
            f"hubtools: error: {release}: spaces[1].kind: {space} is a {existing} Space, not a {kind} one: "
        )
    assert not hf_api.repo_exists("local/dry-chats", repo_type="dataset")  # nothing was pushed


TINY_BASE = Path(__file__).parent / "fixtures" / "tiny-base.toml"


def _with_base(release_dir: Path) -> Path:
    (release_dir / "base.toml").write_text(TINY_BASE.read_text())
    release = release_dir / "release.toml"
    release.write_text(
        release.read_text().replace('train = "train.toml"', 'train = "train.toml"\nbase = "base.toml"')
        + 'base_model = "dry-base"\n'
    )
    return release


def test_a_base_model_is_planned_before_the_fine_tune(release_dir, capsys):
    _with_base(release_dir)
    code, out, err = dry_run(release_dir, capsys)
    assert (code, err) == (0, "")
    stages = [line.split()[0] for line in out.splitlines()[1:] if not line.startswith("  source")]
    assert stages[:3] == ["dataset", "base", "train"]
    [base] = [line for line in out.splitlines() if line.startswith("  base ")]
    assert "[to do]  train recipe 'base' (pretrain): 4 steps" in base and base.endswith("→  local/dry-base")
    [train] = [line for line in out.splitlines() if line.startswith("  train ")]
    assert train.endswith("→  (after the base model)")


def test_the_base_recipe_is_checked_like_the_train_recipe(release_dir, capsys):
    _with_base(release_dir)
    base = release_dir / "base.toml"
    base.write_text(base.read_text().replace('eval_split = "test"', 'eval_split = "validation"'))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err == (
        f"hubtools: error: {base}: dataset.eval_split: data recipe 'data' builds no 'validation' split; "
        "it builds: train, test\n"
    )
    base.write_text(TINY_BASE.read_text().replace("[base_model]\nconfig =", '[base_model]\nrepo_id = "local/gone"\n#'))
    base.write_text(base.read_text().replace('tokenizer = "train"\nvocab_size = 512\n', 'revision = "v1"\n'))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err.startswith(f"hubtools: error: {base}: base_model: base model local/gone not found")


@pytest.mark.parametrize(
    ("given", "missing"), [('base = "train.toml"\n', "repos.base_model"), ("", "base")], ids=["no-repo", "no-recipe"]
)
def test_a_base_needs_its_recipe_and_its_repo(release_dir, capsys, given, missing):
    release = release_dir / "release.toml"
    text = release.read_text().replace("[repos]", given + "[repos]")
    release.write_text(text + ('base_model = "b"\n' if missing == "base" else ""))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err.startswith(f"hubtools: error: {release}: {missing}: needed with ")


def test_the_base_needs_a_repo_of_its_own(release_dir, capsys):
    release = _with_base(release_dir)
    release.write_text(release.read_text().replace('base_model = "dry-base"', 'base_model = "local/dry-model"'))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    message = "repos.base_model: local/dry-model is also repos.model; give the base its own"
    assert err == f"hubtools: error: {release}: {message}\n"


def test_the_base_is_a_pretraining_recipe(release_dir, capsys):
    _with_base(release_dir)
    base = release_dir / "base.toml"
    base.write_text(base.read_text().replace('method = "pretrain"\n', "").replace("assistant_only_loss = false\n", ""))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err == (
        f"hubtools: error: {base}: method: a release's base model is pretrained on plain text: expected 'pretrain', "
        "got 'sft'\n"
    )


def test_the_fine_tune_must_fit_the_base_positions(release_dir, capsys):
    _with_base(release_dir)
    base = release_dir / "base.toml"
    base.write_text(base.read_text().replace("n_positions = 128", "n_positions = 64").replace("= 128", "= 64"))
    code, _, err = dry_run(release_dir, capsys)
    assert code == 1
    assert err == (
        f"hubtools: error: {release_dir / 'train.toml'}: training.max_length: 128 is above the 64 positions of the "
        f"base model ({base})\n"
    )
