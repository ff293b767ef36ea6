"""The fast path stays faithful to fp32, and the batcher serves concurrent requests together."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hubtools.errors import HubtoolsError
from hubtools.serve.backends import CTranslate2Backend, SamplingParams, TransformersBackend, load_backend
from hubtools.serve.batching import Batcher
from hubtools.serve.convert import FAST_MARKER, convert_for_serving

GREEDY = SamplingParams(temperature=0.0, repetition_penalty=1.0)
PROMPTS = [[50258, 1212, 318, 257, 1332, 13], [50258, 15496, 995, 11, 703, 389, 345, 30], [40, 588, 3797, 290, 257]]


def _greedy(backend, prompts, n=24, params=GREEDY):
    out: dict[int, list[int]] = {i: [] for i in range(len(prompts))}
    backend.generate(prompts, params, n, lambda row, token: out[row].append(token) and False)
    return [out[i] for i in range(len(prompts))]


@pytest.fixture(scope="module")
def engines(tiny_dirs, tmp_path_factory):
    model = tiny_dirs["a"]
    out = tmp_path_factory.mktemp("fast")
    int8 = convert_for_serving(model, out / "int8")
    fp32 = convert_for_serving(model, out / "fp32", quantization="float32")
    assert (int8 / FAST_MARKER).is_file() and (int8 / "model.bin").is_file()
    return {
        "hf": TransformersBackend(model),
        "int8": CTranslate2Backend(int8),
        "ct2-fp32": CTranslate2Backend(fp32, compute_type="float32"),
    }


def test_engine_matches_transformers_exactly_in_fp32(engines):
    assert _greedy(engines["ct2-fp32"], PROMPTS) == _greedy(engines["hf"], PROMPTS)


def test_int8_is_faithful_to_fp32_greedy(engines):
    """Teacher-forced top-1 agreement along fp32's own greedy continuation, and the shared greedy prefix."""
    reference = _greedy(engines["hf"], PROMPTS)
    fast = [_greedy(engines["int8"], [p])[0] for p in PROMPTS]
    agreement, prefixes = [], []
    for prompt, ref, got in zip(PROMPTS, reference, fast, strict=True):
        ids = prompt + ref
        top_fp32 = engines["hf"].logits(ids)[len(prompt) - 1 : -1].argmax(-1)
        top_int8 = engines["int8"].logits(ids)[len(prompt) - 1 : -1].argmax(-1)
        agreement.append(float(np.mean(top_fp32 == top_int8)))
        prefixes.append(next((i for i, (a, b) in enumerate(zip(ref, got, strict=False)) if a != b), len(ref)))
    print(f"int8 vs fp32: top-1 agreement {agreement}, identical greedy prefix {prefixes} of {len(reference[0])}")
    assert min(agreement) >= 0.9
    assert min(prefixes) >= 8


def test_transformers_batches_match_single_runs(engines):
    assert _greedy(engines["hf"], PROMPTS, 12) == [_greedy(engines["hf"], [p], 12)[0] for p in PROMPTS]


class _Recording:
    """Wraps a backend to record the batch sizes it is given; the first two batches each wait for their event in
    `release`, so the test decides what is queued and what is free when (no timing involved)."""

    def __init__(self, backend):
        self.backend, self.sizes, self.lock = backend, [], threading.Lock()
        self.name, self.slots, self.max_batch = backend.name, 2, backend.max_batch
        self.release = (threading.Event(), threading.Event())

    def generate(self, prompts, params, max_new_tokens, on_token):
        with self.lock:
            self.sizes.append(len(prompts))
            index = len(self.sizes) - 1
        if index < len(self.release):
            assert self.release[index].wait(60)
        self.backend.generate(prompts, params, max_new_tokens, on_token)

    def wait_for_batches(self, count: int) -> None:
        for _ in range(1200):
            if len(self.sizes) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"only {self.sizes} batches started")


def test_two_slots_run_at_once_and_queued_requests_share_a_batch(engines):
    backend = _Recording(engines["int8"])
    batcher = Batcher(backend, gather_seconds=0.0)
    solo = _greedy(engines["int8"], [PROMPTS[0]], 16)[0]
    requests = [batcher.submit(PROMPTS[0], GREEDY, 16)]
    backend.wait_for_batches(1)
    requests.append(batcher.submit(PROMPTS[0], GREEDY, 16))
    backend.wait_for_batches(2)  # the second slot starts while the first batch still runs
    requests += [batcher.submit(PROMPTS[0], GREEDY, 16) for _ in range(2)]  # both slots busy: these queue
    backend.release[0].set()  # one slot frees: the two queued requests take it together
    backend.wait_for_batches(3)
    backend.release[1].set()
    replies = [list(r) for r in requests]
    assert replies == [solo] * 4
    assert backend.sizes == [1, 1, 2]  # the two queued requests went out together
    batcher.close()


class _Endless:
    """An engine that would go on for 10,000 steps unless told to stop (1 ms a step)."""

    name, slots, max_batch = "endless", 1, 1

    def __init__(self):
        self.steps = 0

    def generate(self, prompts, params, max_new_tokens, on_token):
        for step in range(10_000):
            self.steps += 1
            if on_token(0, step):
                return
            time.sleep(0.001)


def test_closing_a_stream_stops_its_generation():
    engine = _Endless()
    batcher = Batcher(engine, gather_seconds=0.0)
    request = batcher.submit([1, 2, 3], GREEDY, 10_000)
    taken = []
    for token in request:
        taken.append(token)
        if len(taken) == 3:
            request.close()
    batcher.close()
    assert taken == [0, 1, 2]
    for _ in range(200):  # the engine notices at its next token; without that it would run for 10 s and more
        if not batcher.active_batches:
            break
        time.sleep(0.05)
    assert not batcher.active_batches and engine.steps < 10_000


def test_fallback_and_friendly_failure(tiny_dirs, tmp_path):
    assert load_backend(tiny_dirs["a"], prefer="transformers").name == "transformers-fp32"
    assert load_backend(tiny_dirs["a"], convert_dir=tmp_path / "ct2").name == "ctranslate2-int8"
    assert (tmp_path / "ct2" / FAST_MARKER).is_file()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text('{"model_type": "gpt2"')
    with pytest.raises(HubtoolsError, match="could not be loaded"):
        load_backend(tmp_path / "broken", convert_dir=tmp_path / "ct2-broken")


def test_cached_system_prefix_gives_the_same_greedy_tokens(engines):
    """CTranslate2's static prompt (the card's system turn, cached) changes speed, not the tokens."""
    prefix = tuple(PROMPTS[1][:5])
    prompts = [list(prefix) + [318, 257, 1332], list(prefix) + [40, 588]]
    cached = SamplingParams(temperature=0.0, repetition_penalty=1.0, static_prefix=prefix)
    for name in ("ct2-fp32", "int8"):
        backend = engines[name]
        want = _greedy(backend, prompts)
        for _ in range(2):  # first call fills the cache, the second reads it
            assert _greedy(backend, prompts, params=cached) == want, name
        assert prefix in backend._cached_prefixes


def test_cached_prefixes_are_bounded(engines):
    backend = engines["ct2-fp32"]
    for i in range(backend.max_cached_prefixes + 3):
        prefix = (50258, 1000 + i)
        params = SamplingParams(temperature=0.0, static_prefix=prefix)
        backend.generate([list(prefix) + [13]], params, 2, lambda row, token: False)
    assert len(backend._cached_prefixes) <= backend.max_cached_prefixes
