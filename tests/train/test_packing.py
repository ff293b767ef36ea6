"""Packed (padding-free, bfd) batches must give the same loss as unpacked ones: no attention across chats."""

from __future__ import annotations

import pytest
import torch


def tiny_config(model_type: str, **extra):
    from transformers import GPT2Config, OPTConfig

    extra.setdefault("vocab_size", 128)
    if model_type == "gpt2":
        return GPT2Config(n_layer=2, n_embd=32, n_head=4, n_positions=128, **extra)
    return OPTConfig(
        num_hidden_layers=2,
        hidden_size=32,
        num_attention_heads=4,
        ffn_dim=64,
        max_position_embeddings=128,
        word_embed_proj_dim=32,
        **extra,
    )


def packed_inputs(lengths: list[int], *, device: str = "cpu") -> dict[str, torch.Tensor | int]:
    """A padding-free packed batch as trl's collator sends it: one row, positions and boundaries per chat."""
    ends = torch.tensor(lengths).cumsum(0).tolist()
    boundaries = torch.tensor([0, *ends], dtype=torch.int32, device=device)
    return {
        "input_ids": torch.randint(0, 128, (1, sum(lengths)), device=device),
        "position_ids": torch.cat([torch.arange(n) for n in lengths])[None].to(device),
        "cu_seq_lens_q": boundaries,
        "cu_seq_lens_k": boundaries,
        "max_length_q": max(lengths),
        "max_length_k": max(lengths),
        "use_cache": False,
    }


def packed_and_separate_logits(model_type: str, attention: str) -> tuple[torch.Tensor, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(model_type), attn_implementation=attention).eval()
    inputs = packed_inputs([7, 5])
    first, second = inputs["input_ids"][:, :7], inputs["input_ids"][:, 7:]
    with torch.no_grad():
        separate = torch.cat([model(first).logits, model(second).logits], dim=1)
        packed = model(**inputs).logits
    return packed, separate


@pytest.mark.parametrize("model_type", ["gpt2", "opt"])
def test_packed_forward_equals_separate_forwards(model_type):
    from hubtools.train.attention import register_packed_attention

    packed, separate = packed_and_separate_logits(model_type, register_packed_attention())
    torch.testing.assert_close(packed, separate, atol=1e-5, rtol=1e-5)


def test_stock_sdpa_lets_packed_opt_chats_attend_to_each_other():
    """Why hubtools.train.attention exists: transformers' OPT builds its mask without the position_ids."""
    packed, separate = packed_and_separate_logits("opt", "sdpa")
    assert not torch.allclose(packed[:, 7:], separate[:, 7:], atol=1e-3)


def test_compiled_packed_attention_stops_recompiling_once_shapes_are_dynamic():
    """Every packed batch holds a different number of chats; that must not cost a recompilation per batch."""
    from torch._dynamo.testing import CompileCounter
    from transformers import AutoModelForCausalLM

    from hubtools.train.attention import register_packed_attention

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config("opt"), attn_implementation=register_packed_attention())
    counter = CompileCounter()
    compiled = torch.compile(model.eval(), backend=counter)  # dynamo only: the frames it compiles, no codegen

    def run(lengths: list[int]) -> None:
        inputs = packed_inputs(lengths)
        with torch.no_grad():
            torch.testing.assert_close(compiled(**inputs).logits, model(**inputs).logits)

    for lengths in ([7, 5], [3, 4, 5], [2, 2, 2, 2, 2]):  # static, then dynamic shapes
        run(lengths)
    frames = counter.frame_count
    for lengths in ([9], [1, 2, 3, 4, 5, 6], [3] * 9, [5, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1]):
        run(lengths)
    assert counter.frame_count == frames


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the varlen FlashAttention kernel needs a CUDA GPU")
@pytest.mark.parametrize("model_type", ["gpt2", "opt"])
def test_varlen_kernel_on_gpu_matches_separate_forwards(model_type):
    from transformers import AutoModelForCausalLM

    from hubtools.train.attention import register_packed_attention

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(model_type), attn_implementation=register_packed_attention())
    model = model.to("cuda", torch.bfloat16).eval()
    lengths = [7, 5, 20, 1]
    inputs = packed_inputs(lengths, device="cuda")
    starts = [0, *torch.tensor(lengths).cumsum(0).tolist()]
    with torch.no_grad():
        packed = model(**inputs).logits
        separate = torch.cat(
            [model(inputs["input_ids"][:, a:b]).logits for a, b in zip(starts[:-1], starts[1:], strict=True)], dim=1
        )
    torch.testing.assert_close(packed.float(), separate.float(), atol=2e-2, rtol=2e-2)


@pytest.fixture(scope="module", params=["gpt2", "opt"])
def sharp_base(request, tmp_path_factory, gpt2_tok):
    """A tiny model with large random weights, so that any attention across chats shows in the loss."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    config = tiny_config(
        request.param, initializer_range=0.3, vocab_size=len(gpt2_tok), bos_token_id=50256, eos_token_id=50256
    )
    path = tmp_path_factory.mktemp(f"sharp-{request.param}") / "model"
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    gpt2_tok.save_pretrained(path)
    return path


def summed_nll(make_recipe, base, tmp_path, *, packing: bool) -> tuple[float, int]:
    """Total NLL over every trained (assistant) token of the train split, and how many there are."""
    from trl import SFTTrainer

    from hubtools.train.model import load_base_model
    from hubtools.train.sources import load_training_data
    from hubtools.train.speed import detect_hardware, plan_speed
    from hubtools.train.trainer import sft_config

    recipe = make_recipe(
        base_model={"path": str(base)}, training={"packing": packing, "max_length": 128, "batch_size": 8}
    )
    data = load_training_data(recipe.dataset, cache_dir=tmp_path).train.select(range(48))
    start = load_base_model(recipe)
    hardware = detect_hardware()
    plan = plan_speed(recipe.training, hardware, hidden=32, layers=2, ffn=None, total_params=1, trainable_params=1)
    args = sft_config(recipe.training, plan, hardware, output_dir=tmp_path / f"packing-{packing}")
    trainer = SFTTrainer(model=start.model, args=args, train_dataset=data, processing_class=start.tokenizer)
    model = trainer.model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in trainer.get_train_dataloader():
            labels = batch.pop("labels")[:, 1:]
            logits = model(**batch, use_cache=False).logits[:, :-1]
            mask = labels != -100
            nll = torch.nn.functional.cross_entropy(logits[mask], labels[mask], reduction="sum")
            total, count = total + nll.item(), count + int(mask.sum())
    return total, count


def test_packed_loss_matches_unpacked_loss(make_recipe, sharp_base, tmp_path):
    packed_total, packed_count = summed_nll(make_recipe, sharp_base, tmp_path, packing=True)
    unpacked_total, unpacked_count = summed_nll(make_recipe, sharp_base, tmp_path, packing=False)
    assert packed_count == unpacked_count > 0
    assert packed_total / packed_count == pytest.approx(unpacked_total / unpacked_count, rel=1e-5)
