"""Perplexity from per-token losses, as an `evaluate` metric loaded by path.

The stock `perplexity` metric lives on a Hub Space and re-downloads the model to score texts; here the
model has already scored every token (see `hubtools.evaluation.perplexity`), so this module only
aggregates: perplexity = exp(mean token loss), every scored token weighing the same.
"""

import math

import datasets
import evaluate

_DESCRIPTION = """\
Perplexity of a causal language model on held-out text, from the model's per-token negative
log-likelihoods (natural log). Tokens are pooled across sequences: mean_loss is the mean over all tokens,
perplexity = exp(mean_loss).
"""

_INPUTS = """\
Args:
    losses (`list[list[float]]`): for each sequence, the negative log-likelihood of each scored token.
        A sequence may be empty (nothing scored in it).
Returns:
    perplexity (`float`): exp(mean_loss).
    mean_loss (`float`): mean negative log-likelihood per scored token.
    num_tokens (`int`): number of scored tokens.
    num_sequences (`int`): number of sequences given (empty ones included).
Examples:
    >>> metric = evaluate.load("hubtools/evaluation/metrics/perplexity")
    >>> metric.compute(losses=[[0.0, 2.0], [1.0]])
    {'perplexity': 2.718281828459045, 'mean_loss': 1.0, 'num_tokens': 3, 'num_sequences': 2}
"""


class Perplexity(evaluate.Metric):
    """Token-pooled perplexity from precomputed losses."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features({"losses": datasets.List(datasets.Value("float64"))}),
        )

    def _compute(self, losses: list[list[float]]) -> dict:
        num_tokens = sum(len(sequence) for sequence in losses)
        if num_tokens == 0:
            raise ValueError("no tokens were scored: cannot compute a perplexity")
        # math.fsum: the mean of many float losses without accumulated rounding.
        mean_loss = math.fsum(math.fsum(sequence) for sequence in losses) / num_tokens
        return {
            "perplexity": math.exp(mean_loss),
            "mean_loss": mean_loss,
            "num_tokens": num_tokens,
            "num_sequences": len(losses),
        }
