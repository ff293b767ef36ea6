"""`hubtools data convert|build|push`: chat datasets from raw sources to a tagged Hub dataset repo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hubtools.cli._common import Formatter, add_hub_options
from hubtools.errors import HubtoolsError

KINDS = ("hh-rlhf", "dolly", "cai-dump", "messages", "chatterbot", "space-feedback")

CONVERT_EPILOG = """\
examples:
  hubtools data convert --from hh-rlhf train.jsonl.gz --out hh.jsonl
  hubtools data convert --from cai-dump dumps/ --out cai.jsonl --rejects cai.bad.jsonl
  hubtools data convert --from dolly dolly.jsonl --out dolly.jsonl --strict

Bad lines are reported on stderr as FILE:LINE: reason and written to the rejects file
(default: OUT with .rejects.jsonl). Exit status 0 when at least one conversation converted;
with --strict, any bad line is an error and nothing is written.

Inputs may be gzip (any name); a damaged one keeps the lines before the damage. OUT and the
rejects file must not be an input (also through links): both are written in full or not at all.
"""

BUILD_EPILOG = """\
examples:
  hubtools data build demo --out out/demo-data
  hubtools data build recipes/my-data.toml --out out/my-data --num-proc 2
  hubtools data build grafito-25k --hub https://huggingface.co --out out/grafito

RECIPE is a shipped recipe name (grafito-25k, demo) or a path to a .toml file.
The folder gets a DatasetDict (load_from_disk), README.md (the card), rejects.jsonl and build.json.
Its path is printed on stdout.
"""

PUSH_EPILOG = """\
examples:
  hubtools data push demo --version v0.1.0 --hub local
  hubtools data push grafito-25k --version v1.0.0 --out out/grafito --repo-id me/grafito-25k

Pushing content that is already on the Hub makes no commit; a tag that exists with other
content is an error. Prints REPO_ID@TAG COMMIT on stdout.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "data",
        help="convert raw chat data, build a dataset from a recipe, push it to the Hub",
        description="Chat datasets: convert source files, build from a recipe, publish a tagged version.",
        formatter_class=Formatter,
    )
    commands = group.add_subparsers(dest="data_command", metavar="COMMAND", required=True)

    convert = commands.add_parser(
        "convert",
        help="convert source files to messages JSONL",
        description="Convert files in one source format to messages JSONL, cleaned and PII-scrubbed.",
        epilog=CONVERT_EPILOG,
        formatter_class=Formatter,
    )
    convert.add_argument("--from", dest="kind", required=True, choices=KINDS, help="format of the inputs")
    convert.add_argument("inputs", nargs="+", metavar="INPUT", help="input files or folders")
    convert.add_argument("--out", required=True, metavar="OUT.jsonl", help="output file (one conversation a line)")
    convert.add_argument("--rejects", metavar="FILE", help="where bad lines go (default: OUT.rejects.jsonl)")
    convert.add_argument("--strict", action="store_true", help="fail on any bad line instead of skipping it")
    convert.add_argument("--no-scrub", action="store_true", help="keep personal data (not recommended)")
    convert.set_defaults(func=run_convert)

    build = commands.add_parser(
        "build",
        help="build a dataset from a recipe",
        description="Build a DatasetDict from a data recipe: sources, cleaning, PII, filters, dedup, selection.",
        epilog=BUILD_EPILOG,
        formatter_class=Formatter,
    )
    build.add_argument("recipe", metavar="RECIPE", help="shipped recipe name or path to a .toml file")
    build.add_argument("--out", metavar="DIR", help="output folder (default: out/data/<recipe name>)")
    _add_build_options(build)
    add_hub_options(build)
    build.set_defaults(func=run_build)

    push = commands.add_parser(
        "push",
        help="build (or reuse a build) and publish it as a tagged dataset version",
        description="Push a built dataset to a Hub dataset repo (parquet + card) and tag the commit.",
        epilog=PUSH_EPILOG,
        formatter_class=Formatter,
    )
    push.add_argument("recipe", metavar="RECIPE", help="shipped recipe name or path to a .toml file")
    push.add_argument("--version", required=True, metavar="vX.Y.Z", help="the tag to publish")
    push.add_argument("--out", metavar="DIR", help="build folder to reuse or build into")
    push.add_argument("--repo-id", metavar="OWNER/NAME", help="target repo (default: recipe's, else <you>/<name>)")
    push.add_argument("--private", action="store_true", help="create the repo private")
    push.add_argument("--rebuild", action="store_true", help="build again even if DIR holds a matching build")
    push.add_argument("--quiet", action="store_true", help="no progress bars")
    add_hub_options(push)
    push.set_defaults(func=run_push)

    from hubtools.cli.forget import add_forget_command

    add_forget_command(commands)


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--num-proc", type=int, metavar="N", help="worker processes (default: one per idle core, for big builds)"
    )
    parser.add_argument("--no-cache", action="store_true", help="recompute dedup even if cached")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_convert(args: argparse.Namespace) -> int:
    from hubtools.data.convert import check_outputs, convert_files, default_rejects_path, write_conversion

    out = Path(args.out)
    rejects_path = Path(args.rejects) if args.rejects else default_rejects_path(out)
    check_outputs(args.kind, args.inputs, out, rejects_path)
    conversion = convert_files(args.kind, args.inputs, scrub=not args.no_scrub)
    for reject in conversion.rejects:
        print(reject, file=sys.stderr)
    if args.strict and conversion.rejects:
        raise HubtoolsError(f"{len(conversion.rejects)} bad record(s) and --strict: nothing written")
    if not conversion.rows:
        raise HubtoolsError(f"no conversation converted from {conversion.files} file(s)")
    write_conversion(conversion, out, rejects_path)
    pii = ", ".join(f"{kind} {n}" for kind, n in sorted(conversion.pii.items())) or "none"
    message = f"converted {len(conversion.rows)} conversation(s) to {out}; {len(conversion.rejects)} rejected"
    if conversion.rejects:
        message += f" (see {rejects_path})"
    print(f"{message}; PII replaced: {pii}", file=sys.stderr)
    return 0


