"""Training throughput, side by side in one run: plain TRL defaults, TRL with `packing=True`, plain TRL hand-tuned
(packing, no checkpointing, batch 32, torch_compile: the best plain-TRL setting we measured) and hubtools' defaults.

Random-init models from the public configs of GPT-2 124M and OPT-350m (values written below; speed does not
depend on the weights), synthetic chats with hh-rlhf-like lengths (log-normal, median ~220 tokens, max 1024,
~40% prompt tokens masked out of the loss), the same rows for every configuration. Prints real (non-padding)
tokens/s of the timed steps, the ratios to the TRL defaults and to the hand-tuned row, model FLOPs utilisation
(MFU) and peak memory.

Made for a CUDA GPU. On a CPU the real shapes still run, slowly (GPT-2 at `--max-length 512 --batch-size 8
--warmup 1 --steps 3`: ~20 minutes on 2 cores); `--tiny` shrinks models, data and steps into a smoke run
(minutes) of the same four configurations, whose numbers mean nothing.

    .venv/bin/python benchmarks/train_throughput.py [--models gpt2,opt-350m] [--steps 30] [--warmup 10]
    .venv/bin/python benchmarks/train_throughput.py --tiny
"""

from __future__ import annotations

import argparse
import gc
import math
import tempfile
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

# Public configs (config.json of openai-community/gpt2 and facebook/opt-350m), written out: no downloads.
CONFIGS = {
    "gpt2": {
        "model_type": "gpt2",
        "n_layer": 12,
        "n_embd": 768,
        "n_head": 12,
        "n_positions": 1024,
        "vocab_size": 50257,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
    },
    "opt-350m": {
        "model_type": "opt",
        "num_hidden_layers": 24,
        "hidden_size": 1024,
        "ffn_dim": 4096,
        "num_attention_heads": 16,
        "max_position_embeddings": 2048,
        "word_embed_proj_dim": 512,
        "do_layer_norm_before": False,
        "activation_function": "relu",
        "vocab_size": 50272,
        "dropout": 0.1,
        "attention_dropout": 0.0,
        "pad_token_id": 1,
        "bos_token_id": 2,
        "eos_token_id": 2,
    },
}
TINY = {"gpt2": {"n_layer": 2, "n_embd": 64, "n_head": 4}, "opt-350m": {"num_hidden_layers": 2, "hidden_size": 64,
        "ffn_dim": 256, "num_attention_heads": 4, "word_embed_proj_dim": 64}}  # fmt: skip
# Dense bf16 peak of common GPUs, TFLOP/s (vendor figures); --peak-tflops overrides.
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "GH200": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "L4": 121.0}
CONFIGURATIONS = ("trl defaults", "trl packing=True", "trl hand-tuned", "hubtools")


def synthetic_rows(count: int, *, max_length: int, vocab: int, seed: int) -> list[dict]:
    """Token-id chats with log-normal lengths (median 220, sigma 0.75, clipped to [16, max_length])."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lengths = np.clip(np.exp(rng.normal(math.log(220), 0.75, count)), 16, max_length).astype(int)
    rows = []
    for length in lengths:
        ids = rng.integers(10, min(vocab, 50000), length).tolist()  # never a pad/eos/special id
        prompt = int(length * 0.4)
        rows.append({"input_ids": ids, "labels": [-100] * prompt + ids[prompt:]})
    return rows


def as_dataset(rows: list[dict]):
    """A Dataset with a random fingerprint: nothing to hash (datasets' dill fingerprinting breaks on some
    Python 3.12 images for tables built in memory)."""
    import pyarrow as pa
    from datasets import Dataset
    from datasets.fingerprint import generate_random_fingerprint

    return Dataset(pa.Table.from_pylist(rows), fingerprint=generate_random_fingerprint())


class Clock(TrainerCallback):
    """Timestamps each optimizer step (after a device sync) with the Trainer's real-token counter."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.marks: list[tuple[float, int]] = []

    def on_step_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.marks.append((time.perf_counter(), state.num_input_tokens_seen))

    def rate(self) -> float:
        (start, tokens_start), (end, tokens_end) = self.marks[self.warmup - 1], self.marks[-1]
        return (tokens_end - tokens_start) / (end - start)


