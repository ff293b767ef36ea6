"""The shipped metric, loaded by path, against perplexity computed directly with torch cross-entropy."""

from __future__ import annotations

import math

import pytest
from evaluation_helpers import CONVERSATIONS


def test_metric_loads_by_path_and_pools_tokens():
    from hubtools.evaluation.perplexity import load_metric

    metric = load_metric()
    metric.add_batch(losses=[[0.0, 2.0], []])
    metric.add_batch(losses=[[1.0]])
    result = metric.compute()
    assert result == {"perplexity": math.e, "mean_loss": 1.0, "num_tokens": 3, "num_sequences": 3}
    with pytest.raises(ValueError, match="no tokens"):
        load_metric().compute(losses=[[]])


def _direct_perplexity(model, tokenizer, conversations, *, assistant_only: bool) -> float:
    """One padded batch, labels -100 outside scored tokens and on padding, torch's mean cross-entropy."""
    import torch
    import torch.nn.functional as functional

    encoded = [
        tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        for messages in conversations
    ]
    width = max(len(item["input_ids"]) for item in encoded)
    input_ids = torch.full((len(encoded), width), tokenizer.eos_token_id)
    labels = torch.full((len(encoded), width), -100)
    attention = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, item in enumerate(encoded):
        ids = torch.tensor(item["input_ids"])
        input_ids[row, : len(ids)] = ids
        attention[row, : len(ids)] = 1
        mask = (
            torch.tensor(item["assistant_masks"]).bool() if assistant_only else torch.ones(len(ids), dtype=torch.bool)
        )
        labels[row, : len(ids)] = torch.where(mask, ids, torch.tensor(-100))
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention).logits
    loss = functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100
    )
    return math.exp(loss.item())


@pytest.mark.parametrize("loss_on", ["assistant", "all"])
def test_perplexity_is_exp_of_mean_token_loss(tiny_models, loss_on):
    from hubtools.evaluation.perplexity import compute_perplexity
    from hubtools.evaluation.run import load_model

    model, tokenizer = load_model(tiny_models["fine_tuned"])
    result = compute_perplexity(model, tokenizer, CONVERSATIONS, loss_on=loss_on, batch_size=2)
    expected = _direct_perplexity(model, tokenizer, CONVERSATIONS, assistant_only=loss_on == "assistant")
    assert result.loss_on == loss_on
    assert result.num_sequences == len(CONVERSATIONS)
    assert result.perplexity == pytest.approx(expected, rel=1e-5)
    assert 8 < result.mean_loss < 13  # an untrained model over a 50k vocabulary: about ln(50257) = 10.8


def test_auto_follows_the_chat_template_markers(tiny_models):
    from hubtools.errors import HubtoolsError
    from hubtools.evaluation.perplexity import resolve_loss_on
    from hubtools.evaluation.run import load_model

    _, tokenizer = load_model(tiny_models["fine_tuned"])
    assert resolve_loss_on(tokenizer, "auto") == "assistant"
    tokenizer = tokenizer.__class__.from_pretrained(tiny_models["fine_tuned"])
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert resolve_loss_on(tokenizer, "auto") == "all"
    with pytest.raises(HubtoolsError, match="generation"):
        resolve_loss_on(tokenizer, "assistant")
