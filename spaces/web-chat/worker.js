// Generation off the page's thread: loads the model with transformers.js (vendored, no CDN) and streams
// replies back. The KV cache of the last reply is kept, and the part of it the next prompt still starts
// with is reused, so a long chat re-reads only its newest turn.
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
  StoppingCriteria,
  StoppingCriteriaList,
  Tensor,
  env,
} from "./vendor/transformers.min.js";
import { keepCacheInPlace } from "./kv_in_place.js";
import { ChatError, FOLDS, buildMessages, commonPrefix, cutAtStop, explainError, fitPrompt, stopStrings } from "./chat.js";

const vendor = (name) => new URL(`./vendor/${name}`, import.meta.url).href;
// A tiny module using one SIMD instruction: onnxruntime-web needs WebAssembly SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

// {tokenizer, model, fold, stops, context, cache, cachedIds, segments, where}: `segments` are the
// [start, end) pieces of cachedIds each forward pass computed (the benchmark and tests replay them).
let state = null;
let stopRequested = false;
// The page's shared stop flag (Int32Array over a SharedArrayBuffer; null where the page is not isolated).
let stopFlag = null;
const stopPressed = () => stopRequested || (stopFlag !== null && Atomics.load(stopFlag, 0) === 1);

const post = (message) => self.postMessage(message);

class StopWhen extends StoppingCriteria {
  constructor(check) {
    super();
    this.check = check;
  }
  _call(input_ids) {
    return new Array(input_ids.length).fill(this.check());
  }
}

function checkBrowser() {
  if (typeof WebAssembly === "undefined") throw new ChatError("This browser cannot run WebAssembly, which the in-browser model needs.");
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new ChatError("This browser lacks WebAssembly SIMD, which the in-browser model needs. Try a current Chrome, Edge, Firefox or Safari.");
  }
}

async function pickDevice(wanted) {
  if (wanted === "wasm") return "wasm";
  try {
    if (self.navigator?.gpu && (await self.navigator.gpu.requestAdapter())) return "webgpu";
  } catch {
    // no usable adapter: WebAssembly it is
  }
  return "wasm";
}

