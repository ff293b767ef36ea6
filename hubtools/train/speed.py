"""Fast by default: turn (recipe, hardware, model size) into execution settings, so no user touches a flag.

The recipe fixes the math (global batch, steps, lr); here we only decide how to run it: micro-batch and gradient
accumulation from device memory, bf16 where the GPU has it (fp32 on CPU: bf16 matmuls are ~170x slower on AVX2),
activation checkpointing only when memory requires it, torch.compile on CUDA, and packed varlen attention.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from hubtools.errors import HubtoolsError
from hubtools.train.recipe import TrainingSettings

GIB = 1024**3


@dataclass(frozen=True)
class Hardware:
    """What this process trains on; `world_size` counts the processes `accelerate launch` started."""

    device: str
    name: str
    memory_gib: float
    bf16: bool
    world_size: int = 1

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def detect_hardware() -> Hardware:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if torch.cuda.is_available():
        index = int(os.environ.get("LOCAL_RANK", "0"))
        props = torch.cuda.get_device_properties(index)
        return Hardware(
            device="cuda",
            name=props.name,
            memory_gib=round(props.total_memory / GIB, 1),
            bf16=torch.cuda.is_bf16_supported(),
            world_size=world_size,
        )
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return Hardware(
        device="cpu",
        name=f"CPU ({os.cpu_count()} cores)",
        memory_gib=round(pages * page_size / GIB, 1),
        bf16=False,
        world_size=world_size,
    )


@dataclass(frozen=True)
class SpeedPlan:
    """The execution settings chosen for one run (recorded in hubtools_train.json)."""

    micro_batch_size: int
    gradient_accumulation_steps: int
    gradient_checkpointing: bool
    bf16: bool
    torch_compile: bool
    estimated_memory_gib: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def activation_bytes_per_token(hidden: int, layers: int, ffn: int | None, *, bf16: bool, checkpointing: bool) -> float:
    """Saved activations per trained token (Korthikanti et al. 2022, with a varlen kernel: no s^2 term).

    34*h bytes per layer with a 4h MLP in 16-bit; the MLP part scales with its width; fp32 doubles it. With
    checkpointing only each layer's input is kept, plus one layer recomputed at a time.
    """
    ffn = ffn or 4 * hidden
    per_layer = 18 * hidden + 4 * ffn  # 34h when ffn = 4h
    scale = 1.0 if bf16 else 2.0
    if checkpointing:
        return scale * (2 * hidden * layers + per_layer)
    return scale * per_layer * layers


def plan_speed(
    training: TrainingSettings,
    hardware: Hardware,
    *,
    hidden: int,
    layers: int,
    ffn: int | None,
    total_params: int,
    trainable_params: int,
) -> SpeedPlan:
    """Pick micro-batch, accumulation and checkpointing so that the recipe's global batch fits in memory."""
    if training.batch_size % hardware.world_size:
        raise HubtoolsError(
            f"training.batch_size {training.batch_size} is not divisible by the {hardware.world_size} processes"
        )
    per_device = training.batch_size // hardware.world_size
    bf16 = hardware.bf16
    # fp32 master weights, gradients and two Adam moments for trained parameters; frozen ones are stored once.
    static = 16 * trainable_params + 4 * (total_params - trainable_params)
    # CUDA context, allocator slack, the fused LM head's tiles: keep a margin.
    budget = hardware.memory_gib * GIB * (0.85 if hardware.device == "cuda" else 0.5) - static - 2 * GIB

    def fits(micro: int, checkpointing: bool) -> bool:
        per_token = activation_bytes_per_token(hidden, layers, ffn, bf16=bf16, checkpointing=checkpointing)
        return micro * training.max_length * per_token <= budget

    divisors = [size for size in range(per_device, 0, -1) if per_device % size == 0]
    if training.micro_batch_size:
        if per_device % training.micro_batch_size:
            raise HubtoolsError(
                f"training.micro_batch_size {training.micro_batch_size} does not divide the per-device batch "
                f"{per_device}"
            )
        divisors = [training.micro_batch_size]
    if hardware.device == "cpu":
        # Beyond ~16 packed rows a CPU step is no faster per token; smaller steps keep the progress bar alive.
        divisors = [size for size in divisors if size <= 16] or [1]

    def first_fit(checkpointing: bool) -> int | None:
        return next((size for size in divisors if fits(size, checkpointing)), None)

    checkpointing = training.gradient_checkpointing
    if checkpointing is None:
        micro = first_fit(False)
        # Recomputing costs ~30% more compute; worth it only when it buys a usefully larger micro-batch.
        checkpointing = micro is None or micro < min(4, per_device)
        if checkpointing:
            micro = first_fit(True)
    else:
        micro = first_fit(checkpointing)
    micro = micro or divisors[-1]
    compile_default = hardware.device == "cuda"
    per_token = activation_bytes_per_token(hidden, layers, ffn, bf16=bf16, checkpointing=checkpointing)
    return SpeedPlan(
        micro_batch_size=micro,
        gradient_accumulation_steps=per_device // micro,
        gradient_checkpointing=checkpointing,
        bf16=bf16,
        torch_compile=compile_default if training.torch_compile is None else training.torch_compile,
        estimated_memory_gib=round((static + micro * training.max_length * per_token) / GIB, 2),
    )


def device_arguments(hardware: Hardware) -> dict[str, Any]:
    """SFTConfig flags that depend only on the device kind (see docs: bf16 on by default breaks on CPU)."""
    if hardware.device == "cpu":
        return {"use_cpu": True, "bf16": False, "fp16": False, "dataloader_pin_memory": False}
    return {"bf16": hardware.bf16, "fp16": not hardware.bf16, "tf32": hardware.bf16}


def trainer_arguments(
    training: TrainingSettings, plan: SpeedPlan, hardware: Hardware, *, output_dir: Path
) -> dict[str, Any]:
    """The TrainingArguments every hubtools trainer (SFT, DPO) takes from a recipe's `training` section, its speed
    plan and the device; each trainer adds its own (packing, beta, the Hub push)."""
    return {
        "output_dir": str(output_dir),
        "max_steps": training.max_steps,
        "learning_rate": training.learning_rate,
        "lr_scheduler_type": training.lr_scheduler_type,
        "warmup_steps": training.warmup_ratio,
        "weight_decay": training.weight_decay,
        "max_grad_norm": training.max_grad_norm,
        "seed": training.seed,
        "data_seed": training.seed,
        "per_device_train_batch_size": plan.micro_batch_size,
        "per_device_eval_batch_size": plan.micro_batch_size,
        "gradient_accumulation_steps": plan.gradient_accumulation_steps,
        "activation_checkpointing": plan.gradient_checkpointing,
        "max_length": training.max_length,
        "logging_steps": training.logging_steps,
        "save_strategy": "steps",
        "save_steps": training.save_steps,
        "save_total_limit": training.save_total_limit,
        "report_to": "none",
        **device_arguments(hardware),
    }
