// Decoding on WebAssembly without reading the whole KV cache back out of onnxruntime-web at every token.
//
// onnxruntime-web returns each output in a freshly allocated JavaScript array. With the cache as outputs
// (`present.*`, 24 arrays for GPT-2), that is the whole cache allocated and copied at every token: at a
// 200-token context, ~15 ms of a ~60 ms token on one thread (measured in headless Chromium). The web
// export also returns `new_key_values.*`, only the positions a call added; this wrapper fetches those
// instead and appends them to two reused buffers per cache tensor (one holds the past being read, the other
// receives past + added), so transformers.js's generate(), streaming, stopping and the cache kept across
// turns run unchanged on `present.*` tensors that are views into those buffers.
//
// Only the cache of the latest run stays valid (older views get overwritten): the worker keeps just that one.

const PRESENT = "present.";
const ADDED = "new_key_values.";
// Positions of room a buffer gets when it grows, so a reply does not reallocate at every token.
const HEADROOM = 256;

/** Wrap `session.run` when the export has the added-positions outputs; false (untouched) when it has not. */
export function keepCacheInPlace(session) {
  const presents = session.outputNames.filter((name) => name.startsWith(PRESENT));
  const added = presents.map((name) => ADDED + name.slice(PRESENT.length));
  if (!presents.length || !added.every((name) => session.outputNames.includes(name))) return false;
  const fetches = ["logits", ...added];
  const pools = new Map(presents.map((name) => [name, [new Float32Array(0), new Float32Array(0)]]));
  const run = session.run.bind(session);
  session.run = async (feeds) => {
    const out = await run(feeds, fetches);
    const result = { logits: out.logits };
    // onnxruntime's own Tensor class (transformers.js recognises outputs by it), taken from an output.
    const OrtTensor = out.logits.constructor;
    presents.forEach((name, i) => {
      const past = feeds[`past_key_values.${name.slice(PRESENT.length)}`];
      result[name] = new OrtTensor(...append(pools.get(name), past, out[added[i]]));
    });
    return result;
  };
  return true;
}

// [batch, heads, T, size] + [batch, heads, S, size] → [batch, heads, T + S, size], written into whichever of
// the two buffers does not hold `past` (grown when too small).
function append(pool, past, add) {
  const [batch, heads, T, size] = past.dims;
  const S = add.dims[2];
  const N = T + S;
  const from = past.data;
  const step = add.data;
  const which = pool[0].buffer === from.buffer ? 1 : 0;
  const length = batch * heads * N * size;
  if (pool[which].length < length) pool[which] = new Float32Array(batch * heads * (N + HEADROOM) * size);
  const to = pool[which];
  for (let row = 0; row < batch * heads; row++) {
    to.set(from.subarray(row * T * size, (row + 1) * T * size), row * N * size);
    to.set(step.subarray(row * S * size, (row + 1) * S * size), row * N * size + T * size);
  }
  return ["float32", to.subarray(0, length), [batch, heads, N, size]];
}
