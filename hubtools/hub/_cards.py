"""README front matter: the YAML block the Hub reads card metadata from, parsed safely.

Card YAML comes from anyone who can commit, and is parsed on every `model_info`. YAML aliases let a document of
under 1 KB expand to gigabytes ("billion laughs"), so they are refused outright (the Hub's cards never need
them), nesting is bounded, and the block itself is size-capped by the callers.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

MAX_DEPTH = 64


class CardLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (`*name`, `<<: *name`) and nesting deeper than MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ComposerError(None, None, "YAML aliases (*name) are not allowed in card metadata", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"card metadata is nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_card_yaml(text: str) -> Any:
    """One YAML document with CardLoader's limits; raises yaml.YAMLError."""
    loader = CardLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def parse_front_matter(content: str) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, error) from a README's leading `---` YAML block; metadata is None when absent or invalid."""
    text = content.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                data = load_card_yaml("\n".join(lines[1:index]))
            except yaml.YAMLError as error:
                return None, f"Invalid YAML in README.md metadata: {error}"
            if data is None:
                return None, None
            if not isinstance(data, dict):
                return None, "README.md metadata must be a YAML mapping"
            return data, None
    return None, "README.md metadata block is not closed by '---'"
