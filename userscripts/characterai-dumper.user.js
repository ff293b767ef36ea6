// ==UserScript==
// @name         CharacterAI Dumper (anonymized)
// @namespace    hubtools
// @version      2.0.0
// @description  Download your chats with a CharacterAI character as a .json dump, anonymized in your browser before it is saved.
// @match        https://beta.character.ai/*
// @match        https://plus.character.ai/*
// @grant        GM_registerMenuCommand
// @grant        GM_info
// @run-at       document-idle
// @noframes
// @license      Apache-2.0
// ==/UserScript==

/*
 * What it does: on a chat or histories page (`?char=<id>` in the address), the "Download anonymized chats"
 * button (or the userscript menu entry) fetches, from the site itself and nowhere else:
 *   - your profile (only to learn which names and handles are yours, so they can be removed),
 *   - the character's public info, and
 *   - your chat histories with that character,
 * then replaces your names, handles and e-mail everywhere (the name fields and inside every text, including
 * lower-case and handle forms like @name or name_99), keeps only the fields of the dump format, and offers the
 * result as a .json download. Nothing is sent anywhere: no third-party script, no upload.
 *
 * Dump format (what `hubtools data convert --from cai-dump` and the chat Space's Contribute tab read):
 *   {"info": {"character": C}, "histories": {"histories": [{"msgs": [M, ...]}, ...]}, "dumper": {...}}
 * with C = {name, title, description, greeting, definition, external_id} and
 * M = {text, src: {is_human, name, user: {username, first_name, account: {name}, name}}, tgt: (same), display_name}.
 */
