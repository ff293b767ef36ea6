// The conversation logic, free of the DOM and of transformers.js, so the page and the worker share it.
// Mirrors hubtools/serve/prompt.py (the Gradio Space): the card becomes the system turn and the greeting the
// first assistant turn; templates that refuse either get the content folded into turns they accept; the
// oldest turns go first when the context window is full.

export const MAX_MESSAGE_CHARS = 4000;

export function fill(card, text) {
  return text.replaceAll("{{char}}", card.name || "Assistant").replaceAll("{{user}}", card.user_name || "User");
}

export function systemPrompt(card) {
  const name = (card.name || "").trim() || "Assistant";
  const persona = (card.persona || "").trim();
  const parts = [`You are ${name}.` + (persona ? ` ${fill(card, persona)}` : "")];
  if ((card.scenario || "").trim()) parts.push(`Scenario: ${fill(card, card.scenario.trim())}`);
  if ((card.example_dialogue || "").trim()) {
    parts.push(`Example of how ${name} talks:\n${fill(card, card.example_dialogue.trim())}`);
  }
  parts.push(`Stay in character as ${name}.`);
  return parts.join("\n\n");
}

/** System (card), greeting (unless the history opens with the assistant), history, new message. */
export function buildMessages(card, history, message) {
  const turns = history.filter((t) => (t.role === "user" || t.role === "assistant") && t.content.trim());
  const messages = [{ role: "system", content: systemPrompt(card) }];
  const greeting = (card.greeting || "").trim();
  if (greeting && !(turns.length && turns[0].role === "assistant")) {
    messages.push({ role: "assistant", content: fill(card, greeting) });
  }
  return [...messages, ...turns, { role: "user", content: message }];
}

function greetingIntoSystem(messages) {
  if (messages.length > 1 && messages[0].role === "system" && messages[1].role === "assistant") {
    const content = `${messages[0].content}\n\nThe conversation opened with: ${messages[1].content}`;
    return [{ role: "system", content }, ...messages.slice(2)];
  }
  return messages;
}

function systemIntoUser(messages) {
  messages = greetingIntoSystem(messages);
  if (messages.length > 1 && messages[0].role === "system" && messages[1].role === "user") {
    return [{ role: "user", content: `${messages[0].content}\n\n${messages[1].content}` }, ...messages.slice(2)];
  }
  return messages;
}

export const FOLDS = [(m) => m, greetingIntoSystem, systemIntoUser];

export class ChatError extends Error {}

/**
 * Fit card + history + message into `budget` tokens: drop the oldest turns first, then the example dialogue,
 * then the scenario. `encode(messages)` renders with the model's template and returns token ids.
 */
export function fitPrompt(encode, card, history, message, budget) {
  message = message.trim();
  if (!message) throw new ChatError("Please type a message first.");
  if (message.length > MAX_MESSAGE_CHARS) {
    throw new ChatError(
      `Your message is too long (${message.length} characters; at most ${MAX_MESSAGE_CHARS}). Please shorten it.`,
    );
  }
  const cards = [card, { ...card, example_dialogue: "" }, { ...card, example_dialogue: "", scenario: "" }];
  for (const trimmed of cards) {
    for (let dropped = 0; dropped <= history.length; dropped += 2) {
      const ids = encode(buildMessages(trimmed, history.slice(dropped), message));
      if (ids.length <= budget) return { ids, dropped };
    }
  }
  const bare = { name: card.name, persona: "", greeting: "", scenario: "", example_dialogue: "", user_name: "" };
  const ids = encode(buildMessages(bare, [], message));
  if (ids.length <= budget) return { ids, dropped: history.length };
  throw new ChatError("Your message is too long for this model's context window. Please shorten it.");
}

/** How many leading tokens two id sequences share: the part of a KV cache that is still valid. */
export function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The text up to the first stop string, and whether one was found. */
export function cutAtStop(text, stops) {
  let end = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (end < 0 || at < end)) end = at;
  }
  return end < 0 ? { text, stopped: false } : { text: text.slice(0, end), stopped: true };
}

/**
 * The plain-text next-turn marker of a template (`\nUser:`), read off two rendered probe conversations:
 * what the template writes between an assistant reply and the next user turn. Becomes a stop string, so the
 * model does not speak for the user.
 */
export function stopStrings(render, specials) {
  const a = "\u00a7A\u00a7", b = "\u00a7B\u00a7", c = "\u00a7C\u00a7";
  let three;
  try {
    three = render([
      { role: "user", content: a },
      { role: "assistant", content: b },
      { role: "user", content: c },
    ]);
  } catch {
    return [];
  }
  const start = three.indexOf(b) + b.length;
  let between = three.slice(start, three.indexOf(c, start)).trimEnd();
  for (const token of specials) if (token) between = between.split(token).join("");
  return between.trim() ? [between] : [];
}

/** Release tags (v1.2.3) newest first. */
export function sortReleases(tags) {
  const key = (t) => t.slice(1).split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  return tags
    .filter((t) => /^v\d+(\.\d+)*$/.test(t))
    .sort((x, y) => {
      const a = key(x), b = key(y);
      for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] || 0) !== (b[i] || 0)) return (b[i] || 0) - (a[i] || 0);
      return 0;
    });
}

/** A plain sentence for each way loading or generating can fail. */
export function explainError(error, where) {
  const text = String(error?.message || error);
  if (/out of memory|Out of memory|memory access out of bounds|Array buffer allocation failed|RangeError/i.test(text)) {
    return "Your browser ran out of memory for this model. Close other tabs, or pick a smaller precision (q8) in the settings.";
  }
  if (/404|not found|Could not locate file|EntryNotFound/i.test(text)) {
    return `The model files are missing from ${where}: this release has no in-browser copy (onnx/). Pick another release.`;
  }
  if (/Failed to fetch|NetworkError|Load failed|fetch/i.test(text)) {
    return `Cannot reach the Hub at ${where}. Check your connection and try again.`;
  }
  return `Something went wrong: ${text}`;
}
