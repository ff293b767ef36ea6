"""`hubtools eval` (perplexity + probe table) and `hubtools card` (print a model card); heavy imports stay lazy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hubtools.cli._common import Formatter, add_hub_options, add_revision_option

EVAL_EPILOG = """\
MODEL is a local model folder or a repo id on the Hub target; --base and --previous likewise.
The eval dataset defaults to the one in MODEL/hubtools_train.json, at the exact commit trained on.

examples:
  hubtools eval out/grafito-small
  hubtools eval me/grafito-small --revision v2 --previous me/grafito-small --previous-revision v1 --out eval.json
  hubtools eval out/grafito-small --dataset me/grafito-chat --dataset-revision v2 --probe "tell me a joke"
  hubtools eval out/grafito-small --config eval.toml --hub local
  hubtools eval me/grafito-small --revision v2 --previous me/grafito-small --previous-revision v1 \
      --arena me/community-chats

--arena reads the chat Space's arena votes from the contributions dataset repo and counts those between this
release and the previous one (--arena-releases names them when MODEL or --previous is a local folder): wins,
ties, losses, distinct voters, and the win rate with ties as half a win and a 95% Wilson interval.

The report is printed as JSON on stdout and written to MODEL/eval_results.json for a local MODEL
(or to --out). eval.toml holds EvalConfig fields at top level or in an [eval] table:
  probes = ["what is 2+2", ...]   extra_probes = [...]   max_new_tokens = 48   split = "test"
  max_samples = 200   batch_size = 8   max_length = 1024   loss_on = "auto" | "assistant" | "all"
"""

CARD_EPILOG = """\
examples:
  hubtools card out/grafito-small --repo-id me/grafito-small --revision v2 > out/grafito-small/README.md
  hubtools card out/grafito-small --repo-id me/grafito-small --previous-dir out/grafito-small-v1
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="held-out perplexity and the probe table of a fine-tuned model",
        description="Score a model on the held-out split of its dataset and ask it (and its base model and the "
        "previous release) the probe prompts; write eval_results.json.",
        epilog=EVAL_EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("model", metavar="MODEL", help="local model folder or Hub repo id")
    add_revision_option(parser, what="model (Hub MODEL only)")
    parser.add_argument("--dataset", metavar="REPO|DIR", help="eval dataset (default: from hubtools_train.json)")
    parser.add_argument("--dataset-revision", metavar="REV", help="branch, tag or sha of --dataset")
    parser.add_argument("--base", metavar="MODEL", help="base model to probe (default: from hubtools_train.json)")
    parser.add_argument("--base-revision", metavar="REV", help="revision of --base")
    parser.add_argument("--previous", metavar="MODEL", help="previous release to probe for comparison")
    parser.add_argument("--previous-revision", metavar="REV", help="revision (release tag) of --previous")
    parser.add_argument("--config", metavar="TOML", type=Path, help="eval settings (see below)")
    parser.add_argument("--probe", action="append", default=[], metavar="TEXT", help="add a probe prompt (repeatable)")
    parser.add_argument("--max-new-tokens", type=int, metavar="N", help="answer length cap (default 48)")
    parser.add_argument("--max-samples", type=int, metavar="N", help="score only the first N rows of the split")
    parser.add_argument("--out", type=Path, metavar="PATH", help="where to write the JSON report")
    parser.add_argument("--arena", metavar="REPO", help="contributions dataset repo holding the Space's arena votes")
    parser.add_argument("--arena-revision", metavar="REV", help="revision of --arena (default: main)")
    parser.add_argument(
        "--arena-releases",
        nargs=2,
        metavar=("THIS", "PREVIOUS"),
        help="the two releases as REPO@REV (default: MODEL@--revision, --previous@--previous-revision)",
    )
    add_hub_options(parser)
    parser.set_defaults(func=run_eval)

    card = subparsers.add_parser(
        "card",
        help="print the model card (README.md) of a trained and evaluated model folder",
        description="Render model_cards/model_card.md.jinja from MODEL_DIR/hubtools_train.json and "
        "eval_results.json (and the previous release's results) and print it.",
        epilog=CARD_EPILOG,
        formatter_class=Formatter,
    )
    card.add_argument("model_dir", metavar="MODEL_DIR", type=Path, help="model folder (trained and evaluated)")
    card.add_argument("--repo-id", required=True, metavar="ID", help="the model repo the card is for")
    card.add_argument("--revision", default="main", metavar="REV", help="the release tag to pin in the snippet")
    card.add_argument("--previous-dir", type=Path, metavar="DIR", help="previous release folder (eval_results.json)")
    card.add_argument(
        "--endpoint", metavar="URL", help="Hub the links point to (default: $HF_ENDPOINT or huggingface.co)"
    )
    card.add_argument("--license", help="license id for the card (default: recorded one, else apache-2.0)")
    card.set_defaults(func=run_card)


