"""Checks a web export against transformers with onnxruntime, and decodes with it the way transformers.js does.

What is checked (the figures go into `onnx/hubtools_web.json` and the model card):
- fp32 logits equal transformers' within `LOGITS_TOLERANCE` (relative to the logits' scale), both on a
  whole prompt (empty past) and on its second half fed after the first half's `present` (the KV path);
- the fp32 greedy decode equals transformers' `generate` token for token on every probe prompt;
- the q8 agreement rate: the share of next-token choices where q8's argmax equals fp32's, teacher-forced
  along each prompt and its fp32 greedy answer (int8 weights change some choices; this says how many).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# max |onnx - transformers| <= LOGITS_TOLERANCE * max(1, max |transformers logits|)
LOGITS_TOLERANCE = 1e-4


class OnnxDecoder:
    """One onnxruntime session over an exported decoder, fed exactly as transformers.js feeds it."""

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = [i.name for i in self.session.get_inputs()]
        self.past_names = [name for name in names if name.startswith("past_key_values.")]
        # What transformers.js reads back: logits and the whole cache (a newer export also returns the added tail).
        self.fetches = ["logits", *(name.replace("past_key_values.", "present.", 1) for name in self.past_names)]
        self.keeps_logits = "num_logits_to_keep" in names
        shape = next(i.shape for i in self.session.get_inputs() if i.name.startswith("past_key_values."))
        self.heads, self.head_size = int(shape[1]), int(shape[3])

    def empty_past(self, batch: int = 1) -> list[np.ndarray]:
        import numpy as np

        return [np.zeros((batch, self.heads, 0, self.head_size), dtype=np.float32) for _ in self.past_names]

    def feed(self, ids: Sequence[int], past: list[np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """The session inputs for `ids` after `past` (one sequence, no padding), all positions' logits."""
        import numpy as np

        past = past if past is not None else self.empty_past()
        start = past[0].shape[2]
        feed = {
            "input_ids": np.asarray([ids], dtype=np.int64),
            "attention_mask": np.ones((1, start + len(ids)), dtype=np.int64),
            "position_ids": np.arange(start, start + len(ids), dtype=np.int64)[None],
            **dict(zip(self.past_names, past, strict=True)),
        }
        if self.keeps_logits:
            feed["num_logits_to_keep"] = np.array(0, dtype=np.int64)  # all positions
        return feed

    def forward(self, ids: Sequence[int], past: list[np.ndarray] | None = None) -> tuple[np.ndarray, list]:
        """Logits [len(ids), vocab] of `ids` after `past` (one sequence, no padding), and the new past."""
        logits, *present = self.session.run(self.fetches, self.feed(ids, past))
        return logits[0], present

    def greedy(
        self, prompt: Sequence[int], max_new_tokens: int, eos: int | None, past: list[np.ndarray] | None = None
    ) -> list[int]:
        """Greedy new tokens after `past`, reusing the KV cache at each step; stops after `eos`."""
        logits, past = self.forward(prompt, past)
        tokens: list[int] = []
        while len(tokens) < max_new_tokens:
            token = int(logits[-1].argmax())
            tokens.append(token)
            if token == eos:
                break
            logits, past = self.forward([token], past)
        return tokens


@dataclass(frozen=True)
class WebCheck:
    tolerance: float
    logits_diff_no_past: float
    logits_diff_with_past: float
    logits_scale: float
    prompts: int
    greedy_equal: int
    greedy_tokens: int
    q8_agreement: float
    q8_positions: int

    def failure(self) -> str | None:
        """Why the fp32 export cannot be published, or None when it matches."""
        limit = self.tolerance * max(1.0, self.logits_scale)
        worst = max(self.logits_diff_no_past, self.logits_diff_with_past)
        if worst > limit:
            return f"logits differ by {worst:.3g} (tolerance {limit:.3g})"
        if self.greedy_equal != self.prompts:
            return f"greedy decode differs on {self.prompts - self.greedy_equal} of {self.prompts} prompts"
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_token_ids(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str]) -> list[list[int]]:
    """The prompts as a chat user turn (the chat template when there is one), as the chat app sends them."""
    encoded = []
    for prompt in prompts:
        if getattr(tokenizer, "chat_template", None):
            messages = [{"role": "user", "content": prompt}]
            ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
            encoded.append(list(ids["input_ids"]))
        else:
            encoded.append(list(tokenizer(prompt)["input_ids"]))
    return encoded


def check_export(
    model: PreTrainedModel,
    model_dir: Path,
    onnx_dir: Path,
    *,
    prompts: Sequence[str] | None = None,
    max_new_tokens: int = 24,
) -> WebCheck:
    """Compare `onnx_dir/model.onnx` (and its q8 copy) with `model` on the probe prompts."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from hubtools.evaluation.probes import DEFAULT_PROBES
    from hubtools.serve.onnx_export import FP32_FILE, Q8_FILE

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    eos = model.generation_config.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos if eos is not None else tokenizer.eos_token_id
    fp32, q8 = OnnxDecoder(onnx_dir / FP32_FILE), OnnxDecoder(onnx_dir / Q8_FILE)
    no_past = with_past = scale = 0.0
    equal = greedy_tokens = agree = positions = 0
    encoded = probe_token_ids(tokenizer, list(prompts or DEFAULT_PROBES))
    for ids in encoded:
        with torch.no_grad():
            reference = model(torch.tensor([ids])).logits[0].numpy()
        scale = max(scale, float(np.abs(reference).max()))
        whole, _ = fp32.forward(ids)
        no_past = max(no_past, float(np.abs(whole - reference).max()))
        if len(ids) > 1:
            half = len(ids) // 2
            _, past = fp32.forward(ids[:half])
            rest, _ = fp32.forward(ids[half:], past)
            with_past = max(with_past, float(np.abs(rest - reference[half:]).max()))
        expected = _transformers_greedy(model, ids, max_new_tokens, eos)
        answer = fp32.greedy(ids, max_new_tokens, eos)
        equal += answer == expected
        greedy_tokens += len(answer)
        # Teacher-forced along prompt + answer: q8's choice at each position where a token was generated.
        sequence = ids + answer
        fp32_choice = fp32.forward(sequence)[0][len(ids) - 1 : -1].argmax(-1)
        q8_choice = q8.forward(sequence)[0][len(ids) - 1 : -1].argmax(-1)
        agree += int((fp32_choice == q8_choice).sum())
        positions += len(answer)
    return WebCheck(
        tolerance=LOGITS_TOLERANCE,
        logits_diff_no_past=no_past,
        logits_diff_with_past=with_past,
        logits_scale=scale,
        prompts=len(encoded),
        greedy_equal=equal,
        greedy_tokens=greedy_tokens,
        q8_agreement=agree / positions if positions else 1.0,
        q8_positions=positions,
    )


def _transformers_greedy(model: PreTrainedModel, ids: list[int], max_new_tokens: int, eos: int | None) -> list[int]:
    import torch
    from transformers import GenerationConfig

    generation = GenerationConfig(
        max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, eos_token_id=eos, pad_token_id=eos
    )
    with torch.no_grad():
        output = model.generate(
            torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), generation_config=generation
        )
    return output[0, len(ids) :].tolist()
