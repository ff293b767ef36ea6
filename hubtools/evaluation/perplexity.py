"""Held-out perplexity: the loop below scores every token once; exp(mean loss) is all the `evaluate` metric adds.

Conversations go through the model's own chat template, exactly as in training. Which tokens count
mirrors training too: with `{% generation %}` markers in the template (what `assistant_only_loss` needs)
only assistant tokens are scored; without them training saw the loss on every token, and so does this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hubtools.errors import HubtoolsError
from hubtools.evaluation.report import LossOn

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

METRIC_DIR = Path(__file__).parent / "metrics" / "perplexity"
_GENERATION_MARKER = re.compile(r"\{%-?\s*generation\s*-?%\}")

Conversation = Sequence[dict[str, str]]


@dataclass(frozen=True)
class PerplexityResult:
    """What the metric returns, plus which tokens were scored."""

    perplexity: float
    mean_loss: float
    num_tokens: int
    num_sequences: int
    loss_on: LossOn


def resolve_loss_on(tokenizer: PreTrainedTokenizerBase, loss_on: Literal["auto", "assistant", "all"]) -> LossOn:
    """`auto` becomes `assistant` when the chat template marks assistant spans, else `all`."""
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise HubtoolsError("the model's tokenizer has no chat template: cannot format the `messages` column")
    marked = bool(_GENERATION_MARKER.search(template if isinstance(template, str) else str(template)))
    if loss_on == "auto":
        return "assistant" if marked else "all"
    if loss_on == "assistant" and not marked:
        raise HubtoolsError("loss_on='assistant' needs {% generation %} markers in the chat template")
    return loss_on


def encode_conversation(
    tokenizer: PreTrainedTokenizerBase, messages: Conversation, *, loss_on: LossOn, max_length: int
) -> tuple[list[int], list[bool]]:
    """Token ids and, per token, whether its loss counts (cut to `max_length` tokens)."""
    encoded = tokenizer.apply_chat_template(
        list(messages), tokenize=True, return_dict=True, return_assistant_tokens_mask=loss_on == "assistant"
    )
    ids = list(encoded["input_ids"])[:max_length]
    if loss_on == "assistant":
        scored = [bool(flag) for flag in encoded["assistant_masks"][:max_length]]
    else:
        scored = [True] * len(ids)
    return ids, scored


def iter_token_losses(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[Conversation],
    *,
    loss_on: LossOn,
    batch_size: int = 8,
    max_length: int = 1024,
) -> Iterator[list[list[float]]]:
    """Per-token losses, one batch of conversations at a time (in input order within the whole run).

    The first token of a conversation has no context and is never scored; token t is scored when
    it counts (see `encode_conversation`), predicted from tokens < t: the shifted cross-entropy of training.
    """
    import torch
    import torch.nn.functional as functional

    device = next(model.parameters()).device
    encoded = [
        encode_conversation(tokenizer, messages, loss_on=loss_on, max_length=max_length) for messages in conversations
    ]
    for start in range(0, len(encoded), batch_size):
        batch = encoded[start : start + batch_size]
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        scored = torch.zeros((len(batch), width), dtype=torch.bool)
        for row, (ids, mask) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention[row, : len(ids)] = 1
            scored[row, : len(ids)] = torch.tensor(mask, dtype=torch.bool)
        with torch.no_grad():
            logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits
            losses = functional.cross_entropy(
                logits[:, :-1].float().transpose(1, 2), input_ids[:, 1:].to(device), reduction="none"
            ).cpu()
        keep = scored[:, 1:] & attention[:, 1:].bool()
        yield [losses[row][keep[row]].tolist() for row in range(len(batch))]


def load_metric() -> Any:
    """The shipped perplexity metric, loaded by path (metric code cannot be fetched from a Hub here)."""
    import evaluate

    return evaluate.load(str(METRIC_DIR), keep_in_memory=True)


def compute_perplexity(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[Conversation],
    *,
    loss_on: Literal["auto", "assistant", "all"] = "auto",
    batch_size: int = 8,
    max_length: int = 1024,
) -> PerplexityResult:
    """Score the conversations batch by batch, feeding each batch's token losses to the metric."""
    if not conversations:
        raise HubtoolsError("the eval split is empty: nothing to score")
    resolved = resolve_loss_on(tokenizer, loss_on)
    # A conversation longer than the model's position embeddings cannot be scored whole: cut it there.
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        max_length = min(max_length, positions)
    metric = load_metric()
    batches = iter_token_losses(
        model, tokenizer, conversations, loss_on=resolved, batch_size=batch_size, max_length=max_length
    )
    for losses in batches:
        metric.add_batch(losses=losses)
    try:
        result = metric.compute()
    except ValueError as error:
        hint = "are the assistant turns cut off by max_length?"
        raise HubtoolsError(f"perplexity: {error} ({hint})") from None
    return PerplexityResult(
        perplexity=result["perplexity"],
        mean_loss=result["mean_loss"],
        num_tokens=result["num_tokens"],
        num_sequences=result["num_sequences"],
        loss_on=resolved,
    )
