"""In-browser chat inference (the static Space) beside the Gradio Space's CTranslate2 int8 path, in one run.

GPT-2 124M shape from its config (random init: speed does not depend on the weights' values) on the real
GPT-2 tokenizer, exported with `export_for_web`, uploaded to an embedded Hub; the static Space's files served
locally with its isolation headers; headless Debian Chromium on 2 WebAssembly threads. Measured:

- download size per dtype and load time;
- a ~200-token prompt, greedy: decode tokens/s (q8 in the browser vs CTranslate2 int8, same prompt, one
  round of each in turn) and time to first token once loaded;
- a 10-turn chat with a ~600-token persona: time to first token at turn 10 over turn 1, with the KV cache
  reused across turns (as the page does) and with it dropped before every turn (re-reading the history).

Goals (issue 15): decode ≥ 0.5× CTranslate2; TTFT ≤ 1 s; turn-10 TTFT ≤ 2× turn 1 with reuse, where
re-reading would be ≥ 5×. Prints every figure and the ratios; asserts nothing.

    .venv/bin/python benchmarks/browser_inference.py [--rounds 3] [--new-tokens 64] [--dtypes q8,fp32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
TEXT = (
    "The harbour was quiet that morning. Fishing boats rocked against the pier while gulls argued over scraps, "
    "and the old lighthouse keeper walked the length of the breakwater as he had done for forty years. "
)
TURNS = ["hi", "how are you", "what is that", "tell me more", "why", "really?", "ok", "and then", "go on", "bye"]


def words_for_tokens(tokenizer, tokens: int) -> str:
    """A text of about `tokens` tokens."""
    ids = tokenizer(TEXT * (tokens // 30 + 2))["input_ids"][:tokens]
    return tokenizer.decode(ids).strip()


def setup_page(page, *, dtype: str, threads: int, card: dict, max_new: int) -> dict:
    """Set the card and settings, reload the model with them, and return the worker's ready event."""
    page.evaluate(
        """([card, dtype, threads, maxNew]) => {
          for (const [id, value] of Object.entries(card)) document.getElementById(id).value = value;
          document.getElementById('do-sample').checked = false;
          document.getElementById('repetition-penalty').value = '1';
          document.getElementById('max-new-tokens').value = String(maxNew);
          document.getElementById('dtype').value = dtype;
          window.webChat.ready = null;
          const select = document.getElementById('threads');
          select.value = String(threads);
          select.dispatchEvent(new Event('change'));
        }""",
        [card, dtype, threads, max_new],
    )
    page.wait_for_function("window.webChat.ready", timeout=600_000)
    return page.evaluate("window.webChat.ready")


def send(page, message: str, *, reset: bool = False, restart: bool = False) -> dict:
    """One turn; `reset` drops the KV cache first (the history is re-read), `restart` starts a new chat."""
    if restart:
        page.click("#restart")
    if reset:
        page.evaluate("window.webChat.worker.postMessage({type: 'reset'})")
    page.evaluate("window.webChat.last = null")
    page.fill("#message", message)
    page.click("#send")
    page.wait_for_function("window.webChat.last !== null", timeout=600_000)
    error = page.locator("#error")
    if error.is_visible():
        raise SystemExit(f"the page failed: {error.inner_text()}")
    return page.evaluate("window.webChat.last")


