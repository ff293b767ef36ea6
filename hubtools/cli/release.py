"""`hubtools release`: the whole chain in one command."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

from hubtools.cli._common import Formatter, add_hub_options
from hubtools.hub.target import DEFAULT_ENDPOINT

EPILOG = """examples:
  hubtools release demo --version v0.1.0 --hub local      # offline, on the embedded Hub (what `make demo` runs)
  hubtools release demo --version v0.2.0 --hub local      # next version: the base model is reused, not retrained
  hubtools release ruby-002 --version v1.0.0 --dry-run    # what would be built and changed on huggingface.co
  hubtools release my-release.toml --version v1.2.0 --json | tail -n 1 | jq .model.commit
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "release",
        help="build + push the dataset, train, evaluate, write cards, publish the model and update its Spaces",
        description="Run a release recipe end to end. Version tags are created on every repo only after every "
        "artifact is uploaded and verified; a failed release can be re-run and continues where it stopped; "
        "re-running a finished release changes nothing.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument(
        "recipe", metavar="RECIPE", help="a shipped release recipe (demo, ruby-002, …) or a .toml path"
    )
    parser.add_argument("--version", required=True, metavar="vX.Y.Z", help="the version tag to publish")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and write nothing")
    parser.add_argument("--json", action="store_true", help="print the manifest (or plan) as JSON on the last line")
    parser.add_argument("--serve", action="store_true", help="then start the chat Space locally on the new release")
    parser.add_argument("--port", type=int, default=7860, help="port for --serve (default: 7860)")
    add_hub_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token) as target:
        if args.dry_run:
            return _dry_run(args, target)
        from hubtools.release.recipe import load_release_recipe
        from hubtools.release.run import release, stage_names

        started = time.monotonic()
        recipe = load_release_recipe(args.recipe)
        stage_log = _StageLog(stage_names(recipe))
        try:
            result = release(recipe, args.version, on_stage=stage_log)
        except Exception as error:
            if stage_log.current:
                error.add_note(f"release stopped in stage {stage_log.current}; the same command continues from there")
            raise
        manifest = result.manifest
        _summary(manifest, target, args, changed=result.changed, seconds=time.monotonic() - started)
        if args.json:
            print(manifest.to_json())
        if args.serve:
            from hubtools.serve.local import launch_space

            launch_space(manifest.model.repo_id, manifest.version, where=str(target), port=args.port)
    return 0


def _dry_run(args: argparse.Namespace, target) -> int:
    from hubtools.release.plan import plan_as_json, plan_release

    steps = plan_release(args.recipe, args.version)
    print(f"release {args.recipe} {args.version} on {target} (dry run: nothing is written)")
    width = max(len(step.stage) for step in steps)
    for step in steps:
        print(f"  {step.stage:<{width}}  [{step.state}]  {step.action}  →  {step.target}")
    if args.json:
        print(json.dumps(plan_as_json(steps)))
    return 0


class _StageLog:
    """Prints `[i/n] stage: …` lines on stderr as the release moves on."""

    def __init__(self, order: tuple[str, ...]) -> None:
        self.total, self.order = len(order), order
        self.current: str | None = None  # the stage started and not yet done

    def __call__(self, stage: str, event: str, detail: str) -> None:
        self.current = stage if event == "start" else None
        index = self.order.index(stage) + 1
        words = {"start": "…", "done": "done", "skip": "up to date"}[event]
        print(f"[{index}/{self.total}] {stage} {words}" + (f" ({detail})" if detail else ""), file=sys.stderr)


def _summary(manifest, target, args: argparse.Namespace, *, changed: bool, seconds: float) -> None:
    verb = "released" if changed else "already released (nothing changed)"
    lines = [
        f"{manifest.version} {verb} on {target} in {seconds:.0f} s",
        f"  dataset  {manifest.dataset.repo_id}@{manifest.dataset.commit[:12]}  tag {manifest.version}",
        f"  model    {manifest.model.repo_id}@{manifest.model.commit[:12]}  tag {manifest.version}",
    ]
    if manifest.base_model:
        base = manifest.base_model
        lines.append(f"  base     {base.repo_id}@{base.commit[:12]}  tag {base.tag} (the fine-tune's base model)")
    for space in manifest.spaces:
        lines.append(f"  space    {space.repo_id}@{space.commit[:12]}  tag {manifest.version} ({space.kind})")
    # The `hubtools` that ran, when it is not on PATH (e.g. in a virtual environment that is not activated).
    program = "hubtools" if shutil.which("hubtools") else sys.argv[0]
    command = f"{program} space run --model {manifest.model.repo_id} --revision {manifest.version}"
    if args.hub == "local":
        home = os.environ.get("HUBTOOLS_HOME")
        command = (f"HUBTOOLS_HOME={home} " if home else "") + command + " --hub local"
    elif target.endpoint != DEFAULT_ENDPOINT:
        command += f" --hub {target.endpoint}"
    lines.append(f"chat with it:  {command}")
    print("\n".join(lines), file=sys.stderr if args.json else sys.stdout)
