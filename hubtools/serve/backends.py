"""Inference engines behind one batched, streaming interface.

- `CTranslate2Backend` (default): int8 weights, one worker per CPU core. Decode on CPU is bound by reading
  every weight once a token, and int8 reads a quarter of fp32's bytes; two batches running side by side
  (one a core) keep both cores busy, which is how several visitors are served at once.
- `TransformersBackend`: plain fp32 `generate`, the fallback when CTranslate2 is missing or cannot load the
  architecture, and the reference the fast path is checked against.

Both call `on_token(row, token_id)` for each new token of each row; a True answer stops that row.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hubtools.errors import HubtoolsError

log = logging.getLogger(__name__)

OnToken = Callable[[int, int], bool]


@dataclass(frozen=True)
class SamplingParams:
    """What must be equal for requests to share a batch (engines take sampling options per batch)."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 50
    repetition_penalty: float = 1.0
    end_ids: tuple[int, ...] = ()
    # The leading prompt ids every row shares (the card's system turn): CTranslate2 caches the model state
    # after them (`static_prompt`), so a long persona is read once, not on every turn.
    static_prefix: tuple[int, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


class Backend(Protocol):
    name: str
    slots: int  # batches that may run at the same time
    max_batch: int

    def generate(
        self, prompts: list[list[int]], params: SamplingParams, max_new_tokens: int, on_token: OnToken
    ) -> None:
        """Generate for every prompt at once, reporting tokens through `on_token` as they come."""
        ...


def cpu_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def context_window(model_dir: Path) -> int:
    """The longest sequence the model's position embeddings allow (1024 when the config does not say)."""
    try:
        config = json.loads((model_dir / "config.json").read_text())
    except (OSError, ValueError) as error:
        raise HubtoolsError(f"The model's config.json cannot be read: {error}") from error
    for key in ("max_position_embeddings", "n_positions", "n_ctx", "seq_length"):
        if isinstance(config.get(key), int) and config[key] > 0:
            return int(config[key])
    return 1024


class CTranslate2Backend:
    """CTranslate2 generator, int8 by default; `slots` batches decode in parallel, one thread each.

    CTranslate2 keeps every cached static prompt for the life of the model and visitors can write any card,
    so only the first `max_cached_prefixes` distinct prefixes are cached; others are read in full each turn.
    """

    name = "ctranslate2"
    max_cached_prefixes = 4

    def __init__(self, model_dir: Path, *, compute_type: str = "int8", workers: int | None = None) -> None:
        import ctranslate2

        self.slots = workers or cpu_cores()
        self.max_batch = 8
        self.compute_type = compute_type
        self.generator = ctranslate2.Generator(
            str(model_dir), device="cpu", compute_type=compute_type, inter_threads=self.slots, intra_threads=1
        )
        vocabulary = model_dir / "vocabulary.json"
        self.vocabulary: list[str] = json.loads(vocabulary.read_text())
        self.name = f"ctranslate2-{compute_type}"
        self._cached_prefixes: set[tuple[int, ...]] = set()
        self._lock = threading.Lock()

    def _cache(self, prefix: tuple[int, ...], prompts: list[list[int]]) -> bool:
        """Whether to pass `prefix` as the cached static prompt (every prompt must extend it)."""
        n = len(prefix)
        if not prefix or not all(len(p) > n and tuple(p[:n]) == prefix for p in prompts):
            return False
        with self._lock:
            if prefix not in self._cached_prefixes and len(self._cached_prefixes) >= self.max_cached_prefixes:
                return False
            self._cached_prefixes.add(prefix)
        return True

    def generate(
        self, prompts: list[list[int]], params: SamplingParams, max_new_tokens: int, on_token: OnToken
    ) -> None:
        vocab = self.vocabulary
        end_ids = set(params.end_ids)

        def callback(step: Any) -> bool:
            if step.token_id in end_ids:
                return True
            return bool(on_token(step.batch_id, step.token_id))

        options: dict[str, Any] = {
            "max_length": max_new_tokens,
            "include_prompt_in_result": False,
            "repetition_penalty": params.repetition_penalty,
            "callback": callback,
        }
        if params.end_ids:
            options["end_token"] = list(params.end_ids)
        if params.greedy:
            options["sampling_topk"] = 1
        else:
            options.update(
                sampling_topk=params.top_k or len(vocab),
                sampling_topp=params.top_p,
                sampling_temperature=params.temperature,
            )
        if self._cache(params.static_prefix, prompts):
            n = len(params.static_prefix)
            options["static_prompt"] = [vocab[i] for i in params.static_prefix]
            prompts = [ids[n:] for ids in prompts]
        self.generator.generate_batch([[vocab[i] for i in ids] for ids in prompts], **options)

    def logits(self, ids: list[int]) -> Any:
        """Next-token logits at every position (teacher forcing), for checking faithfulness to fp32."""
        import numpy as np

        out = self.generator.forward_batch([[self.vocabulary[i] for i in ids]])
        return np.asarray(out)[0]


class TransformersBackend:
    """`model.generate` with left-padded batches: fp32 on the CPU (one batch at a time uses all cores), bf16 on
    CUDA (ZeroGPU, where the model is moved to the GPU when loaded, at module level)."""

    name = "transformers-fp32"

    def __init__(self, model_dir: Path, *, pad_id: int | None = None, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModelForCausalLM

        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        if device == "cpu":
            torch.set_num_threads(cpu_cores())
        self.device = device
        self.model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype).to(device).eval()
        self.name = "transformers-fp32" if device == "cpu" else f"transformers-bf16-{device}"
        self.slots = 1
        self.max_batch = 8
        eos = self.model.generation_config.eos_token_id
        self.pad_id = pad_id if pad_id is not None else (eos[0] if isinstance(eos, list) else eos) or 0

    def generate(
        self, prompts: list[list[int]], params: SamplingParams, max_new_tokens: int, on_token: OnToken
    ) -> None:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList
        from transformers.generation.streamers import BaseStreamer

        width = max(len(p) for p in prompts)
        input_ids = torch.tensor([[self.pad_id] * (width - len(p)) + p for p in prompts], device=self.device)
        attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        done = [False] * len(prompts)
        end_ids = set(params.end_ids)

        class Relay(BaseStreamer):
            def __init__(self) -> None:
                self.prompt_seen = False

            def put(self, value: Any) -> None:
                if not self.prompt_seen:  # generate() first sends the prompt itself
                    self.prompt_seen = True
                    return
                for row, token in enumerate(value.reshape(-1).tolist()):
                    if done[row]:
                        continue
                    if token in end_ids or on_token(row, token):
                        done[row] = True

            def end(self) -> None:
                pass

        class RowsDone(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        sampling: dict[str, Any] = {"do_sample": False}
        if not params.greedy:
            sampling = {
                "do_sample": True,
                "temperature": params.temperature,
                "top_p": params.top_p,
                "top_k": params.top_k or None,
            }
        with torch.inference_mode():
            self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=max_new_tokens,
                repetition_penalty=params.repetition_penalty,
                eos_token_id=list(params.end_ids) or None,
                pad_token_id=self.pad_id,
                streamer=Relay(),
                stopping_criteria=StoppingCriteriaList([RowsDone()]),
                **sampling,
            )

    def logits(self, ids: list[int]) -> Any:
        import torch

        with torch.inference_mode():
            return self.model(torch.tensor([ids], device=self.device)).logits[0].float().cpu().numpy()


def ctranslate2_available() -> bool:
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return True


def load_backend(
    model_dir: Path,
    *,
    fast_dir: Path | None = None,
    prefer: str = "auto",
    convert_dir: Path | None = None,
    ensure_weights: Callable[[], Path] | None = None,
    device: str = "cpu",
) -> Backend:
    """The fastest engine that loads: published int8 weights, else a local conversion, else fp32 transformers.

    `ensure_weights` fetches the fp32 weights when they were skipped because fast weights were published.
    On `device="cuda"` (ZeroGPU) it is transformers on the GPU: the int8 engine is the CPU path.
    """
    from hubtools.serve.convert import FAST_MARKER, convert_for_serving

    errors: list[str] = []
    if device != "cpu":
        try:
            return TransformersBackend(ensure_weights() if ensure_weights else model_dir, device=device)
        except Exception as error:
            raise HubtoolsError(
                f"The model could not be loaded on {device} ({type(error).__name__}: {error})."
            ) from error
    if prefer in ("auto", "ctranslate2") and ctranslate2_available():
        try:
            if fast_dir is None and convert_dir is not None:
                if not (convert_dir / FAST_MARKER).is_file():
                    source = ensure_weights() if ensure_weights else model_dir
                    convert_for_serving(source, convert_dir)
                fast_dir = convert_dir
            if fast_dir is not None:
                return CTranslate2Backend(fast_dir)
        except Exception as error:  # an architecture CTranslate2 does not know, a corrupt file...
            errors.append(f"ctranslate2: {error}")
            log.warning("fast backend unavailable, falling back to transformers: %s", error)
    elif prefer == "ctranslate2":
        errors.append("ctranslate2 is not installed")
    if prefer in ("auto", "transformers"):
        try:
            return TransformersBackend(ensure_weights() if ensure_weights else model_dir)
        except HubtoolsError:
            raise
        except Exception as error:
            errors.append(f"transformers: {type(error).__name__}: {error}")
    raise HubtoolsError("The model could not be loaded (" + "; ".join(errors) + ").")
