// Calls functions of the static Space's chat.js: stdin [[name, ...args], ...] → stdout [result | {error}].
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const chat = await import(pathToFileURL(process.env.WEB_CHAT_JS).href);
const lengthEncoder = (messages) => Array.from(messages.map((m) => m.content).join("|"), (c) => c.charCodeAt(0));
const calls = JSON.parse(readFileSync(0, "utf8"));
const results = calls.map(([name, ...args]) => {
  try {
    if (name === "fitPrompt") return chat.fitPrompt(lengthEncoder, ...args);
    if (name === "explainError") return chat.explainError(new Error(args[0]), args[1]);
    return chat[name](...args);
  } catch (error) {
    return { error: error.message };
  }
});
process.stdout.write(JSON.stringify(results));
