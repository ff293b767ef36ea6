"""`hubtools data forget`: remove one contribution from the contributions repo by its receipt id."""

from __future__ import annotations

import argparse
import sys

from hubtools.cli._common import Formatter, add_hub_options

FORGET_EPILOG = """\
examples:
  hubtools data forget --receipt rc-1a2b-3c4d-5e6f-7a8b --repo me/community-chats
  hubtools data forget --receipt rc-1a2b-3c4d-5e6f-7a8b --repo me/community-chats --squash-history

Deletes the contribution's files in one commit and prints the deleted paths: the shared dumps
(data/) and the chat Space's feedback under the same receipt (feedback/: votes, picks, arena
votes and shared conversations). Without --squash-history the
rows remain in the repo's git history (and in revisions pinned before); datasets built from those keep them
until rebuilt from a newer revision.
"""


def add_forget_command(commands: argparse._SubParsersAction) -> None:
    """Register `forget` on a sub-command group (e.g. `hubtools data`)."""
    forget = commands.add_parser(
        "forget",
        help="remove a community contribution by its receipt id",
        description="Remove one contribution from the contributions dataset repo, given its receipt id.",
        epilog=FORGET_EPILOG,
        formatter_class=Formatter,
    )
    forget.add_argument("--receipt", required=True, metavar="ID", help="the receipt id the contributor was given")
    forget.add_argument("--repo", required=True, metavar="OWNER/NAME", help="the contributions dataset repo")
    forget.add_argument("--squash-history", action="store_true", help="then squash main's history into one commit")
    add_hub_options(forget)
    forget.set_defaults(func=run_forget)


def run_forget(args: argparse.Namespace) -> int:
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token) as target:
        from hubtools.community.store import forget

        done = forget(args.repo, args.receipt, token=target.token, squash=args.squash_history)
    print(f"removed contribution {done.receipt} from {args.repo} (commit {done.commit})", file=sys.stderr)
    for path in done.paths:
        print(path)
    return 0