def _source(name: str | None, revision: str | None, flag: str) -> Path | tuple[str, str | None] | None:
    """A folder that exists stays a folder; anything else is (repo id, revision) on the Hub target."""
    from hubtools.errors import HubtoolsError

    if name is None:
        if revision is not None:
            raise HubtoolsError(f"{flag} needs the repo it applies to")
        return None
    if Path(name).exists():
        if revision is not None:
            raise HubtoolsError(f"{name} is a local folder: {flag} applies to Hub repos only")
        return Path(name)
    return (name, revision)


def run_eval(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from hubtools._validation import format_validation_error
    from hubtools.errors import HubtoolsError
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token):
        from hubtools.evaluation import EvalConfig, evaluate_model, load_eval_config

        config = load_eval_config(args.config) if args.config else EvalConfig()
        updates = {"max_new_tokens": args.max_new_tokens, "max_samples": args.max_samples}
        updates = {key: value for key, value in updates.items() if value is not None}
        if args.probe:
            updates["extra_probes"] = [*config.extra_probes, *args.probe]
        try:
            config = EvalConfig.model_validate({**config.model_dump(), **updates})
        except ValidationError as error:
            raise HubtoolsError(format_validation_error(Path("command line"), error)) from None
        arena = _arena(args) if args.arena else None
        report = evaluate_model(
            _source(args.model, args.revision, "--revision"),
            dataset=_source(args.dataset, args.dataset_revision, "--dataset-revision"),
            base_model=_source(args.base, args.base_revision, "--base-revision"),
            previous=_source(args.previous, args.previous_revision, "--previous-revision"),
            config=config,
            out=args.out,
            arena=arena,
        )
    json.dump(report.to_json(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _arena(args: argparse.Namespace):
    """The arena result of `args`' two releases from the stored votes (a summary line goes to stderr)."""
    from hubtools.errors import HubtoolsError
    from hubtools.evaluation.arena import Release, hub_arena_result, parse_release

    if args.arena_releases:
        this, previous = (parse_release(text, flag="--arena-releases") for text in args.arena_releases)
    else:
        if Path(args.model).exists() or not args.previous or Path(args.previous).exists():
            raise HubtoolsError("--arena: name the two releases with --arena-releases REPO@REV REPO@REV")
        this = Release(args.model, args.revision or "main")
        previous = Release(args.previous, args.previous_revision or "main")
    result = hub_arena_result(args.arena, this, previous, votes_revision=args.arena_revision)
    rate = f"{result.win_rate:.1%} [{result.low:.1%}, {result.high:.1%}]" if result.votes else "n/a"
    print(
        f"arena {result.model} vs {result.against}: {result.wins}-{result.ties}-{result.losses} (win/tie/loss) from "
        f"{result.voters} voter(s), win rate {rate}; skipped {result.skipped or 'none'}",
        file=sys.stderr,
    )
    return result


def run_card(args: argparse.Namespace) -> int:
    from hubtools.cards.model_card import render_model_card

    sys.stdout.write(
        render_model_card(
            args.model_dir,
            repo_id=args.repo_id,
            revision=args.revision,
            previous=args.previous_dir,
            endpoint=args.endpoint,
            license=args.license,
        )
    )
    return 0
