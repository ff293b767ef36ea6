"""Attention for padding-free packed batches that never lets one conversation attend to another.

What trl 1.16 / transformers 5.23 do with `packing=True` (bfd): the collator flattens a batch into one row with
`position_ids` restarting at 0 per conversation and `cu_seq_lens_q/k` boundaries. With `sdpa`, GPT-2 turns the
position_ids into a dense block-diagonal T x T mask (correct, but it computes and stores attention over the whole
flattened batch), and OPT does not pass position_ids to its mask at all, so packed OPT conversations attend to each
other. `flash_attention_2` would be right but needs the flash-attn package.

So we register one attention function through transformers' own `AttentionInterface`: for packed batches
(recognised, as flash-attention does, by the `cu_seq_lens_q` the collator sends) it runs torch's built-in
FlashAttention varlen kernel on CUDA (bf16/fp16) and per-conversation causal SDPA elsewhere; everything else
(padded batches, generation) goes to the stock `sdpa` path unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

PACKED_ATTENTION = "hubtools_packed_sdpa"


def _boundaries(query: torch.Tensor, attention_mask: torch.Tensor | None, kwargs: dict) -> torch.Tensor | None:
    """Conversation boundaries of a padding-free packed batch (trl's collator sends them, as flash-attention needs)."""
    cu_seq_lens = kwargs.get("cu_seq_lens_q")
    if cu_seq_lens is None or attention_mask is not None or query.shape[0] != 1:
        return None
    return cu_seq_lens.to(torch.int32)


def packed_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """(batch, heads, seq, dim) in, (batch, seq, heads, dim) out, like every transformers attention function."""
    cu_seq_lens = _boundaries(query, attention_mask, kwargs) if query.shape[2] == key.shape[2] else None
    if cu_seq_lens is None:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    if query.is_cuda and query.dtype in (torch.float16, torch.bfloat16) and dropout == 0.0:
        from torch.nn.attention.varlen import varlen_attn

        max_length = kwargs.get("max_length_q") or int(cu_seq_lens.diff().max())
        q, k, v = (tensor[0].transpose(0, 1) for tensor in (query, key, value))  # (tokens, heads, dim)
        k, v = _repeat_kv(module, k, v)
        out = varlen_attn(
            q, k, v, cu_seq_lens, cu_seq_lens, max_length, max_length, scale=scaling, window_size=(-1, 0)
        )
        return out.unsqueeze(0), None
    return _per_conversation_sdpa(module, query, key, value, cu_seq_lens, dropout, scaling), None


@torch.compiler.disable
def _per_conversation_sdpa(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    cu_seq_lens: torch.Tensor,
    dropout: float,
    scaling: float | None,
) -> torch.Tensor:
    """Causal SDPA one conversation at a time. Kept out of torch.compile: the loop's length changes every batch, and
    tracing it recompiles the graph for each new count until dynamo gives up (recompile_limit)."""
    bounds = cu_seq_lens.tolist()
    k, v = _repeat_kv(module, key, value)
    parts = [
        F.scaled_dot_product_attention(
            query[:, :, start:end],
            k[:, :, start:end],
            v[:, :, start:end],
            dropout_p=dropout,
            is_causal=True,
            scale=scaling,
        )
        for start, end in zip(bounds[:-1], bounds[1:], strict=True)
        if end > start
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous()


def _repeat_kv(module: torch.nn.Module, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Grouped-query attention: one key/value head per query head (heads are dim 1 in both layouts used here)."""
    groups = getattr(module, "num_key_value_groups", 1)
    if groups == 1:
        return key, value
    return key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)


def _packed_mask(*, attention_mask: torch.Tensor | None = None, q_length: int, kv_length: int, **kwargs):
    """No T x T mask when nothing is padded: the attention function handles causal and packed batches itself."""
    if attention_mask is None and q_length == kv_length:
        return None
    return sdpa_mask(attention_mask=attention_mask, q_length=q_length, kv_length=kv_length, **kwargs)


def register_packed_attention() -> str:
    """Make `attn_implementation=PACKED_ATTENTION` available (idempotent) and return its name."""
    AttentionInterface.register(PACKED_ATTENTION, packed_attention_forward)
    ALL_MASK_ATTENTION_FUNCTIONS.register(PACKED_ATTENTION, _packed_mask)
    return PACKED_ATTENTION
