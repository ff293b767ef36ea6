// Greedy generation with transformers.js in node (onnxruntime-node) from a local model folder.
// stdin: {"model_dir", "dtype", "prompts": [[ids]], "max_new_tokens", "in_place"?} → stdout [[new ids], ...].
// With `in_place` (the path of spaces/web-chat/kv_in_place.js, given as WEB_KV_IN_PLACE_JS) the session reads back
// only the added positions and generate() runs on the cache kept in JavaScript, as the page does on WebAssembly.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.WEB_NODE_MODULES;
const { AutoModelForCausalLM, Tensor, env } = await import(
  pathToFileURL(path.join(modules, "@huggingface/transformers/dist/transformers.node.mjs")).href
);
const { model_dir, dtype, prompts, max_new_tokens, in_place } = JSON.parse(readFileSync(0, "utf8"));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(model_dir) + "/";
const model = await AutoModelForCausalLM.from_pretrained(path.basename(model_dir), { dtype });
if (in_place) {
  const { keepCacheInPlace } = await import(pathToFileURL(process.env.WEB_KV_IN_PLACE_JS).href);
  if (!keepCacheInPlace(model.sessions.model)) throw new Error("the export lacks the new_key_values.* outputs");
}
const out = [];
for (const ids of prompts) {
  const input_ids = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const sequences = await model.generate({ input_ids, attention_mask, max_new_tokens, do_sample: false });
  out.push(sequences.tolist()[0].slice(ids.length).map(Number));
}
process.stdout.write(JSON.stringify(out));
