"""The web export (`onnx/`) against transformers, run through onnxruntime on tiny GPT-2 and OPT models."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _web_models import make_model  # noqa: E402

from hubtools.errors import HubtoolsError  # noqa: E402
from hubtools.serve.onnx_check import OnnxDecoder  # noqa: E402
from hubtools.serve.onnx_export import FP32_FILE, Q8_FILE, REPORT_FILE, export_for_web, io_names  # noqa: E402

PROMPTS = ["what is 2+2", "hello", "tell me about the sea and the ships on it"]


@pytest.fixture(scope="module", params=["gpt2", "opt"])
def exported(request, tmp_path_factory):
    model_dir = make_model(tmp_path_factory.mktemp(request.param), request.param)
    return model_dir, export_for_web(model_dir, prompts=PROMPTS, max_new_tokens=12)


def test_export_has_the_layout_transformers_js_loads(exported):
    model_dir, result = exported
    assert sorted(p.name for p in result.out_dir.iterdir()) == sorted([FP32_FILE, Q8_FILE, REPORT_FILE])
    inputs, outputs = io_names(2)
    for name in (FP32_FILE, Q8_FILE):
        session = OnnxDecoder(result.out_dir / name).session
        assert [i.name for i in session.get_inputs()] == inputs
        assert [o.name for o in session.get_outputs()] == outputs
    record = json.loads((result.out_dir / REPORT_FILE).read_text())
    assert record["check"]["greedy_equal"] == len(PROMPTS)
    assert record["files"][Q8_FILE] < record["files"][FP32_FILE]
    assert not list(model_dir.glob(".web-export-*"))


def test_fp32_logits_match_transformers_with_and_without_past(exported):
    """Independent of the exporter's own check: batch 2, left padding, a past, through onnxruntime directly."""
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, DynamicCache

    model_dir, result = exported
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="eager").eval()
    session = OnnxDecoder(result.out_dir / FP32_FILE).session
    inputs, _ = io_names(2)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 50000, (2, 9), generator=generator)
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[0, :3] = 0  # left padding, as a batch of two chats of different lengths would have
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits.numpy()
        prefix = model(input_ids=ids[:, :6], attention_mask=mask[:, :6], position_ids=positions[:, :6], use_cache=True)
    past = [t.numpy() for layer in prefix.cache.layers for t in (layer.keys, layer.values)]
    assert isinstance(prefix.cache, DynamicCache)
    feed = {"input_ids": ids[:, 6:].numpy(), "attention_mask": mask.numpy(), "position_ids": positions[:, 6:].numpy()}
    pasts = inputs[3:-1]
    keep_all = {"num_logits_to_keep": np.array(0, dtype=np.int64)}
    logits = session.run(["logits"], {**feed, **dict(zip(pasts, past, strict=True)), **keep_all})[0]
    scale = np.abs(reference).max()
    assert np.abs(logits - reference[:, 6:]).max() <= 1e-4 * scale
    empty = [np.zeros((2, p.shape[1], 0, p.shape[3]), np.float32) for p in past]
    whole = session.run(
        ["logits"],
        {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "position_ids": positions.numpy()}
        | dict(zip(pasts, empty, strict=True))
        | keep_all,
    )[0]
    assert np.abs(whole[0, 3:] - reference[0, 3:]).max() <= 1e-4 * scale
    assert np.abs(whole[1] - reference[1]).max() <= 1e-4 * scale
    # What transformers.js feeds: logits of the last position only.
    last = session.run(
        ["logits"],
        {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "position_ids": positions.numpy()}
        | dict(zip(pasts, empty, strict=True))
        | {"num_logits_to_keep": np.array(1, dtype=np.int64)},
    )[0]
    assert last.shape[1] == 1
    assert np.abs(last[:, 0] - reference[:, -1]).max() <= 1e-4 * scale


