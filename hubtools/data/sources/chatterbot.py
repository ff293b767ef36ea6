"""chatterbot-corpus YAML: `conversations: [[turn, reply, turn, …], …]`, turns alternating user/assistant.

The `chatterbot-corpus` package ships 21 English files of short real dialogues; a source of this kind
without `path` reads them from the installed package.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from hubtools.data.sources import ParseResult, Reject, add_conversation
from hubtools.data.sources._read import read_text
from hubtools.errors import HubtoolsError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SURROGATE = re.compile("[\ud800-\udfff]")


def corpus_dir(language: str = "english") -> Path:
    """The installed chatterbot-corpus data folder for one language."""
    spec = importlib.util.find_spec("chatterbot_corpus")
    if spec is None or not spec.submodule_search_locations:
        raise HubtoolsError("the chatterbot source needs the `chatterbot-corpus` package (pip install it)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / language


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    result = ParseResult()
    root, problem = _compose(path, display)
    if problem is not None:
        result.rejects.append(Reject(problem[0], problem[1], source=source))
        return result
    conversations = _child(root, "conversations")
    if not isinstance(conversations, yaml.SequenceNode):
        reason = "missing field 'conversations' (a list)"
        if conversations is not None:
            reason = f"field 'conversations' must be a list of conversations, got {_node_kind(conversations)}"
        elif root is not None and not isinstance(root, yaml.MappingNode):
            reason = f"expected a mapping with 'conversations', got {_node_kind(root)}"
        result.rejects.append(Reject(f"{display}:1", reason, source=source))
        return result
    seen: set[int] = set()  # nodes met so far: an alias repeats one, and is not expanded (alias bombs)
    for node in conversations.value:
        location = f"{display}:{node.start_mark.line + 1}"
        turns = node.value if isinstance(node, yaml.SequenceNode) else None
        if turns is None or not all(isinstance(turn, yaml.ScalarNode) for turn in turns):
            result.rejects.append(Reject(location, "a conversation must be a list of texts", source=source))
            continue
        nodes = {id(item) for item in (node, *turns)}
        repeated = len(nodes) < len(turns) + 1 or not nodes.isdisjoint(seen)
        seen |= nodes
        if repeated:
            reason = "a YAML alias (*name) repeats earlier text: write each conversation out in full"
            result.rejects.append(Reject(location, reason, source=source))
            continue
        texts = [turn.value for turn in turns]
        if any(_SURROGATE.search(text) for text in texts):
            result.rejects.append(Reject(location, "invalid Unicode: a lone surrogate in a text", source=source))
            continue
        messages = [
            {"role": "user" if index % 2 == 0 else "assistant", "content": text} for index, text in enumerate(texts)
        ]
        no_turns = "no turns: needs a line and a reply"
        add_conversation(result, location, messages, None, source=source, row=texts, no_turns=no_turns)
    return result


def _compose(path: Path, display: str) -> tuple[yaml.Node | None, tuple[str, str] | None]:
    """The YAML node tree (never constructed into Python objects), or `(location, reason)`."""
    text = read_text(path, display)
    if isinstance(text, tuple):
        return None, text
    try:
        return yaml.compose(text, Loader=_Loader), None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        elif isinstance(getattr(error, "position", None), int):  # a ReaderError: a character YAML forbids
            line = text.count("\n", 0, error.position) + 1
        else:
            line = 1
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        context = getattr(error, "context", None)
        reason = " ".join((f"{context}, {problem}" if context else problem).split())
        return None, (f"{display}:{line}", f"invalid YAML: {reason}")
    except RecursionError:  # the pure-Python composer on deep nesting (libyaml stops at 1000 levels itself)
        return None, (f"{display}:1", "invalid YAML: nested too deeply")


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a text" if node.value else "nothing"


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None