(function () {
  "use strict";

  const VERSION = typeof GM_info !== "undefined" && GM_info.script ? GM_info.script.version : "2.0.0";
  const page = typeof unsafeWindow !== "undefined" ? unsafeWindow : window;
  // The site's origin; tests (and a moved site) set `CAI_DUMPER_BASE_URL` before the script runs.
  const SITE = String(
    page.CAI_DUMPER_BASE_URL ||
      (/(^|\.)character\.ai$/.test(location.hostname) ? location.origin : "https://beta.character.ai")
  ).replace(/\/+$/, "");
  // The site's JSON endpoints (the 2022-2023 "beta" API). If the site changes, these are what to update.
  const PATHS = {
    user: "/chat/user/",
    info: "/chat/character/info/",
    histories: "/chat/character/histories_v2/",
    messages: "/chat/history/msgs/user/",
  };
  const MAX_PAGES = 500; // per history: a guard against a server that never says "no more"
  const NAME_KEYS = new Set(["username", "first_name", "last_name", "name", "display_name", "handle", "email"]);
  const REDACTED = {
    name: "[NAME_REDACTED]",
    username: "[USERNAME_REDACTED]",
    first_name: "[FIRST_NAME_REDACTED]",
    account: "[ACCOUNT_NAME_REDACTED]",
    display_name: "[DISPLAY_NAME_REDACTED]",
    email: "[EMAIL]",
  };
  // Names that are also everyday words: replaced only where they read as a name (capitalised mid-sentence) or
  // as a handle (@will, will_7), so "I will" survives. The Space's scrubber follows the same rule.
  const COMMON_WORDS = new Set(
    (
      "will may june april august summer autumn winter spring rose lily daisy iris ivy violet holly hazel olive " +
      "ruby pearl amber jade crystal grace hope faith joy charity patience honor honey sunny sky rain storm river " +
      "brook dawn eve star angel bill mark frank jack pat sue art rich ray rod bob nick drew dean chase hunter " +
      "sandy rusty miles guy gene glen grant wade warren chance cliff forest heath clay king prince duke earl " +
      "major page reed rock stone wood ford lane dale hall park penny victor carol don jean max sam tom tim ben " +
      "dan ken jay lee van bell ash cook baker miller smith taylor young white black brown green gray grey " +
      "long short little price robin poppy sage basil christian melody harmony destiny justice liberty ginger " +
      "candy buddy love dear darling user guest admin anonymous human assistant bot character"
    ).split(" ")
  );

  const log = (...args) => console.log(`[CharacterAI Dumper ${VERSION}]`, ...args);

  // ---------------------------------------------------------------------------------------------------------
  // Fetching (same origin only)
  // ---------------------------------------------------------------------------------------------------------

  function authToken() {
    try {
      const raw = page.localStorage.getItem("char_token");
      if (!raw) return null;
      const parsed = JSON.parse(raw);
      return typeof parsed === "string" ? parsed : parsed && parsed.value ? String(parsed.value) : null;
    } catch (error) {
      return null;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    const token = authToken();
    if (token) headers.Authorization = `Token ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(SITE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "include",
    });
    if (!response.ok) throw new Error(`${method} ${path} failed: HTTP ${response.status}`);
    return response.json();
  }

  async function historyMessages(historyId) {
    const messages = [];
    let pageNum = 1;
    for (let count = 0; count < MAX_PAGES && pageNum; count += 1) {
      const query = `?history_external_id=${encodeURIComponent(historyId)}&page_num=${pageNum}`;
      const data = await api(PATHS.messages + query);
      messages.push(...(Array.isArray(data.messages) ? data.messages : []));
      pageNum = data.has_more && data.next_page ? data.next_page : null;
    }
    // Pages may come newest first: numeric ids (increasing on the site) put them back in order.
    if (messages.every((m) => typeof m.id === "number")) messages.sort((a, b) => a.id - b.id);
    return messages;
  }

  async function fetchDump(characterId) {
    let profile = null;
    try {
      profile = await api(PATHS.user);
    } catch (error) {
      log("could not read your profile (names from the chats are still removed):", error.message);
    }
    const info = await api(PATHS.info, { method: "POST", body: { external_id: characterId } });
    const listing = await api(PATHS.histories, { method: "POST", body: { external_id: characterId, number: 999 } });
    const histories = [];
    for (const history of Array.isArray(listing.histories) ? listing.histories : []) {
      const msgs = Array.isArray(history.msgs) ? history.msgs : await historyMessages(history.external_id);
      if (msgs.length) histories.push({ msgs });
    }
    return { profile, character: info.character || {}, histories };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Anonymization
  // ---------------------------------------------------------------------------------------------------------

  const str = (value) => (typeof value === "string" ? value.trim() : "");

  function collectStrings(value, found, depth = 0) {
    if (!value || typeof value !== "object" || depth > 6) return;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string" && NAME_KEYS.has(key) && str(item)) found.add(str(item));
      else if (item && typeof item === "object") collectStrings(item, found, depth + 1);
    }
  }

  function partyNames(party, found) {
    if (!party || !party.is_human) return;
    const user = party.user || {};
    for (const value of [user.username, user.first_name, user.name, (user.account || {}).name, party.name]) {
      if (str(value)) found.add(str(value));
    }
  }

  /** Every name, handle and e-mail of the user: from the profile and from each human side of each message. */
  function userNames(dump) {
    const found = new Set();
    collectStrings(dump.profile, found);
    if (str(dump.character.user__username)) found.add(str(dump.character.user__username)); // the creator's handle
    for (const history of dump.histories) {
      for (const msg of history.msgs) {
        partyNames(msg.src, found);
        partyNames(msg.tgt, found);
        if (msg.src && msg.src.is_human && str(msg.display_name)) found.add(str(msg.display_name));
      }
    }
    return found;
  }

  /** Whole names, their words, and handles without trailing digits ("nadia_99" → "nadia"), longest first. */
  function nameTerms(names) {
    const terms = new Map();
    for (const name of names) {
      if (/REDACTED/.test(name)) continue;
      const candidates = [name, ...name.split(/\s+/), name.replace(/[\d_.-]+$/, "")];
      if (name.includes("@")) candidates.push(name.split("@")[0]);
      for (const raw of candidates) {
        const term = raw.replace(/^[\s.,'"@]+|[\s.,'"]+$/g, "");
        if (term.length >= 2 && !/^\d+$/.test(term)) terms.set(term.toLowerCase(), term);
      }
    }
    return [...terms.values()].sort((a, b) => b.length - a.length);
  }

  // Only syntax characters may be escaped in a /u pattern ("\-" is an error there).
  const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const EMAIL = /[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,24}/gu;
  const SENTENCE_END = /[.!?\n"'“(:]$/;

  function makeScrubber(names) {
    const terms = nameTerms(names);
    if (!terms.length) return (text) => (typeof text === "string" ? text.replace(EMAIL, REDACTED.email) : text);
    const alternation = terms.map(escapeRegExp).join("|");
    // A name not glued to other letters: "Nadia", "nadia_b", "@nadia", "nadia2000" — but not "Nadiaxyz".
    const pattern = new RegExp(`(@?)(?<![\\p{L}])(${alternation})(?![\\p{L}])`, "giu");
    // After replacement, the rest of a handle goes too: "xx_[NAME_REDACTED]_99" → "[NAME_REDACTED]".
    const handle = /@?[\p{L}\p{N}_]*\[NAME_REDACTED\][\p{L}\p{N}_]*/gu;
    return (text) => {
      if (typeof text !== "string" || !text) return text;
      let out = text.replace(EMAIL, REDACTED.email);
      out = out.replace(pattern, (whole, at, name, offset, full) => {
        if (COMMON_WORDS.has(name.toLowerCase())) {
          const before = full.slice(0, offset).replace(/[ \t]+$/, "");
          const glued = full.charAt(offset - 1) + full.charAt(offset + whole.length);
          const handleLike = Boolean(at) || /[_\d]/.test(glued);
          const capitalisedMidSentence = /^\p{Lu}/u.test(name) && before !== "" && !SENTENCE_END.test(before);
          if (!handleLike && !capitalisedMidSentence) return whole;
        }
        return REDACTED.name;
      });
      return out.replace(handle, REDACTED.name);
    };
  }

  function anonymousParty(party, scrub) {
    if (!party || typeof party !== "object") return undefined;
    if (party.is_human) {
      return {
        is_human: true,
        name: REDACTED.name,
        user: {
          username: REDACTED.username,
          first_name: REDACTED.first_name,
          account: { name: REDACTED.account },
          name: REDACTED.name,
        },
      };
    }
    const name = scrub(str(party.name) || str((party.user || {}).name));
    return { is_human: false, name, user: { username: name, first_name: name, account: { name }, name } };
  }

  /** The dump with only the format's fields, the user's names replaced everywhere. */
  function anonymize(dump) {
    const scrub = makeScrubber(userNames(dump));
    const c = dump.character;
    const character = { name: scrub(str(c.name)), external_id: str(c.external_id) };
    for (const key of ["title", "description", "greeting", "definition"]) {
      if (key in c) character[key] = typeof c[key] === "string" ? scrub(c[key]) : c[key] === null ? null : "";
    }
    const histories = dump.histories.map((history) => ({
      msgs: history.msgs.map((msg) => {
        const out = { text: scrub(typeof msg.text === "string" ? msg.text : "") };
        out.src = anonymousParty(msg.src, scrub) || { is_human: false, name: character.name };
        const tgt = anonymousParty(msg.tgt, scrub);
        if (tgt) out.tgt = tgt;
        out.display_name = out.src.is_human ? REDACTED.display_name : scrub(str(msg.display_name) || out.src.name);
        return out;
      }),
    }));
    return {
      info: { character },
      histories: { histories },
      dumper: { name: "hubtools characterai-dumper", version: VERSION, anonymized: true },
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Page integration
  // ---------------------------------------------------------------------------------------------------------

  function offerDownload(text, filename) {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function currentCharacterId() {
    return new URL(location.href).searchParams.get("char");
  }

  let busy = false;
  async function dumpCurrentCharacter() {
    const button = document.getElementById("cai-dumper-button");
    const say = (text) => {
      if (button) button.textContent = text;
      log(text);
    };
    const characterId = currentCharacterId();
    if (!characterId) return say("Open a chat with a character first");
    if (busy) return;
    busy = true;
    try {
      say("Fetching your chats…");
      const dump = await fetchDump(characterId);
      const anonymous = anonymize(dump);
      const slug = anonymous.info.character.name.replace(/[^\p{L}\p{N}_-]+/gu, "_").slice(0, 60) || "character";
      offerDownload(JSON.stringify(anonymous, null, 2), `${slug}.json`);
      say(`Downloaded ${anonymous.histories.histories.length} chat(s), anonymized`);
    } catch (error) {
      say(`Dump failed: ${error.message}`);
    } finally {
      busy = false;
    }
  }

  function addButton() {
    if (document.getElementById("cai-dumper-button")) return;
    const button = document.createElement("button");
    button.id = "cai-dumper-button";
    button.type = "button";
    button.textContent = "Download anonymized chats";
    button.title = "CharacterAI Dumper: your chats with this character, your names removed, as a .json file";
    button.style.cssText =
      "position:fixed;right:16px;bottom:16px;z-index:99999;padding:8px 12px;border-radius:8px;" +
      "border:1px solid #888;background:#222;color:#fff;font:14px sans-serif;cursor:pointer";
    button.addEventListener("click", dumpCurrentCharacter);
    document.body.appendChild(button);
  }

  if (typeof GM_registerMenuCommand === "function") {
    GM_registerMenuCommand("Download anonymized chats", dumpCurrentCharacter);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addButton);
  else addButton();
})();