def test_added_outputs_are_the_tail_of_the_cache(exported):
    """`new_key_values.*`, what the web chat fetches instead of the whole cache, are exactly the positions a call
    added: after an empty past (the prompt) and after a past (one more token, a few more)."""
    import numpy as np

    _, result = exported
    for name in (FP32_FILE, Q8_FILE):
        decoder = OnnxDecoder(result.out_dir / name)
        names = [o.name for o in decoder.session.get_outputs()]
        past = None
        for ids in ([5, 6, 7, 8], [9], [10, 11, 12]):
            start = past[0].shape[2] if past else 0
            out = dict(zip(names, decoder.session.run(None, decoder.feed(ids, past)), strict=True))
            past = [out[n.replace("past_key_values.", "present.")] for n in decoder.past_names]
            for present_name in (n.replace("past_key_values.", "present.") for n in decoder.past_names):
                added = out[present_name.replace("present.", "new_key_values.")]
                assert added.shape[2] == len(ids)
                assert np.array_equal(added, out[present_name][:, :, start:]), (name, present_name)


def test_greedy_decode_equals_transformers_token_for_token(exported):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hubtools.serve.onnx_check import probe_token_ids

    model_dir, result = exported
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    decoder = OnnxDecoder(result.out_dir / FP32_FILE)
    for ids in probe_token_ids(tokenizer, ["a new prompt the check did not see", "2+2?"]):
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=16, min_new_tokens=16)
        assert decoder.greedy(ids, 16, eos=None) == out[0, len(ids) :].tolist()


def test_q8_agreement_is_measured(exported):
    _, result = exported
    check = result.check
    assert check.q8_positions == check.greedy_tokens > 0
    assert 0.0 <= check.q8_agreement <= 1.0


def test_unsupported_architecture_is_a_clear_error(tmp_path):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    config = GPTNeoXConfig(num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32)
    GPTNeoXForCausalLM(config).save_pretrained(tmp_path)
    with pytest.raises(HubtoolsError, match="model_type 'gpt_neox' has no web export"):
        export_for_web(tmp_path)
    assert not (tmp_path / "onnx").exists()


def test_not_a_model_folder(tmp_path):
    with pytest.raises(HubtoolsError, match="no config.json"):
        export_for_web(tmp_path)


def test_transformers_js_generates_what_onnxruntime_does(exported, web_node_modules):
    """transformers.js itself (in node) loads the export and its greedy decode equals the Python one:
    input names, empty-past shapes from the session metadata, position ids and config mapping all line up; and so
    it does with the web chat's cache kept in JavaScript (only the added positions read back at each step)."""
    import subprocess

    from transformers import AutoTokenizer

    from hubtools.serve.onnx_check import probe_token_ids

    model_dir, result = exported
    prompts = probe_token_ids(AutoTokenizer.from_pretrained(model_dir), ["hello there", "what is 2+2"])
    kv_in_place = Path(__file__).resolve().parents[2] / "spaces" / "web-chat" / "kv_in_place.js"
    for (dtype, name), in_place in itertools.product((("fp32", FP32_FILE), ("q8", Q8_FILE)), (False, True)):
        request = {"model_dir": str(model_dir), "dtype": dtype, "prompts": prompts, "max_new_tokens": 8}
        run = subprocess.run(
            ["node", str(Path(__file__).with_name("generate_node.mjs"))],
            input=json.dumps({**request, "in_place": in_place}),
            capture_output=True,
            text=True,
            env={
                "WEB_NODE_MODULES": str(web_node_modules),
                "WEB_KV_IN_PLACE_JS": str(kv_in_place),
                "PATH": "/usr/bin:/bin",
            },
        )
        assert run.returncode == 0, run.stderr[-2000:]
        decoder = OnnxDecoder(result.out_dir / name)
        assert json.loads(run.stdout) == [decoder.greedy(ids, 8, eos=50256) for ids in prompts], (dtype, in_place)


def test_release_stage_skips_architectures_transformers_js_export_does_not_cover(tmp_path):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    from hubtools.evaluation.config import EvalConfig
    from hubtools.release.stages import web_copy

    config = GPTNeoXConfig(num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32)
    GPTNeoXForCausalLM(config).save_pretrained(tmp_path)
    assert web_copy(tmp_path, EvalConfig()).startswith("skipped: transformers.js export covers gpt2, opt")
    assert not (tmp_path / "onnx").exists()
