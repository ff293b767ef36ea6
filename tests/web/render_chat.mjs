// Renders chat cases with the browser's code: transformers.js's tokenizer (which reads `chat_template` from
// tokenizer_config.json) and @huggingface/jinja directly. stdin: {"model_dir", "cases": [{messages, add_generation_prompt}]}.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// The app's own pinned packages (spaces/web-chat/node_modules), passed as WEB_NODE_MODULES.
const modules = process.env.WEB_NODE_MODULES;
const load = (file) => import(pathToFileURL(path.join(modules, file)).href);
const { Template } = await load("@huggingface/jinja/dist/index.js");
const { AutoTokenizer, env } = await load("@huggingface/transformers/dist/transformers.node.mjs");

const { model_dir, cases } = JSON.parse(readFileSync(0, "utf8"));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(model_dir) + "/";
const tokenizer = await AutoTokenizer.from_pretrained(path.basename(model_dir));
const config = JSON.parse(readFileSync(path.join(model_dir, "tokenizer_config.json"), "utf8"));
const token = (value) => (value && typeof value === "object" ? value.content : value) ?? "";
const template = new Template(config.chat_template);
const out = cases.map(({ messages, add_generation_prompt }) => ({
  transformers_js: tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt }),
  jinja: template.render({
    messages,
    add_generation_prompt,
    bos_token: token(config.bos_token),
    eos_token: token(config.eos_token),
  }),
}));
process.stdout.write(JSON.stringify(out));