async function load({ model_repo, revision, hub_endpoint, dtype, device, threads }) {
  checkBrowser();
  const host = hub_endpoint.replace(/\/*$/, "/");
  const where = `${model_repo}@${String(revision).slice(0, 12)}`;
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = host;
  env.remotePathTemplate = "{model}/resolve/{revision}/";
  env.backends.onnx.wasm.wasmPaths = {
    mjs: vendor("ort-wasm-simd-threaded.asyncify.mjs"),
    wasm: vendor("ort-wasm-simd-threaded.asyncify.wasm"),
  };
  env.backends.onnx.wasm.numThreads = self.crossOriginIsolated ? threads : 1;
  const chosen = await pickDevice(device);
  const precision = dtype === "auto" ? (chosen === "webgpu" ? "fp32" : "q8") : dtype;
  const files = {};
  const progress_callback = (event) => {
    if (event.status === "progress" || event.status === "done") {
      const file = files[event.file] || (files[event.file] = { loaded: 0, total: 0 });
      if (event.total) file.total = event.total;
      file.loaded = event.status === "done" ? file.total || file.loaded : event.loaded || file.loaded;
      const list = Object.values(files);
      post({ type: "progress", loaded: list.reduce((s, f) => s + f.loaded, 0), total: list.reduce((s, f) => s + f.total, 0) });
    }
  };
  const started = performance.now();
  let tokenizer, model;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(model_repo, { revision, progress_callback });
    model = await AutoModelForCausalLM.from_pretrained(model_repo, { revision, dtype: precision, device: chosen, progress_callback });
  } catch (error) {
    const unreachable = /Failed to fetch|NetworkError|Load failed/i.test(String(error?.message || error));
    throw new ChatError(explainError(error, unreachable ? hub_endpoint : where));
  }
  // On WebAssembly the cache lives in JavaScript memory anyway: keep it there instead of re-reading it whole.
  const inPlace = chosen === "wasm" && keepCacheInPlace(model.sessions.model);
  const config = model.config;
  const context = config.n_positions || config.max_position_embeddings || 1024;
  const specials = tokenizer.all_special_tokens || [];
  const render = (messages) => tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: false });
  state = { tokenizer, model, fold: 0, stops: stopStrings(render, specials), context, cache: null, cachedIds: [], segments: [], where };
  const bytes = Object.values(files).reduce((s, f) => s + f.total, 0);
  post({ type: "ready", device: chosen, dtype: precision, threads: env.backends.onnx.wasm.numThreads, load_ms: performance.now() - started, bytes, context, kv_in_place: inPlace });
}

function encode(messages) {
  const errors = [];
  for (let i = state.fold; i < FOLDS.length; i++) {
    try {
      const text = state.tokenizer.apply_chat_template(FOLDS[i](messages), { add_generation_prompt: true, tokenize: false });
      state.fold = i;
      // The template writes any BOS itself; adding special tokens again would double it.
      return state.tokenizer.encode(text, { add_special_tokens: false });
    } catch (error) {
      errors.push(error);
    }
  }
  throw new ChatError(`The model's chat template cannot render this conversation: ${errors.at(-1)?.message}`);
}

function clearCache() {
  if (!state) return;
  state.cache = null;
  state.cachedIds = [];
  state.segments = [];
}

function keptSegments(keep) {
  return state.segments.filter(([start]) => start < keep).map(([start, end]) => [start, Math.min(end, keep)]);
}

function cropCache(cache, keep) {
  const entries = {};
  for (const [name, tensor] of Object.entries(cache)) entries[name] = tensor.slice(null, null, [0, keep], null);
  return new DynamicCache(entries);
}

async function generate({ card, history, message, settings }) {
  if (!state) throw new ChatError("The model is not loaded yet.");
  const maxNew = Math.max(1, Math.min(settings.max_new_tokens, Math.floor(state.context / 2)));
  const { ids, dropped } = fitPrompt(encode, card, history, message, state.context - maxNew);
  // Reuse the cached keys/values of the longest prefix this prompt shares with the last one (at least
  // one token must be fed fresh, to get logits).
  let past = null;
  const keep = Math.min(commonPrefix(state.cachedIds, ids), ids.length - 1);
  if (state.cache && keep > 0) past = keep === state.cachedIds.length ? state.cache : cropCache(state.cache, keep);
  const segments = past ? keptSegments(keep) : [];
  const generated = [];
  let text = "";
  let firstAt = null;
  stopRequested = false;
  let stoppedByString = false;
  const started = performance.now();
  let promptSeen = false;
  const streamer = {
    // generate() first puts the prompt, then each new token as [[id]].
    put(value) {
      if (!promptSeen) {
        promptSeen = true;
        return;
      }
      generated.push(Number(value[0][0]));
      firstAt ??= performance.now();
      const cut = cutAtStop(state.tokenizer.decode(generated, { skip_special_tokens: true }), state.stops);
      stoppedByString = cut.stopped;
      text = cut.text;
      post({ type: "token", text, tokens: generated.length });
    },
    end() {},
  };
  const stopping_criteria = new StoppingCriteriaList();
  stopping_criteria.push(new StopWhen(() => stopPressed() || stoppedByString));
  const input_ids = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  let result;
  try {
    result = await state.model.generate({
      input_ids,
      attention_mask,
      ...(past ? { past_key_values: past } : {}),
      max_new_tokens: maxNew,
      do_sample: settings.do_sample,
      temperature: settings.temperature,
      top_p: settings.top_p,
      top_k: settings.top_k,
      repetition_penalty: settings.repetition_penalty,
      streamer,
      stopping_criteria,
      return_dict_in_generate: true,
    });
  } catch (error) {
    clearCache();
    throw new ChatError(explainError(error, state.where));
  }
  const finished = performance.now();
  state.cache = result.past_key_values;
  state.cachedIds = [...ids, ...generated].slice(0, state.cache.get_seq_length());
  const fed = past ? keep : 0;
  state.segments = [...segments, [fed, ids.length], ...generated.slice(0, -1).map((_, i) => [ids.length + i, ids.length + i + 1])];
  post({
    type: "done",
    text: text.trim(),
    prompt: ids,
    tokens: generated,
    reused: fed,
    segments,
    dropped,
    stopped: stopPressed(),
    ttft_ms: (firstAt ?? finished) - started,
    tokens_per_s: generated.length > 1 ? (generated.length - 1) / ((finished - firstAt) / 1000) : null,
  });
}

/**
 * Read the card (system turn and greeting) into the KV cache before the first message, so the first
 * reply's wait does not include a long persona, and neither does any later one.
 */
async function prefill(card) {
  clearCache();
  if (!state) return;
  const messages = buildMessages(card, [], "").slice(0, -1);
  let ids;
  try {
    const text = state.tokenizer.apply_chat_template(FOLDS[state.fold](messages), { tokenize: false, add_generation_prompt: false });
    ids = state.tokenizer.encode(text, { add_special_tokens: false });
  } catch {
    return; // a template that refuses this shape: the first message reads the card instead
  }
  if (ids.length < 2) return;
  const input_ids = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const result = await state.model.generate({ input_ids, attention_mask, max_new_tokens: 1, do_sample: false, return_dict_in_generate: true });
  state.cache = result.past_key_values;
  state.cachedIds = ids;
  state.segments = [[0, ids.length]];
  post({ type: "prefilled", tokens: ids.length });
}

async function handle(data) {
  try {
    if (data.type === "load") {
      const old = state;
      state = null;
      await old?.model.dispose(); // frees the previous release's sessions (WebAssembly memory is not collected)
      await load(data.config);
    } else if (data.type === "prefill") {
      await prefill(data.card);
    } else if (data.type === "reset") {
      clearCache();
    } else if (data.type === "generate") {
      await generate(data);
    }
  } catch (error) {
    post({ type: "error", during: data.type, message: error instanceof ChatError ? error.message : explainError(error, state?.where || "the Hub") });
  }
}

// One request at a time, in order (a message sent while the card is being read waits for it). On
// WebAssembly a stop message is read only once generate() returns, so the page's shared flag is what stops
// a reply part-way; the message remains for a page without cross-origin isolation (read between steps
// where the backend yields to the event loop).
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  if (data.type === "stop-flag") {
    stopFlag = data.flag;
    return;
  }
  if (data.type === "stop") {
    stopRequested = true;
    return;
  }
  queue = queue.then(() => handle(data));
};
