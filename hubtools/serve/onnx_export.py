"""`export_for_web`: the ONNX files transformers.js runs in a visitor's browser (`onnx/`), made at release time.

Written on `torch.onnx.export` (its TorchScript exporter, which traces the past-KV path faithfully):
optimum-onnx pins transformers < 4.58 and cannot sit beside this project's transformers 5. One graph with
past inputs also serves the first step (past of length 0), in the decoder layout transformers.js loads:
inputs `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value`; outputs `logits`,
`present.{i}.key|value`, plus `new_key_values.{i}.key|value`: only the positions this call added (the tail of
`present`). onnxruntime-web copies every output it returns into a fresh JavaScript array, so a page that fetches
the whole `present` pays for the whole cache at every token; fetching the tail instead took a quarter of the
web chat's time per token at a 200-token context (`spaces/web-chat/kv_in_place.js`). transformers.js ignores
the extra outputs.
`model_quantized.onnx` is the dynamic int8 copy transformers.js calls `q8`.
Every export is checked against transformers before it is kept (`hubtools.serve.onnx_check`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.cards.model_card import WEB_REPORT_FILE
from hubtools.errors import HubtoolsError
from hubtools.paths import atomic_folder

if TYPE_CHECKING:
    from transformers import PreTrainedModel

    from hubtools.serve.onnx_check import WebCheck

WEB_DIR, REPORT_FILE = WEB_REPORT_FILE.split("/")
FP32_FILE = "model.onnx"
Q8_FILE = "model_quantized.onnx"
SUPPORTED_TYPES = ("gpt2", "opt")
# Outputs holding only the positions a call added (the tail of `present.*`), for pages that keep the cache.
ADDED_PREFIX = "new_key_values."
# How many last positions get logits (0: all). transformers.js feeds 1 when the session has this input, so a
# 200-token prompt projects one row onto the 50k vocabulary instead of 200 (and copies 200 kB, not 40 MB).
KEEP_INPUT = "num_logits_to_keep"
OPSET = 17
# A single .onnx file is a protobuf, capped at 2 GiB; bigger models would need external data files.
MAX_SINGLE_FILE_BYTES = 2**31 - 2**24


@dataclass(frozen=True)
class WebExport:
    """Where the export went and how closely it matches transformers."""

    out_dir: Path
    check: WebCheck
    sizes: dict[str, int]


def io_names(layers: int) -> tuple[list[str], list[str]]:
    """The session's input and output names, in order (the same names optimum gave transformers.js)."""
    pasts = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    presents = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    added = [name.replace("present.", ADDED_PREFIX, 1) for name in presents]
    return ["input_ids", "attention_mask", "position_ids", *pasts, KEEP_INPUT], ["logits", *presents, *added]


def kv_shape(config: Any) -> tuple[int, int, int]:
    """(layers, heads, head size) of the KV cache, the way transformers.js computes them from config.json."""
    heads = config.num_attention_heads
    return config.num_hidden_layers, heads, config.hidden_size // heads


