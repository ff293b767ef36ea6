"""Hardware defaults: the plan is a pure function of recipe, hardware and model shape."""

from __future__ import annotations

import pytest

from hubtools.errors import HubtoolsError
from hubtools.train.recipe import TrainingSettings
from hubtools.train.speed import Hardware, detect_hardware, device_arguments, plan_speed

H100 = Hardware(device="cuda", name="NVIDIA H100 80GB HBM3", memory_gib=79.2, bf16=True)
GPT2_124M = {"hidden": 768, "layers": 12, "ffn": None, "total_params": 124_000_000, "trainable_params": 124_000_000}
OPT_350M = {"hidden": 1024, "layers": 24, "ffn": 4096, "total_params": 331_000_000, "trainable_params": 331_000_000}
OPT_1_3B = {
    "hidden": 2048,
    "layers": 24,
    "ffn": 8192,
    "total_params": 1_316_000_000,
    "trainable_params": 1_316_000_000,
}


def settings(**values) -> TrainingSettings:
    return TrainingSettings(max_steps=10, learning_rate=1e-4, **values)


def test_detected_hardware_is_the_device_torch_sees():
    import torch

    hardware = detect_hardware()
    if torch.cuda.is_available():
        assert hardware.device == "cuda" and hardware.bf16 == torch.cuda.is_bf16_supported()
        assert hardware.name == torch.cuda.get_device_name(0)
    else:
        assert hardware.device == "cpu" and not hardware.bf16
    assert hardware.memory_gib > 0


def test_cpu_trains_in_fp32_without_pinned_memory():
    cpu = Hardware(device="cpu", name="CPU (2 cores)", memory_gib=24.0, bf16=False)
    assert device_arguments(cpu) == {
        "use_cpu": True,
        "bf16": False,
        "fp16": False,
        "dataloader_pin_memory": False,
    }


def test_big_gpu_runs_the_whole_batch_at_once_without_recomputation():
    plan = plan_speed(settings(batch_size=32, max_length=1024), H100, **GPT2_124M)
    assert (plan.micro_batch_size, plan.gradient_accumulation_steps) == (32, 1)
    assert not plan.gradient_checkpointing
    assert plan.bf16 and plan.torch_compile
    assert device_arguments(H100)["bf16"] and not device_arguments(H100)["fp16"]


def test_smaller_gpu_accumulates_before_it_recomputes():
    gpu_32 = Hardware(device="cuda", name="a 32 GB GPU", memory_gib=32, bf16=True)
    plan = plan_speed(settings(batch_size=16, max_length=2048), gpu_32, **OPT_350M)
    assert (plan.micro_batch_size, plan.gradient_accumulation_steps) == (8, 2)
    assert not plan.gradient_checkpointing
    assert plan.estimated_memory_gib < 32


def test_checkpointing_only_when_memory_requires_it():
    small = Hardware(device="cuda", name="T4", memory_gib=16, bf16=False)
    plan = plan_speed(settings(batch_size=32, max_length=2048), small, **OPT_1_3B)
    assert plan.gradient_checkpointing and not plan.bf16
    assert device_arguments(small)["fp16"]


def test_recipe_choices_win_and_the_global_batch_is_kept():
    plan = plan_speed(settings(batch_size=32, micro_batch_size=4, gradient_checkpointing=True), H100, **GPT2_124M)
    assert (plan.micro_batch_size, plan.gradient_accumulation_steps, plan.gradient_checkpointing) == (4, 8, True)
    eight = Hardware(device="cuda", name="H100", memory_gib=79.2, bf16=True, world_size=8)
    plan = plan_speed(settings(batch_size=32), eight, **GPT2_124M)
    assert plan.micro_batch_size * plan.gradient_accumulation_steps * 8 == 32


def test_batch_must_split_over_processes():
    three = Hardware(device="cuda", name="H100", memory_gib=79.2, bf16=True, world_size=3)
    with pytest.raises(HubtoolsError, match="not divisible by the 3 processes"):
        plan_speed(settings(batch_size=32), three, **GPT2_124M)