def run_one(name: str, model_key: str, config_values: dict, rows: list[dict], options: argparse.Namespace) -> dict:
    from transformers import AutoConfig, AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    from hubtools.train.model import apply_training_config, model_shape
    from hubtools.train.recipe import TrainingSettings
    from hubtools.train.speed import detect_hardware, plan_speed
    from hubtools.train.tokenizer import gpt2_tokenizer
    from hubtools.train.trainer import sft_config

    values = dict(config_values)
    config = AutoConfig.for_model(values.pop("model_type"), **values)
    tokenizer = gpt2_tokenizer()
    tokenizer.pad_token = tokenizer.eos_token  # synthetic ids never use it: "non_padding" counts real tokens
    hardware = detect_hardware()
    steps = options.warmup + options.steps
    output_dir = Path(tempfile.mkdtemp(prefix="throughput-"))
    cpu = {"use_cpu": True, "bf16": False, "dataloader_pin_memory": False} if hardware.device == "cpu" else {}
    common = {"max_steps": steps, "save_strategy": "no", "logging_steps": 10**6, "report_to": "none"}
    torch.manual_seed(0)
    if name == "hubtools":
        training = TrainingSettings(
            max_length=options.max_length, max_steps=steps, learning_rate=1e-4, batch_size=options.batch_size,
            save_steps=10**9, logging_steps=10**6,
            assistant_only_loss=False,  # the synthetic rows carry their labels (prompt masked) already
        )  # fmt: skip
        from hubtools.train.attention import register_packed_attention

        apply_training_config(config, training)
        model = AutoModelForCausalLM.from_config(config, attn_implementation=register_packed_attention())
        shape = model_shape(config)
        params = model.num_parameters()
        plan = plan_speed(training, hardware, **shape, total_params=params, trainable_params=params)
        args = sft_config(training, plan, hardware, output_dir=output_dir)
        settings = f"micro {plan.micro_batch_size} x accum {plan.gradient_accumulation_steps}, " + (
            f"ckpt {plan.gradient_checkpointing}, compile {plan.torch_compile}, bf16 {plan.bf16}"
        )
    else:
        model = AutoModelForCausalLM.from_config(config)
        tuned = {}
        if name == "trl hand-tuned":
            tuned = {"activation_checkpointing": False, "torch_compile": True,
                     "per_device_train_batch_size": options.batch_size}  # fmt: skip
        args = SFTConfig(
            output_dir=str(output_dir), max_length=options.max_length, packing=name != "trl defaults",
            include_num_input_tokens_seen="non_padding", **{**common, **cpu, **tuned},
        )  # fmt: skip
        settings = f"batch {args.per_device_train_batch_size}, ckpt {args.activation_checkpointing}, " + (
            f"compile {args.torch_compile}, bf16 {args.bf16}"
        )
    clock = Clock(options.warmup)
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=as_dataset(rows), processing_class=tokenizer, callbacks=[clock]
    )
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    rate = clock.rate()
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else float("nan")
    params = model.num_parameters()
    shape = model_shape(model.config)
    mean_length = sum(len(row["input_ids"]) for row in rows) / len(rows)
    # 6N per trained token, plus causal attention (QK^T and AV, forward + backward) over its own conversation.
    flops_per_token = 6 * params + 6 * shape["layers"] * shape["hidden"] * mean_length
    del trainer, model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {"model": model_key, "name": name, "tok_s": rate, "flops": rate * flops_per_token, "peak_gib": peak,
            "settings": settings}  # fmt: skip


def peak_tflops(options: argparse.Namespace) -> float | None:
    if options.peak_tflops:
        return options.peak_tflops
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((value for key, value in PEAK_TFLOPS.items() if key in name), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="gpt2,opt-350m", help="comma-separated: gpt2, opt-350m")
    parser.add_argument("--steps", type=int, default=30, help="timed optimizer steps per configuration")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (compile, allocator)")
    parser.add_argument("--rows", type=int, default=4000, help="synthetic chats")
    parser.add_argument("--batch-size", type=int, default=32, help="packed rows a step: hubtools and hand-tuned")
    parser.add_argument("--configs", default=",".join(CONFIGURATIONS), help="comma-separated, from the four above")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--peak-tflops", type=float, help="dense bf16 peak of this device, for MFU")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke run: 2-layer models, short rows, few steps")
    options = parser.parse_args()
    if options.tiny:
        options.steps, options.warmup, options.rows = min(options.steps, 3), min(options.warmup, 2), 64
        options.max_length, options.batch_size = 128, 8

    peak = peak_tflops(options)
    names = [name.strip() for name in options.configs.split(",")]
    unknown = sorted(set(names) - set(CONFIGURATIONS))
    if unknown:
        parser.error(f"unknown --configs {unknown}; choose from {list(CONFIGURATIONS)}")
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU (not a GPU figure)"
    print(f"device: {device}; {options.warmup} warm-up + {options.steps} timed steps per configuration")
    results = []
    for model_key in options.models.split(","):
        values = dict(CONFIGS[model_key], **(TINY[model_key] if options.tiny else {}))
        rows = synthetic_rows(options.rows, max_length=options.max_length, vocab=values["vocab_size"], seed=0)
        for name in names:
            result = run_one(name, model_key, values, rows, options)
            results.append(result)
            print(f"  {model_key:9} {name:17} {result['tok_s']:>12,.0f} real tok/s ({result['settings']})", flush=True)

    header = f"{'real tok/s':>12} {'x defaults':>10} {'x tuned':>8} {'MFU':>6} {'GiB':>6}"
    print(f"\n{'model':9} {'configuration':17} {header}")
    for result in results:
        ratios = []
        for reference in ("trl defaults", "trl hand-tuned"):
            base = next((r for r in results if r["model"] == result["model"] and r["name"] == reference), None)
            ratios.append(f"{result['tok_s'] / base['tok_s']:.2f}x" if base else "n/a")
        mfu = f"{result['flops'] / (peak * 1e12):.1%}" if peak else "n/a"
        memory = "n/a" if math.isnan(result["peak_gib"]) else f"{result['peak_gib']:.1f}"
        print(
            f"{result['model']:9} {result['name']:17} {result['tok_s']:>12,.0f} "
            f"{ratios[0]:>10} {ratios[1]:>8} {mfu:>6} {memory:>6}"
        )


if __name__ == "__main__":
    main()
