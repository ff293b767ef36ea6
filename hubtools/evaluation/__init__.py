"""Evaluation of a fine-tuned model: held-out perplexity and the probe table, saved as `eval_results.json`.

Importing this package is cheap; torch, transformers, datasets and evaluate load when a function runs.
"""

from hubtools.evaluation.config import EvalConfig, load_eval_config
from hubtools.evaluation.probes import DEFAULT_PROBES, flag_answer
from hubtools.evaluation.report import Answer, DatasetRef, EvalReport, ModelRef, ProbeResult
from hubtools.evaluation.run import Source, evaluate_model

__all__ = [
    "DEFAULT_PROBES",
    "Answer",
    "DatasetRef",
    "EvalConfig",
    "EvalReport",
    "ModelRef",
    "ProbeResult",
    "Source",
    "evaluate_model",
    "flag_answer",
    "load_eval_config",
]
