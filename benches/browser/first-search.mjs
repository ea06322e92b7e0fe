// Browser half of benches/compare.py: bytes fetched by a first search, and query latency, for
// Compendium's search (search/search.js) and Pagefind (pagefind/pagefind.js) on one built site.
//
//   node benches/browser/first-search.mjs CONFIG.json
//
// CONFIG: { "site": "/path/to/public", "word": "gestion", "lang": "fr", "shown": 10,
//           "queries": ["...", ...], "engines": ["compendium", "pagefind"] }
// Prints one JSON object on stdout: per engine, the files fetched by the first search (path and
// body bytes as served: this server never compresses), the result count, and latency figures.
//
// Bytes are counted by the server itself, so requests made by workers (Pagefind's) are counted
// too. Each engine gets a fresh browser context (empty cache), opened on a blank page of the
// same origin (`<html lang=…>`, not counted) before counting starts.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { join, normalize, extname } from "node:path";
import { chromium } from "playwright-core";

const config = JSON.parse(await readFile(process.argv[2], "utf8"));
const root = normalize(config.site);
const BLANK = "/__bench_blank__.html";
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
  ".wasm": "application/wasm", ".css": "text/css; charset=utf-8",
};

let counting = null; // Map path -> bytes while a measurement runs

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === BLANK) {
    res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-store" });
    res.end(`<!doctype html><html lang="${config.lang}"><title>blank</title><body></body></html>`);
    return;
  }
  let file = normalize(join(root, path));
  try {
    if (!file.startsWith(root)) throw new Error("outside");
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    if (counting) counting.set(path, (counting.get(path) ?? 0) + body.length);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

// In-page code of each engine: `first` is the first search (module, index and the data of the
// shown results), `query` one timed query. Both return the number of matching documents.
const ENGINES = {
  compendium: {
    first: async ({ word, lang, shown }) => {
      const m = await import("/search/search.js");
      const r = await m.search(word, { lang, limit: shown });
      if (r.hits.length && !r.hits[0].title) throw new Error("hit without title");
      return { total: r.total, shown: r.hits.length };
    },
    query: async (q, { lang, shown }) => {
      const m = await import("/search/search.js");
      return (await m.search(q, { lang, limit: shown })).hits.length;
    },
  },
  pagefind: {
    first: async ({ word, shown }) => {
      const pf = await import("/pagefind/pagefind.js");
      await pf.options({});
      const r = await pf.search(word);
      const data = await Promise.all(r.results.slice(0, shown).map((x) => x.data()));
      if (data.length && !data[0].meta?.title) throw new Error("result without title");
      return { total: r.results.length, shown: data.length };
    },
    query: async (q, { shown }) => {
      const pf = await import("/pagefind/pagefind.js");
      const r = await pf.search(q);
      return (await Promise.all(r.results.slice(0, shown).map((x) => x.data()))).length;
    },
  },
};

async function measure(name) {
  const engine = ENGINES[name];
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(origin + BLANK);
  const args = { word: config.word, lang: config.lang, shown: config.shown };

  counting = new Map();
  const first = await page.evaluate(`(${engine.first})(${JSON.stringify(args)})`);
  const fetched = [...counting].map(([path, bytes]) => ({ path, bytes }));
  counting = null;

  // Latency: every query once as warm-up (loads whatever index parts it needs), then timed.
  const latency = await page.evaluate(`(async () => {
    const query = ${engine.query};
    const queries = ${JSON.stringify(config.queries)};
    const args = ${JSON.stringify(args)};
    for (const q of queries) await query(q, args);
    const ms = [];
    for (const q of queries) {
      const t0 = performance.now();
      await query(q, args);
      ms.push(performance.now() - t0);
    }
    return ms;
  })()`);
  await context.close();
  if (errors.length) throw new Error(`${name}: page errors: ${errors.join("; ")}`);
  return { first, fetched, latency_ms: latency };
}

try {
  const out = {};
  for (const name of config.engines) out[name] = await measure(name);
  process.stdout.write(JSON.stringify(out));
} finally {
  await browser.close();
  server.close();
}
