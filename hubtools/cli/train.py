"""`hubtools train RECIPE`: fine-tune a chat model as a recipe says; heavy imports wait until it runs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from hubtools.cli._common import Formatter, add_hub_options

EPILOG = """\
examples:
  hubtools train demo --out out/demo                     # offline, on CPU, about two minutes
  hubtools train demo --set training.max_steps=50        # any recipe field, TOML syntax for the value
  hubtools train ruby-002 --hub local --push-checkpoints local/ruby-002
  hubtools train ruby-002 --hub local --push-checkpoints local/ruby-002 --resume   # after a crash
  hubtools train my-recipe.toml --check                  # validate and show the recipe, train nothing
  accelerate launch --config_file hubtools/recipes/accelerate/fsdp.yaml -m hubtools train opt-1.3b
  torchrun --nproc_per_node 2 -m hubtools train demo    # two processes, also on CPU (gloo)

Shipped recipes: demo, ruby-002, pygmalion-350m, opt-1.3b (hubtools/recipes/train/). Throughput settings
(packing, precision, micro-batch, checkpointing, compile) are chosen for the hardware found; see docs/training.md.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune a chat model from a training recipe",
        description="Fine-tune a causal LM on conversations (assistant turns only) with trl's SFTTrainer, and "
        "write a model folder: weights, tokenizer with chat template, trainer_state.json, loss_curve.png, "
        "hubtools_train.json (and adapter/ for LoRA recipes).",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("recipe", metavar="RECIPE", help="a shipped recipe name or a path to a .toml file")
    parser.add_argument("--out", type=Path, metavar="DIR", help="model folder to write (default: out/RECIPE)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in DIR/checkpoints or on the --push-checkpoints repo",
    )
    parser.add_argument(
        "--push-checkpoints",
        metavar="REPO_ID",
        help="push every checkpoint to the 'checkpoints' branch of this model repo on the Hub target",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe field, e.g. training.max_steps=20 (repeatable; validated like the file)",
    )
    parser.add_argument("--keep-checkpoints", action="store_true", help="keep DIR/checkpoints after a successful run")
    parser.add_argument("--check", action="store_true", help="validate the recipe, print it as JSON and exit")
    add_hub_options(parser)
    parser.set_defaults(func=train_command)


def train_command(args: argparse.Namespace) -> int:
    from hubtools.train.recipe import load_train_recipe

    recipe = load_train_recipe(args.recipe, args.overrides)
    if args.check:
        print(json.dumps(recipe.model_dump(mode="json"), indent=2))
        return 0
    out_dir = args.out or Path("out") / recipe.name

    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token):
        from hubtools.train.trainer import train

        result = train(
            recipe,
            out_dir=out_dir,
            resume=args.resume,
            push_checkpoints_to=args.push_checkpoints,
            keep_checkpoints=args.keep_checkpoints,
        )
    if os.environ.get("RANK", "0") != "0":
        return 0  # under `accelerate launch`/torchrun, the main process reports
    first = f"{result.first_loss:.3f}" if result.first_loss is not None else "n/a"
    last = f"{result.train_loss:.3f}" if result.train_loss is not None else "n/a"
    print(
        f"hubtools train: {result.steps} steps, loss {first} -> {last}, {result.tokens_seen:,} tokens "
        f"in {result.runtime_seconds:.0f} s; model folder: {result.out_dir}",
        file=sys.stderr,
    )
    print(result.out_dir)
    return 0
