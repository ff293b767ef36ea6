// Greedy generation with transformers.js in node (onnxruntime-node) from a local model folder.
// stdin: {"model_dir", "dtype", "prompts": [[ids]], "max_new_tokens"} → stdout [[new ids], ...].
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.WEB_NODE_MODULES;
const { AutoModelForCausalLM, Tensor, env } = await import(
  pathToFileURL(path.join(modules, "@huggingface/transformers/dist/transformers.node.mjs")).href
);
const { model_dir, dtype, prompts, max_new_tokens } = JSON.parse(readFileSync(0, "utf8"));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(model_dir) + "/";
const model = await AutoModelForCausalLM.from_pretrained(path.basename(model_dir), { dtype });
const out = [];
for (const ids of prompts) {
  const input_ids = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const attention_mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const sequences = await model.generate({ input_ids, attention_mask, max_new_tokens, do_sample: false });
  out.push(sequences.tolist()[0].slice(ids.length).map(Number));
}
process.stdout.write(JSON.stringify(out));