def chat_ttfts(page, *, reuse: bool) -> list[float]:
    page.click("#restart")
    return [send(page, message, reset=not reuse)["ttft_ms"] for message in TURNS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--prompt-tokens", type=int, default=200)
    parser.add_argument("--persona-tokens", type=int, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtypes", default="q8,fp32", help="precisions to load in the browser (q8 is measured)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")

    import torch
    from space_inference import fast_users, gpt2_tokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from hubtools.hub.server import running_hub
    from hubtools.serve.backends import load_backend
    from hubtools.serve.batching import Batcher
    from hubtools.serve.onnx_export import export_for_web
    from hubtools.serve.prompt import CharacterCard
    from hubtools.serve.static_server import running_static_space
    from hubtools.serve.static_space import WEB_APP_DIR, space_config, static_space_files
    from hubtools.train.chat_template import CHAT_TEMPLATE, template_into_config

    torch.manual_seed(0)
    tokenizer = gpt2_tokenizer()
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.eos_token = tokenizer.bos_token = "<|endoftext|>"
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        GPT2LMHeadModel(GPT2Config()).eval().save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
        template_into_config(model_dir)
        t0 = time.perf_counter()
        export = export_for_web(model_dir, prompts=["hi"], max_new_tokens=8)
        print(f"web export: {time.perf_counter() - t0:.0f} s, q8 agreement {export.check.q8_agreement:.1%}")
        for name, size in export.sizes.items():
            print(f"download size {name}: {size / 1e6:.1f} MB")

        # The Gradio Space's path: CTranslate2 int8 through its batcher, 200-token prompt, greedy.
        card = {"card-name": "Aria", "card-persona": "", "card-greeting": "", "card-scenario": "", "card-example": ""}
        message = words_for_tokens(tokenizer, args.prompt_tokens - 12)
        messages = [
            {"role": "system", "content": CharacterCard(persona="", scenario="", example_dialogue="").system_prompt()}
        ]
        prompt_ids = tokenizer.apply_chat_template(
            messages + [{"role": "user", "content": message}], add_generation_prompt=True, tokenize=False
        )
        prompt_ids = tokenizer(prompt_ids, add_special_tokens=False)["input_ids"]
        backend = load_backend(model_dir, convert_dir=Path(tmp) / "ct2-int8")
        batcher = Batcher(backend)
        fast_users(batcher, prompt_ids, 4, 1)  # warm-up

        with running_hub(Path(tmp) / "hub", tokens=["hf_bench"]) as hub:
            from huggingface_hub import HfApi

            api = HfApi(endpoint=hub.url, token="hf_bench")
            api.create_repo("local/bench-web")
            commit = api.upload_folder(
                folder_path=model_dir, repo_id="local/bench-web", ignore_patterns=["ct2-int8/**"]
            ).oid
            files = static_space_files(
                WEB_APP_DIR, space_config("local/bench-web", commit, hub.url), models=[], datasets=[]
            )
            from playwright.sync_api import sync_playwright

            with running_static_space(files) as url, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page()
                page.goto(url)
                page.wait_for_function(
                    "window.webChat.ready || !document.getElementById('error').hidden", timeout=600_000
                )
                loads = {}
                for dtype in args.dtypes.split(","):
                    ready = setup_page(page, dtype=dtype, threads=args.threads, card=card, max_new=args.new_tokens)
                    loads[dtype] = ready
                    print(
                        f"browser {dtype}: loaded in {ready['load_ms'] / 1000:.1f} s "
                        f"({ready['bytes'] / 1e6:.1f} MB over HTTP, {ready['threads']} threads, {ready['device']}, "
                        f"KV cache kept in the page: {ready.get('kv_in_place', False)})"
                    )
                ready = setup_page(page, dtype="q8", threads=args.threads, card=card, max_new=args.new_tokens)
                send(page, "warm up")
                # Interleaved, one CTranslate2 reply then one browser reply: the machine's load changes by the
                # minute, and a ratio is only fair between figures taken at the same moment.
                ct2, single = [], []
                for _ in range(args.rounds):
                    ct2.append(fast_users(batcher, prompt_ids, args.new_tokens, 1)[0])
                    single.append(send(page, message, restart=True))
                print(f"browser prompt: {len(single[0]['prompt'])} tokens (CTranslate2: {len(prompt_ids)})")

                persona = words_for_tokens(tokenizer, args.persona_tokens)
                setup_page(page, dtype="q8", threads=args.threads, card={**card, "card-persona": persona}, max_new=12)
                with_reuse = chat_ttfts(page, reuse=True)
                without_reuse = chat_ttfts(page, reuse=False)
                browser.close()

    med = statistics.median
    ct2_decode, ct2_ttft = med(r[1] for r in ct2), med(r[0] for r in ct2)
    web_decode = med(r["tokens_per_s"] for r in single if r["tokens_per_s"])
    web_ttft = med(r["ttft_ms"] for r in single) / 1000
    print(f"tokens per reply: CTranslate2 {ct2[0][2]}, browser {len(single[0]['tokens'])}")
    print(f"CTranslate2 int8 (Gradio Space path): decode {ct2_decode:.1f} tok/s, TTFT {ct2_ttft:.2f} s")
    print(f"browser q8, {args.threads} threads: decode {web_decode:.1f} tok/s, TTFT {web_ttft:.2f} s")
    print("10-turn chat TTFT (ms), cache reused: " + ", ".join(f"{t:.0f}" for t in with_reuse))
    print("10-turn chat TTFT (ms), history re-read: " + ", ".join(f"{t:.0f}" for t in without_reuse))
    ratios = [w["tokens_per_s"] / c[1] for c, w in zip(ct2, single, strict=True) if w["tokens_per_s"]]
    print(
        "per round, CTranslate2 / browser tok/s: "
        + ", ".join(f"{c[1]:.1f} / {w['tokens_per_s'] or 0:.1f}" for c, w in zip(ct2, single, strict=True))
    )
    print(
        f"decode ratio browser/CTranslate2: {web_decode / ct2_decode:.2f}x of the medians, "
        f"{min(ratios):.2f}-{max(ratios):.2f}x per round (goal >= 0.5x)"
    )
    print(f"TTFT once loaded: {web_ttft:.2f} s (goal <= 1 s)")
    print(f"turn 10 / turn 1 TTFT, cache reused: {with_reuse[-1] / with_reuse[0]:.2f}x (goal <= 2x)")
    print(f"turn 10 / turn 1 TTFT, history re-read: {without_reuse[-1] / with_reuse[0]:.2f}x (re-reading: >= 5x)")


if __name__ == "__main__":
    main()