def load_for_export(model_dir: Path) -> PreTrainedModel:
    """The model in fp32 with eager attention (the mask path that traces into plain ONNX ops), in eval mode."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if not (model_dir / "config.json").is_file():
        raise HubtoolsError(f"{model_dir} is not a model folder (no config.json)")
    config = AutoConfig.from_pretrained(model_dir)
    if config.model_type not in SUPPORTED_TYPES:
        raise HubtoolsError(
            f"{model_dir}/config.json: model_type {config.model_type!r} has no web export; "
            f"expected one of {', '.join(SUPPORTED_TYPES)}"
        )
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    if size > MAX_SINGLE_FILE_BYTES:
        raise HubtoolsError(f"{model_dir}: {size / 2**30:.1f} GiB of fp32 weights do not fit one .onnx file (2 GiB)")
    return model.eval()


def export_onnx(model: PreTrainedModel, path: Path) -> None:
    """Trace `model` with a tuple past into `path` (fp32)."""
    import torch

    layers, heads, head_size = kv_shape(model.config)
    wrapper = _tuple_past_wrapper(model, layers).eval()
    # Distinct, non-1 sizes, so the tracer cannot mistake one dimension for another or for a broadcast.
    batch, seq, past = 2, 3, 4
    ids = torch.randint(0, model.config.vocab_size, (batch, seq))
    mask = torch.ones(batch, past + seq, dtype=torch.long)
    positions = torch.arange(past, past + seq).expand(batch, seq)
    kv = [torch.zeros(batch, heads, past, head_size) for _ in range(2 * layers)]
    inputs, outputs = io_names(layers)
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    axes.update({name: {0: "batch_size", 2: "past_sequence_length"} for name in inputs[3:-1]})
    axes.update({name: {0: "batch_size", 2: "total_sequence_length"} for name in outputs[1 : 1 + 2 * layers]})
    axes.update({name: {0: "batch_size", 2: "sequence_length"} for name in outputs[1 + 2 * layers :]})
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about every Python branch on a shape; check_export proves the graph generalizes.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (ids, mask, positions, *kv, torch.tensor(2, dtype=torch.long)),
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _tuple_past_wrapper(model: PreTrainedModel, layers: int):
    """A module taking and returning plain tensors: transformers 5 wants a Cache object for the past."""
    import torch
    from transformers import DynamicCache

    class TuplePast(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, position_ids, *past_and_keep):
            *past, keep = past_and_keep
            length = input_ids.shape[1]
            keep = torch.where(keep > 0, keep, length)
            cache = DynamicCache()
            for layer in range(layers):
                cache.update(past[2 * layer], past[2 * layer + 1], layer)
            out = self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                cache=cache,
                use_cache=True,
                logits_to_keep=torch.arange(length - keep, length),
            )
            presents = [tensor for layer in out.cache.layers for tensor in (layer.keys, layer.values)]
            start = past[0].shape[2]
            return (out.logits, *presents, *[tensor[:, :, start:] for tensor in presents])

    return TuplePast()


def quantize_q8(fp32: Path, out: Path) -> None:
    """Dynamic int8 weights (activations quantized at run time): transformers.js's `q8`, its wasm default."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)


def export_for_web(
    model_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    prompts: list[str] | None = None,
    max_new_tokens: int = 24,
) -> WebExport:
    """Export `model_dir` to `out_dir` (default `model_dir/onnx`): fp32 + q8, checked, with `hubtools_web.json`.

    Raises `HubtoolsError` when the fp32 export disagrees with transformers (logits beyond tolerance, or a
    greedy decode that differs), so a broken export is never published. Written atomically.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError as error:
        raise HubtoolsError("export_for_web needs onnx and onnxruntime: pip install onnx onnxruntime") from error
    from hubtools.serve.onnx_check import check_export

    model_dir = Path(model_dir)
    out_dir = Path(out_dir) if out_dir is not None else model_dir / WEB_DIR
    model = load_for_export(model_dir)
    with atomic_folder(out_dir, prefix=".web-export-", failure=f"could not export {model_dir} for the web") as staging:
        export_onnx(model, staging / FP32_FILE)
        quantize_q8(staging / FP32_FILE, staging / Q8_FILE)
        check = check_export(model, model_dir, staging, prompts=prompts, max_new_tokens=max_new_tokens)
        failure = check.failure()
        if failure:
            raise HubtoolsError(f"web export of {model_dir} does not match transformers: {failure}")
        sizes = {name: (staging / name).stat().st_size for name in (FP32_FILE, Q8_FILE)}
        record = {"format": "onnx", "opset": OPSET, "files": sizes, "check": check.as_dict(), **_versions()}
        (staging / REPORT_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return WebExport(out_dir=out_dir, check=check, sizes=sizes)


def _versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("torch", "transformers", "onnx", "onnxruntime")}
