// Node 20 test of js/search.js against the test corpus bundled by `examples/bundle.rs`
// and the committed dist/search.wasm:   node --test js/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const crateDir = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), "search-js-"));
const bundle = join(dir, "search");
// The same, with a French index of 800 generated documents: hundreds of chunks.
const large = join(dir, "large");
let api;

before(() => {
  const bundleTo = (out, ...options) =>
    execFileSync("cargo", ["run", "--quiet", "--example", "bundle", "--", out, ...options], {
      cwd: crateDir,
      stdio: ["ignore", "inherit", "inherit"],
      // The workspace's target folder: `cargo test` has built most of it already.
      env: { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(crateDir, "../target") },
    });
  bundleTo(bundle);
  bundleTo(large, "--synthetic", "800");
});

// Serves `root` on 127.0.0.1, recording request paths; `tamper(path, bytes)` may alter
// a response.
async function serve(root, tamper = (_path, bytes) => bytes) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    requests.push(path);
    try {
      res.end(tamper(path, readFileSync(join(root, path))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { requests, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

after(() => rmSync(dir, { recursive: true, force: true }));

const load = async (suffix = "") => import(pathToFileURL(join(bundle, "search.js")).href + suffix);

test("searches each language, best match first", async () => {
  api = await load();
  const fr = await api.search("réintégration", { lang: "fr" });
  assert.equal(fr.hits[0].url, "/fr/pratiques/reintegration/");
  assert.equal(fr.hits[0].lang, "fr");
  assert.match(fr.hits[0].snippet, /<mark>réintégration<\/mark>/);
  assert.equal(fr.hits[0].start_year, 2018);
  assert.equal(fr.hits[0].end_year, null);
  const en = await api.search("recruitment fees ", { lang: "en" });
  assert.equal(en.hits[0].url, "/en/practices/ethical-recruitment/");
  const es = await api.search("remesas", { lang: "es" });
  assert.equal(es.hits[0].url, "/es/practicas/remesas/");
  assert.deepEqual(await api.languages(), ["fr", "en", "es"]);
});

test("defaults to the manifest's language and honours limit", async () => {
  const all = await api.search("", { limit: 2 });
  assert.equal(all.total, 4);
  assert.equal(all.hits.length, 2);
  assert.ok(all.hits.every((hit) => hit.lang === "fr"));
});

test("filters and facet counts", async () => {
  const { total, hits, facets } = await api.search("", {
    lang: "fr",
    filters: { theme: ["labour", "return"], country: "sn" },
  });
  assert.equal(total, 1);
  assert.equal(hits[0].url, "/fr/pratiques/reintegration/");
  assert.deepEqual(facets.theme, { remittances: 1, return: 1 });
  assert.deepEqual(facets.country, { ma: 1, ph: 1, sn: 1 });
  assert.deepEqual(facets.region, { "africa-north": 1 });
  await assert.rejects(api.search("x", { lang: "fr", filters: { colour: ["red"] } }), /unknown facet/);
});

test("query syntax and escaping", async () => {
  const phrase = await api.search('"recruitment fee"', { lang: "en" });
  assert.deepEqual(phrase.hits.map((h) => h.url), ["/en/practices/ethical-recruitment/"]);
  const excluded = await api.search("migrants -retour ", { lang: "fr" });
  assert.ok(!excluded.hits.some((h) => h.url === "/fr/pratiques/reintegration/"));
  const typo = await api.search("remitances ", { lang: "en" });
  assert.equal(typo.hits[0].url, "/en/practices/remittances/");
  const guide = await api.search("guide", { lang: "fr" });
  assert.ok(!guide.hits[0].snippet.includes("<script>"));
  assert.ok(guide.hits[0].snippet.includes("&lt;script&gt;"));
});

test("unknown language rejects, prefetch does not", async () => {
  await assert.rejects(api.search("x", { lang: "de" }), /no index for language de/);
  assert.equal(await api.prefetch("de"), false);
  assert.equal(await api.prefetch("es"), true);
});

test("over HTTP, the module and each index head are fetched once", async () => {
  const server = await serve(bundle);
  try {
    const http = await load("?http");
    http.configure({ manifest: `${server.url}/manifest.json` });
    await http.prefetch("en");
    for (const q of ["remittances", "recruitment", "return"]) await http.search(q, { lang: "en" });
    await http.search("remesas", { lang: "es" });
    const { requests } = server;
    const wasm = requests.filter((r) => r.endsWith(".wasm"));
    const idx = requests.filter((r) => r.endsWith(".idx"));
    assert.equal(requests.filter((r) => r === "/manifest.json").length, 1);
    assert.equal(wasm.length, 1);
    assert.deepEqual(idx.map((r) => r.slice(1, 3)).sort(), ["en", "es"]);
  } finally {
    server.close();
  }
});

test("a large index: only the chunks a search reads, each fetched once", async () => {
  const server = await serve(large);
  try {
    const http = await load("?large");
    http.configure({ manifest: `${server.url}/manifest.json` });
    const head = JSON.parse(readFileSync(join(large, "manifest.json"), "utf8")).indexes.fr;
    const allChunks = readdirSync(join(large, head.replace(/\.idx$/, ""))).length;
    const first = await http.search("migrants", { lang: "fr", limit: 10 });
    assert.ok(first.total > 100, `${first.total} hits`);
    assert.equal(first.hits.length, 10);
    const chunks = () => server.requests.filter((r) => r.endsWith(".bin"));
    const afterFirst = chunks().length;
    assert.ok(afterFirst > 0, "no chunk fetched");
    assert.ok(afterFirst * 5 < allChunks, `${afterFirst} of ${allChunks} chunks for one word`);
    // The same search again needs nothing new; searches at once share their fetches.
    assert.deepEqual(await http.search("migrants", { lang: "fr", limit: 10 }), first);
    assert.equal(chunks().length, afterFirst);
    const together = await Promise.all(
      ["emploi", "emploi ", "\"transferts fonds\"", "developement "].map((q) => http.search(q, { lang: "fr" })),
    );
    assert.ok(together.every((r) => r.total > 0), JSON.stringify(together.map((r) => r.total)));
    assert.equal(new Set(chunks()).size, chunks().length, "a chunk was fetched twice");
    assert.equal(server.requests.filter((r) => r.endsWith(".idx")).length, 1);
  } finally {
    server.close();
  }
});

test("a damaged chunk fails the search, and the next search fetches it again", async () => {
  let damage = true;
  const server = await serve(large, (path, bytes) =>
    damage && path.endsWith(".bin") ? bytes.subarray(0, bytes.length - 1) : bytes,
  );
  try {
    const http = await load("?damaged");
    http.configure({ manifest: `${server.url}/manifest.json` });
    await assert.rejects(http.search("migrants", { lang: "fr" }), /chunk \d+ has \d+ bytes/);
    damage = false;
    const results = await http.search("migrants", { lang: "fr" });
    assert.ok(results.total > 100);
  } finally {
    server.close();
  }
});
