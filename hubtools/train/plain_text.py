"""`method = "pretrain"`: conversations as the plain text a base model learns, with no chat template.

A base model should know the language of the data, not the chat format: each conversation becomes its turns'
text, one turn a line, and the run learns every token (TRL ends each text with the end-of-text token). The
saved tokenizer has no chat template, so a probe asks the base the bare prompt, as it would GPT-2; the
fine-tune that starts from it adds the template (`hubtools.train.chat_template`).
"""

from __future__ import annotations

from typing import Any

TEXT_COLUMN = "text"  # what TRL's SFTTrainer reads from a non-conversational dataset


def plain_text(messages: list[dict[str, str]]) -> str:
    """One conversation as dialogue text: the turns' contents, one a line, without role labels."""
    return "\n".join(turn["content"].strip() for turn in messages if turn.get("content", "").strip())


def as_plain_text(split: Any) -> Any:
    """A `messages` split as a `text` split (empty conversations dropped: they would teach only end-of-text)."""
    texts = [plain_text(messages) for messages in split["messages"]]
    from datasets import Dataset

    return Dataset.from_dict({TEXT_COLUMN: [text for text in texts if text]})
