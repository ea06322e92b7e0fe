// Compendium search: the browser (and Node) API over the WebAssembly search module.
//
//   import { search, prefetch } from "<base_url>/search/search.js";
//   const { total, hits, facets } = await search("remesas", {
//     lang: "es", filters: { theme: ["remittances"] }, limit: 20 });
//
// On first use it loads `manifest.json` next to this file:
//   { "module": "search.<hash>.wasm", "indexes": { "fr": "fr.<hash>.idx", … } }
// then the module and the head of the language's index (`fr.<hash>.idx`, a few tens of KB).
// A search that reads parts of the index not loaded yet gets their chunk numbers from the
// module; they are fetched (`fr.<hash>/<n>.bin`, all at once) and the search runs again.
// Names are content-hashed, so the browser may cache every file forever. `prefetch(lang)`
// loads the module and the head ahead of time.

const MAX_ROUNDS = 12;
const FACETS = ["round_table", "session", "theme", "country", "region", "actor_type"];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let manifestUrl = new URL("./manifest.json", import.meta.url);
let manifestPromise = null;
let modulePromise = null;
let indexPromises = new Map();

/** Overrides where the manifest is read from (default: next to this file). */
export function configure({ manifest } = {}) {
  if (manifest) manifestUrl = new URL(manifest, import.meta.url);
  reset();
}

/** The languages that have an index. */
export async function languages() {
  return Object.keys((await loadManifest()).indexes);
}

/** Loads the module and `lang`'s index if not done yet; never rejects. */
export function prefetch(lang) {
  return loadIndex(lang).then(() => true, () => false);
}

/**
 * Searches `lang`'s index.
 * @param {string} query words, "phrases", -excluded, OR; the last word is a prefix unless
 *   followed by a space
 * @param {{lang?: string, filters?: Object<string, string|string[]>, limit?: number}} options
 *   filters: facet → ids (OR within a facet, AND across facets)
 * @returns {Promise<{total: number, hits: {url, title, description, snippet, lang,
 *   start_year, end_year}[], facets: Object<string, Object<string, number>>}>}
 *   snippet is HTML (escaped text, matches in <mark>); a facet's counts apply the other
 *   facets' filters, not its own.
 */
export async function search(query, { lang, filters = {}, limit = 20 } = {}) {
  lang ??= await defaultLang();
  const index = await loadIndex(lang);
  const request = encodeRequest(String(query ?? ""), filters);
  const bytes = encoder.encode(request);
  // Each round fetches the chunks the previous one found missing (three at most for a
  // plain search: dictionary blocks, postings, stored documents).
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { exports, handle } = index;
    const status = guard(() => {
      const ptr = copyIn(exports, bytes);
      try {
        return exports.search(handle, ptr, bytes.length, Math.max(0, limit | 0));
      } finally {
        exports.free(ptr, bytes.length);
      }
    });
    if (status === 2) {
      await loadChunks(index, readOut(exports, 0).need);
      continue;
    }
    const json = readOut(exports, status);
    return {
      total: json.total,
      hits: json.hits.map((hit) => ({ ...hit, lang })),
      facets: json.facets,
    };
  }
  throw new Error(`search: index chunks still missing after ${MAX_ROUNDS} rounds`);
}

function encodeRequest(query, filters) {
  const lines = [query.replace(/[\r\n]+/g, " ")];
  for (const [facet, value] of Object.entries(filters ?? {})) {
    if (!FACETS.includes(facet)) throw new Error(`search: unknown facet ${facet}`);
    for (const id of [].concat(value ?? [])) {
      lines.push(`${facet}=${String(id).replace(/[\r\n]+/g, " ")}`);
    }
  }
  return lines.join("\n");
}

async function defaultLang() {
  const manifest = await loadManifest();
  const page = globalThis.document?.documentElement?.lang?.slice(0, 2);
  if (page && manifest.indexes[page]) return page;
  return manifest.default_lang ?? Object.keys(manifest.indexes)[0];
}

function loadManifest() {
  manifestPromise ??= fetchBytes(manifestUrl)
    .then((bytes) => JSON.parse(decoder.decode(bytes)))
    .catch((error) => {
      manifestPromise = null;
      throw error;
    });
  return manifestPromise;
}

function loadModule() {
  modulePromise ??= loadManifest()
    .then((manifest) => fetchBytes(new URL(manifest.module, manifestUrl)))
    .then((bytes) => WebAssembly.instantiate(bytes, {}))
    .then(({ instance }) => instance.exports)
    .catch((error) => {
      modulePromise = null;
      throw error;
    });
  return modulePromise;
}

function loadIndex(lang) {
  let promise = indexPromises.get(lang);
  if (!promise) {
    promise = (async () => {
      const manifest = await loadManifest();
      const file = manifest.indexes[lang];
      if (!file) throw new Error(`search: no index for language ${lang}`);
      const headUrl = new URL(file, manifestUrl);
      const [exports, bytes] = await Promise.all([loadModule(), fetchBytes(headUrl)]);
      const handle = guard(() => exports.open(copyIn(exports, bytes), bytes.length));
      if (handle < 0) readOut(exports, 1);
      const chunkBase = new URL(file.replace(/\.idx$/, "/"), manifestUrl);
      return { exports, handle, chunkBase, chunks: new Map() };
    })();
    promise.catch(() => indexPromises.delete(lang));
    indexPromises.set(lang, promise);
  }
  return promise;
}

// Fetches chunks `ids` of an index (each once, in parallel) and hands them to the module.
// Settles only when every fetch has: a failed chunk is forgotten before the next search.
async function loadChunks(index, ids) {
  const settled = await Promise.allSettled(
    ids.map((id) => {
      let promise = index.chunks.get(id);
      if (!promise) {
        promise = fetchBytes(new URL(`${id}.bin`, index.chunkBase)).then((bytes) => {
          const { exports, handle } = index;
          const status = guard(() =>
            exports.add_chunk(handle, id, copyIn(exports, bytes), bytes.length),
          );
          if (status !== 0) readOut(exports, 1);
        });
        promise.catch(() => index.chunks.delete(id));
        index.chunks.set(id, promise);
      }
      return promise;
    }),
  );
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

async function fetchBytes(url) {
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`search: ${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Copies bytes into a fresh buffer of the module's memory (read memory.buffer after
// alloc: the memory may have grown).
function copyIn(exports, bytes) {
  const ptr = exports.alloc(bytes.length) >>> 0;
  new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

function readOut(exports, status) {
  const ptr = exports.out_ptr() >>> 0;
  const len = exports.out_len() >>> 0;
  const json = JSON.parse(decoder.decode(new Uint8Array(exports.memory.buffer, ptr, len)));
  if (status !== 0) throw new Error(`search: ${json.error}`);
  return json;
}

// A trap (a bug, or memory exhausted) leaves the instance unusable: start afresh next time.
function guard(call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      reset();
      throw new Error(`search: the search module failed (${error.message})`);
    }
    throw error;
  }
}

function reset() {
  manifestPromise = null;
  modulePromise = null;
  indexPromises = new Map();
}
