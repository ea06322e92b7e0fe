// Client-side search in the browser (issue 5): queries in each language find the expected
// practices first, filters and counts agree, the URL restores a search, nothing leaves 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "./chromium.mjs";

const BASE = process.env.BASE_URL;
assert.ok(BASE, "BASE_URL is not set: run tests/browser/run.sh");
let browser;
const offsite = [];

before(async () => {
  browser = await launchChromium();
});
after(async () => { await browser?.close(); });

async function open(path) {
  const page = await browser.newPage();
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === "127.0.0.1") return route.continue();
    offsite.push(u.href);
    return route.abort();
  });
  await page.goto(BASE + path);
  return page;
}

async function results(page) {
  await page.waitForFunction(() => document.getElementById("search-status").textContent.trim() !== "");
  return page.locator("#search-results li h2 a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
}

for (const [lang, prefix, query, expected] of [
  ["fr", "", "transferts de fonds", "/practices/world-bank-remittance-prices-worldwide/"],
  ["en", "/en", "recruitment fees", "/en/practices/korea-employment-permit-system/"],
  ["es", "/es", "remesas", "/es/practices/moldova-pare-one-plus-one/"],
]) {
  test(`a query in ${lang} finds the expected practice among the first results`, async () => {
    const page = await open(`${prefix}/search/?q=${encodeURIComponent(query)}`);
    const hrefs = await results(page);
    assert.ok(hrefs.length > 0, "no result");
    assert.ok(hrefs.slice(0, 3).some((h) => h.endsWith(expected)), `${expected} not in the first three: ${hrefs.slice(0, 5)}`);
    await page.close();
  });
}

test("the JS API returns the documented shape, and accents and plurals do not matter", async () => {
  const page = await open("/search/");
  const out = await page.evaluate(async (base) => {
    const { search } = await import(base + "/search/search.js");
    const a = await search("reintegration", { lang: "fr", limit: 5 });
    const b = await search("réintégrations", { lang: "fr", limit: 5 });
    return { a, b };
  }, BASE);
  assert.ok(out.a.total > 0);
  assert.equal(out.a.total, out.b.total);
  const hit = out.a.hits[0];
  for (const key of ["url", "title", "description", "snippet"]) assert.ok(key in hit, key);
  assert.ok(out.a.facets.theme && typeof out.a.facets.theme === "object");
  await page.close();
});

test("a facet filter narrows the results to its count, and the URL restores the search", async () => {
  const page = await open("/en/search/?q=migration");
  await results(page);
  const box = page.locator('#search-facets input[name="theme"][value="remittances"]');
  const text = await box.locator("xpath=..").textContent();
  const count = Number(/\((\d+)\)/.exec(text)[1]);
  await box.check();
  await page.waitForFunction((n) => document.querySelectorAll("#search-results li").length === n, count);
  assert.match(page.url(), /theme=remittances/);
  // The shared address gives the same search.
  const again = await open(new URL(page.url()).pathname + new URL(page.url()).search);
  const hrefs = await results(again);
  assert.equal(hrefs.length, count);
  assert.ok(await again.locator('#search-facets input[value="remittances"]').isChecked());
  await page.close();
  await again.close();
});

test("a search fetches the index head once, then only the chunks it reads, each once", async () => {
  const page = await open("/search/");
  const fetched = [];
  page.on("request", (request) => fetched.push(new URL(request.url()).pathname));
  const totals = await page.evaluate(async (base) => {
    const { search } = await import(base + "/search/search.js");
    const first = await search("migration", { lang: "fr", limit: 10 });
    const again = await search("migration", { lang: "fr", limit: 10 });
    return [first.total, again.total, first.hits.length];
  }, BASE);
  assert.ok(totals[0] > 0 && totals[0] === totals[1] && totals[2] > 0, String(totals));
  const heads = fetched.filter((p) => /\/search\/fr\.[0-9a-f]+\.idx$/.test(p));
  const chunks = fetched.filter((p) => /\/search\/fr\.[0-9a-f]+\/\d+\.bin$/.test(p));
  assert.ok(heads.length <= 1, `head fetched ${heads.length} times`);
  assert.ok(chunks.length > 0, "no chunk fetched");
  assert.ok(chunks.length <= 24, `${chunks.length} chunks for one word`);
  assert.equal(new Set(chunks).size, chunks.length, "a chunk was fetched twice");
  await page.close();
});

test("the page explains itself without JavaScript", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${BASE}/es/search/`);
  assert.match(await page.locator("main").textContent(), /JavaScript/);
  await context.close();
});

test("no search request left 127.0.0.1", () => {
  assert.deepEqual(offsite, []);
});