def run_build(args: argparse.Namespace) -> int:
    from hubtools.data.recipe import load_data_recipe
    from hubtools.hub.target import hub_target

    recipe = load_data_recipe(args.recipe)
    out = Path(args.out) if args.out else Path("out") / "data" / recipe.name
    with hub_target(args.hub, args.token):
        from hubtools.data.build import build_dataset

        result = build_dataset(
            recipe, out, num_proc=args.num_proc, progress=not args.quiet, cache_dir=False if args.no_cache else True
        )
    counts = result.counts
    print(
        f"built {recipe.name}: {counts['selected']} conversations (train {result.splits['train']}, "
        f"test {result.splits['test']}) from {counts['sampled']} read; rejected: parse {counts['parse_rejected']}, "
        f"filters {sum(counts['filters'].values())}, duplicates {sum(counts['dedup'].values())} "
        f"in {result.seconds:.1f}s",
        file=sys.stderr,
    )
    preferences = result.summary.get("preferences")
    if preferences is not None:
        splits = ", ".join(f"{name} {split['num_examples']}" for name, split in preferences["splits"].items())
        print(f"preferences: {preferences['counts']['selected']} pairs ({splits})", file=sys.stderr)
    print(result.path)
    return 0


def run_push(args: argparse.Namespace) -> int:
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token) as target:
        from hubtools.data.push import push_dataset

        pushed = push_dataset(
            args.recipe,
            args.version,
            out_dir=args.out,
            repo_id=args.repo_id,
            private=args.private,
            token=target.token,
            rebuild=args.rebuild,
            progress=not args.quiet,
        )
    state = "pushed" if pushed.changed else "unchanged (no new commit)"
    print(f"{pushed.repo_id}@{pushed.tag}: {state}", file=sys.stderr)
    print(f"{pushed.repo_id}@{pushed.tag} {pushed.commit}")
    return 0
