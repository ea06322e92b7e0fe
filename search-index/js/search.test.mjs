// Node 20 test of js/search.js against the test corpus bundled by `examples/bundle.rs`
// and the committed dist/search.wasm:   node --test js/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const crateDir = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), "search-js-"));
const bundle = join(dir, "search");
let api;

before(() => {
  execFileSync("cargo", ["run", "--quiet", "--example", "bundle", "--", bundle], {
    cwd: crateDir,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(crateDir, "../target/search-index"),
    },
  });
});

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

test("over HTTP, the module and each index are fetched once", async () => {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    try {
      res.end(readFileSync(join(bundle, decodeURIComponent(new URL(req.url, "http://x").pathname))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const http = await load("?http");
    http.configure({ manifest: `http://127.0.0.1:${server.address().port}/manifest.json` });
    await http.prefetch("en");
    for (const q of ["remittances", "recruitment", "return"]) await http.search(q, { lang: "en" });
    await http.search("remesas", { lang: "es" });
    const wasm = requests.filter((r) => r.endsWith(".wasm"));
    const idx = requests.filter((r) => r.endsWith(".idx"));
    assert.equal(requests.filter((r) => r === "/manifest.json").length, 1);
    assert.equal(wasm.length, 1);
    assert.deepEqual(idx.map((r) => r.slice(1, 3)).sort(), ["en", "es"]);
  } finally {
    server.close();
  }
});
