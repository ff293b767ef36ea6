"""CharacterAI chat dumps (one `.json` per character, written by a browser userscript).

Chat histories: `{"info": {"character": C}, "histories": {"histories": [{"msgs": [M, …]}, …]}}`; character
definitions: `{"character": C}` or `{"character": C, "user__username": str}`. The character's persona
(title, description, definition) becomes the system turn and its greeting the first assistant turn; human
messages are user turns, the character's are assistant turns. Every user name and display name met on the
way is collected in `ParseResult.names`, so scrubbing can remove them wherever they leak into free text.
Files are often hand-edited or truncated: a file that is not valid JSON is one reject at the failing line,
a history with a malformed message is one reject at `FILE:histories[i]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubtools.data.sources import ParseResult, Reject, add_conversation
from hubtools.data.sources._jsonl import check_value, load_document
from hubtools.data.sources._read import read_text


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    result = ParseResult()
    document, problem = _load(path, display)
    if problem is not None:
        result.rejects.append(Reject(problem[0], problem[1], source=source, row=None))
        return result
    if not isinstance(document, dict) or not ({"histories", "character"} & document.keys()):
        reason = "not a CharacterAI dump: expected an object with 'histories' or 'character'"
        result.rejects.append(Reject(f"{display}:1", reason, source=source))
        return result
    problem_outside = check_value({key: value for key, value in document.items() if key != "histories"})
    if problem_outside is not None:
        result.rejects.append(Reject(f"{display}:1", problem_outside, source=source))
        return result
    if isinstance(document.get("user__username"), str):
        result.names.add(document["user__username"])
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    character = info.get("character", document.get("character"))
    character = character if isinstance(character, dict) else {}
    if "histories" not in document:  # a character definition: names only, no conversation
        return result
    histories = document["histories"]
    if isinstance(histories, dict):
        histories = histories.get("histories")
    if not isinstance(histories, list):
        result.rejects.append(Reject(f"{display}:1", "field 'histories' must be a list", source=source))
        return result
    system = persona(character)
    for index, history in enumerate(histories):
        location = f"{display}:histories[{index}]"
        unusable = check_value(history)
        if unusable is not None:  # too deep or not valid Unicode: the row could not even be written out
            result.rejects.append(Reject(location, unusable, source=source, row=None))
            continue
        messages, names, problem = _history(history, character, system)
        result.names.update(names)
        no_turns = "no turns: the history has no exchange beyond the greeting"
        add_conversation(result, location, messages, problem, source=source, row=history, no_turns=no_turns)
    return result


def _load(path: Path, display: str) -> tuple[Any, tuple[str, str] | None]:
    """The parsed document, or `(location, reason)` for a file that is not readable JSON text."""
    text = read_text(path, display)
    if isinstance(text, tuple):
        return None, text
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, (f"{display}:{line}", "binary data (NUL bytes), not JSON")
    document, problem = load_document(text, check=False)
    if problem is not None:
        return None, (f"{display}:{problem[0]}", problem[1])
    return document, None


def persona(character: dict) -> str:
    """The system turn for a character: who it is, its title, description and (public) definition."""
    name = _str(character.get("name"))
    parts = [f"You are {name}." if name else ""]
    for key in ("title", "description", "definition"):
        value = _str(character.get(key))
        if value:
            parts.append(value.replace("{{char}}", name or "the character").replace("{{user}}", "User"))
    return "\n\n".join(part for part in parts if part)


def _history(history: Any, character: dict, system: str) -> tuple[list[dict], set[str], str | None]:
    msgs = history.get("msgs") if isinstance(history, dict) else history
    if not isinstance(msgs, list):
        return [], set(), "missing field 'msgs' (a list of messages)"
    names: set[str] = set()
    turns: list[dict] = []
    for index, message in enumerate(msgs):
        where = f"msgs[{index}]"
        if not isinstance(message, dict):
            return [], names, f"{where} must be an object"
        text, src = message.get("text"), message.get("src")
        if not isinstance(text, str):
            return [], names, f"{where}: missing field 'text'" if text is None else f"{where}: 'text' must be a string"
        if not isinstance(src, dict) or not isinstance(src.get("is_human"), bool):
            return [], names, f"{where}: missing field 'src.is_human'"
        names.update(_names(message))
        turns.append({"role": "user" if src["is_human"] else "assistant", "content": text})
    greeting = _str(character.get("greeting"))
    if greeting and (not turns or turns[0]["role"] != "assistant"):
        turns.insert(0, {"role": "assistant", "content": greeting})
    if system:
        turns.insert(0, {"role": "system", "content": system})
    return turns, names, None


def _names(message: dict) -> set[str]:
    """The human's user name, first name, account name and display name, wherever the message holds them."""
    found = set()
    for side in ("src", "tgt"):
        party = message.get(side)
        if not isinstance(party, dict) or not party.get("is_human"):
            continue
        user = party.get("user") if isinstance(party.get("user"), dict) else {}
        account = user.get("account") if isinstance(user.get("account"), dict) else {}
        found.update(_str(value) for value in (user.get("username"), user.get("first_name"), user.get("name")))
        found.add(_str(account.get("name")))
        found.add(_str(party.get("name")))
        if side == "src":
            found.add(_str(message.get("display_name")))
    return {name for name in found if name}


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
