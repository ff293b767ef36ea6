// The page: reads space-config.json, lists the model's releases, and talks to the generation worker.
import { sortReleases } from "./chat.js";

const $ = (id) => document.getElementById(id);
const CARD_FIELDS = { name: "card-name", greeting: "card-greeting", persona: "card-persona", scenario: "card-scenario", example_dialogue: "card-example", user_name: "card-user" };

const page = { config: null, worker: null, history: [], busy: false, ready: null, last: null, revision: null };
window.webChat = page; // read by the browser tests and the benchmark

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function card() {
  return Object.fromEntries(Object.entries(CARD_FIELDS).map(([key, id]) => [key, $(id).value]));
}

function settings() {
  return {
    max_new_tokens: Number($("max-new-tokens").value) || 128,
    do_sample: $("do-sample").checked,
    temperature: Number($("temperature").value) || 1,
    top_p: Number($("top-p").value) || 1,
    top_k: Number($("top-k").value) || 0,
    repetition_penalty: Number($("repetition-penalty").value) || 1,
  };
}

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = `msg ${role}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = role === "user" ? $("card-user").value || "User" : $("card-name").value || "Assistant";
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.append(who, body);
  $("chat").append(div);
  $("chat").scrollTop = $("chat").scrollHeight;
  return body;
}

function restart() {
  page.history = [];
  $("chat").replaceChildren();
  const greeting = card().greeting.trim();
  if (greeting) bubble("assistant", greeting.replaceAll("{{char}}", card().name || "Assistant").replaceAll("{{user}}", card().user_name || "User"));
  $("title").textContent = card().name || "Chat";
  if (page.ready) page.worker.postMessage({ type: "prefill", card: card() });
  $("retry").disabled = true;
}

function setBusy(busy) {
  page.busy = busy;
  $("send").hidden = busy;
  $("stop").hidden = !busy;
  $("message").disabled = busy || !page.ready;
  $("send").disabled = busy || !page.ready;
  $("retry").disabled = busy || !page.ready || !page.history.length;
  $("release").disabled = busy || $("release").options.length < 2;
}

let streaming = null; // {body, message}

function send(message) {
  if (page.busy || !page.ready || !message.trim()) return;
  showError("");
  bubble("user", message);
  streaming = { body: bubble("assistant", "…"), message };
  setBusy(true);
  if (page.stopFlag) Atomics.store(page.stopFlag, 0, 0);
  page.worker.postMessage({ type: "generate", card: card(), history: page.history, message, settings: settings() });
}

function onWorker({ data }) {
  if (data.type === "progress") {
    $("loading").hidden = false;
    $("progress").max = data.total || 1;
    $("progress").value = data.loaded;
    $("progress-text").textContent = data.total ? `${megabytes(data.loaded)} / ${megabytes(data.total)}` : megabytes(data.loaded);
  } else if (data.type === "ready") {
    page.ready = data;
    $("loading").hidden = true;
    const engine = data.device === "webgpu" ? "WebGPU" : `WebAssembly, ${data.threads} thread${data.threads === 1 ? "" : "s"}`;
    $("model-status").textContent = `${page.config.model_repo} · ${page.revisionLabel} · ${data.dtype} on ${engine} · loaded in ${(data.load_ms / 1000).toFixed(1)} s`;
    page.worker.postMessage({ type: "prefill", card: card() });
    setBusy(false);
  } else if (data.type === "prefilled") {
    page.prefilled = data.tokens;
  } else if (data.type === "token") {
    streaming.body.textContent = data.text;
    $("chat").scrollTop = $("chat").scrollHeight;
  } else if (data.type === "done") {
    page.last = data;
    streaming.body.textContent = data.text || "…";
    page.history.push({ role: "user", content: streaming.message }, { role: "assistant", content: data.text });
    const rate = data.tokens_per_s ? `${data.tokens_per_s.toFixed(1)} tokens/s · ` : "";
    const reused = data.reused ? ` · ${data.reused} cached tokens reused` : "";
    $("stats").textContent = `${data.tokens.length} tokens · ${rate}first token after ${Math.round(data.ttft_ms)} ms${reused}`;
    streaming = null;
    setBusy(false);
  } else if (data.type === "error") {
    showError(data.message);
    if (data.during === "generate" && streaming) {
      streaming.body.parentElement.remove();
      streaming = null;
    }
    if (data.during === "load") {
      page.ready = null;
      $("loading").hidden = true;
      $("model-status").textContent = `${page.config.model_repo} · ${page.revisionLabel} · not loaded`;
    }
    setBusy(false);
  }
}

function load(revision, label) {
  page.ready = null;
  page.revision = revision;
  page.revisionLabel = label;
  setBusy(false);
  showError("");
  $("model-status").textContent = `Loading ${page.config.model_repo} (${label})…`;
  page.worker.postMessage({
    type: "load",
    config: {
      model_repo: page.config.model_repo,
      revision,
      hub_endpoint: page.config.hub_endpoint,
      dtype: $("dtype").value,
      device: $("device").value,
      threads:
        $("threads").value === "auto"
          ? Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8))
          : Number($("threads").value),
    },
  });
  restart();
}

async function listReleases() {
  const { hub_endpoint, model_repo, revision } = page.config;
  const select = $("release");
  const pinned = document.createElement("option");
  pinned.value = revision;
  pinned.textContent = `deployed (${revision.length === 40 ? revision.slice(0, 10) : revision})`;
  select.replaceChildren(pinned);
  try {
    const reply = await fetch(`${hub_endpoint.replace(/\/*$/, "")}/api/models/${model_repo}/refs`);
    if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
    const refs = await reply.json();
    for (const tag of sortReleases((refs.tags || []).map((t) => t.name))) {
      const option = document.createElement("option");
      option.value = tag;
      option.textContent = `release ${tag}`;
      select.append(option);
    }
  } catch {
    pinned.textContent += " (the list of releases could not be read)";
  }
  select.disabled = select.options.length < 2;
}

async function main() {
  let config;
  try {
    const reply = await fetch(new URL("space-config.json", document.baseURI));
    if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
    config = await reply.json();
  } catch (error) {
    showError(`This Space has no readable space-config.json (${error.message}): redeploy it with hubtools space deploy --kind static.`);
    $("model-status").textContent = "Not configured";
    return;
  }
  for (const key of ["model_repo", "revision", "hub_endpoint"]) {
    if (typeof config[key] !== "string" || !config[key]) {
      showError(`space-config.json: "${key}" is missing; expected a string.`);
      return;
    }
  }
  page.config = config;
  for (const [key, id] of Object.entries(CARD_FIELDS)) if (config.card?.[key] !== undefined) $(id).value = config.card[key];
  for (const [key, value] of Object.entries(config.settings || {})) {
    const input = $(key.replaceAll("_", "-"));
    if (!input) continue;
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value;
  }
  page.worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  page.worker.onmessage = onWorker;
  page.worker.onerror = (event) => showError(`The chat engine failed to start: ${event.message || "unknown error"}`);
  // Stop has to reach the worker while it generates, and a message would not: the worker's event loop gets
  // to it only once generate() has returned. A shared flag, read at every step, does (SharedArrayBuffer
  // needs the cross-origin isolation the Space's headers give; without it the message is all there is).
  page.stopFlag = globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
  page.worker.postMessage({ type: "stop-flag", flag: page.stopFlag });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const message = $("message").value;
    $("message").value = "";
    send(message);
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => {
    if (page.stopFlag) Atomics.store(page.stopFlag, 0, 1);
    page.worker.postMessage({ type: "stop" });
  });
  $("retry").addEventListener("click", () => {
    const lastUser = page.history.at(-2);
    if (!lastUser || page.busy) return;
    page.history = page.history.slice(0, -2);
    const bubbles = $("chat").querySelectorAll(".msg");
    bubbles[bubbles.length - 1]?.remove();
    bubbles[bubbles.length - 2]?.remove();
    send(lastUser.content);
  });
  $("restart").addEventListener("click", restart);
  $("release").addEventListener("change", (event) => load(event.target.value, event.target.selectedOptions[0].textContent));
  for (const id of ["dtype", "device", "threads"]) $(id).addEventListener("change", () => load(page.revision, page.revisionLabel));
  await listReleases();
  load(config.revision, $("release").selectedOptions[0].textContent);
}

main();
