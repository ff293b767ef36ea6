"""chatterbot-corpus YAML: `conversations: [[turn, reply, turn, …], …]`, turns alternating user/assistant.

The `chatterbot-corpus` package ships 21 English files of short real dialogues; a source of this kind
without `path` reads them from the installed package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from hubtools.data.sources import ParseResult, Reject, add_conversation
from hubtools.errors import HubtoolsError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def corpus_dir(language: str = "english") -> Path:
    """The installed chatterbot-corpus data folder for one language."""
    spec = importlib.util.find_spec("chatterbot_corpus")
    if spec is None or not spec.submodule_search_locations:
        raise HubtoolsError("the chatterbot source needs the `chatterbot-corpus` package (pip install it)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / language


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    result = ParseResult()
    try:
        text = path.read_bytes().decode("utf-8")
        root = yaml.compose(text, Loader=_Loader)
    except UnicodeDecodeError as error:
        result.rejects.append(Reject(f"{display}:1", f"not UTF-8 text (byte {error.start})", source=source))
        return result
    except yaml.YAMLError as error:
        line = error.problem_mark.line + 1 if getattr(error, "problem_mark", None) else 1
        reason = f"invalid YAML: {getattr(error, 'problem', None) or error}"
        result.rejects.append(Reject(f"{display}:{line}", reason, source=source))
        return result
    conversations = _child(root, "conversations")
    if not isinstance(conversations, yaml.SequenceNode):
        result.rejects.append(Reject(f"{display}:1", "missing field 'conversations' (a list)", source=source))
        return result
    for node in conversations.value:
        location = f"{display}:{node.start_mark.line + 1}"
        turns = node.value if isinstance(node, yaml.SequenceNode) else None
        if turns is None or not all(isinstance(turn, yaml.ScalarNode) for turn in turns):
            result.rejects.append(Reject(location, "a conversation must be a list of texts", source=source))
            continue
        messages = [
            {"role": "user" if index % 2 == 0 else "assistant", "content": turn.value}
            for index, turn in enumerate(turns)
        ]
        texts = [turn.value for turn in turns]
        no_turns = "no turns: needs a line and a reply"
        add_conversation(result, location, messages, None, source=source, row=texts, no_turns=no_turns)
    return result


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None
