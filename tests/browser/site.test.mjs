// Browser tests of the reader's site (issue 7). Run through ./run.sh, which builds and serves the site.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { launchChromium } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.BASE_URL;
const REPO = process.env.REPO ?? join(here, "..", "..");
assert.ok(BASE, "BASE_URL is not set: run tests/browser/run.sh");
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

const LANGS = { fr: "", en: "/en", es: "/es" };
const PAGES = {
  home: "/",
  session: "/round-tables/rt1/session-1-1/",
  practice: "/practices/abu-dhabi-dialogue/",
  theme: "/theme/integration/",
  matrix: "/matrix/",
  print: "/print/",
};
const url = (lang, kind) => BASE + LANGS[lang] + PAGES[kind];
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const BUDGET = 50 * 1024;
// The print edition holds the whole compendium (37 practices of 300-700 words each): its text alone
// is over 50 KB gzipped, so it gets its own budget; every other page must stay under 50 KB.
const PRINT_BUDGET = 120 * 1024;

let browser;
const offsite = []; // requests that tried to leave 127.0.0.1

before(async () => {
  // launch() runs Chromium with a fresh temporary user-data-dir that Playwright deletes on close.
  browser = await launchChromium();
});
after(async () => { await browser?.close(); });

async function context(options = {}) {
  const ctx = await browser.newContext(options);
  await ctx.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === "127.0.0.1") return route.continue();
    offsite.push(u.href);
    return route.abort();
  });
  return ctx;
}

async function open(target, options = {}) {
  const ctx = await context(options);
  const page = await ctx.newPage();
  const res = await page.goto(target, { waitUntil: "load" });
  assert.equal(res.status(), 200, `${target} answered ${res.status()}`);
  return { ctx, page };
}

for (const lang of Object.keys(LANGS)) {
  for (const kind of Object.keys(PAGES)) {
    for (const scheme of ["light", "dark"]) {
      test(`axe WCAG 2.1 A/AA: ${kind} (${lang}, ${scheme})`, async () => {
        const { ctx, page } = await open(url(lang, kind), { colorScheme: scheme });
        try {
          await page.addScriptTag({ content: axeSource });
          const result = await page.evaluate((tags) =>
            window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }), WCAG);
          const report = result.violations.map((v) =>
            `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("\n  ")}`);
          assert.deepEqual(report, [], report.join("\n"));
        } finally { await ctx.close(); }
      });
    }

    test(`renders without JavaScript: ${kind} (${lang})`, async () => {
      const { ctx, page } = await open(url(lang, kind), { javaScriptEnabled: false });
      try {
        // (page.evaluate still works in Playwright with javaScriptEnabled:false; page scripts do not run.)
        if (kind === "session") assert.equal(await page.locator(".sorter").isVisible(), false, "page scripts did not run");
        const h1 = page.locator("main h1");
        assert.equal(await h1.count(), 1);
        assert.ok(await h1.isVisible(), "the <h1> is visible");
        assert.ok((await h1.innerText()).trim().length > 3, "the <h1> has text");
        const text = await page.locator("main").innerText();
        assert.ok(text.length > 300, `main text is only ${text.length} characters`);
        assert.equal(await page.getAttribute("html", "lang"), lang);
      } finally { await ctx.close(); }
    });

    test(`weight under budget (HTML + CSS + JS, gzip): ${kind} (${lang})`, async () => {
      const ctx = await context();
      const page = await ctx.newPage();
      const bodies = [];
      page.on("response", (r) => {
        if (["document", "stylesheet", "script"].includes(r.request().resourceType())) bodies.push(r.body().then((b) => [r.url(), b]));
      });
      try {
        await page.goto(url(lang, kind), { waitUntil: "load" });
        const files = await Promise.all(bodies);
        assert.ok(files.some(([u]) => u.endsWith(".css")), "the stylesheet was loaded");
        const total = files.reduce((n, [, b]) => n + gzipSync(b).length, 0);
        const budget = kind === "print" ? PRINT_BUDGET : BUDGET;
        assert.ok(total < budget, `${kind} (${lang}) weighs ${total} bytes gzipped, over ${budget}`);
      } finally { await ctx.close(); }
    });

    test(`screenshots 375 px and 1280 px: ${kind} (${lang})`, async () => {
      for (const width of [375, 1280]) {
        const { ctx, page } = await open(url(lang, kind), { viewport: { width, height: 900 } });
        try {
          const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
          if (kind !== "matrix") assert.ok(scroll <= width, `${kind} (${lang}) scrolls sideways at ${width} px (${scroll})`);
          await page.screenshot({ path: join(shots, `${kind}-${lang}-${width}.png`), fullPage: kind !== "print" });
        } finally { await ctx.close(); }
      }
    });
  }

  if (lang !== "en") {
    for (const kind of Object.keys(PAGES)) {
      test(`keyboard: skip link, navigation, language switcher, Enter on English: ${kind} (${lang})`, async () => {
        const { ctx, page } = await open(url(lang, kind));
        try {
          const expected = await page.evaluate(() => [
            ...document.querySelectorAll(".skip, .site-name a, .main-nav a, .langs a"),
          ].map((a) => a.href));
          const seen = [];
          for (let i = 0; i < expected.length; i++) {
            await page.keyboard.press("Tab");
            seen.push(await page.evaluate(() => document.activeElement.href ?? document.activeElement.tagName));
          }
          assert.deepEqual(seen, expected, "Tab order: skip link, site name, main navigation, language switcher");
          assert.ok(seen[0].endsWith("#main"), "first Tab reaches the skip link");
          // Continue to the English link and follow it with Enter.
          await page.keyboard.press("Shift+Tab");
          let guard = 0;
          while (!(await page.evaluate(() => document.activeElement.getAttribute("hreflang") === "en")) && guard++ < 5) {
            await page.keyboard.press(guard === 1 ? "Shift+Tab" : "Tab");
          }
          await page.focus('.langs a[hreflang="en"]'); // no-op when already focused
          await Promise.all([page.waitForURL(url("en", kind)), page.keyboard.press("Enter")]);
          assert.equal(page.url(), url("en", kind));
          assert.equal(await page.getAttribute("html", "lang"), "en");
        } finally { await ctx.close(); }
      });
    }
  }

  test(`matrix counts equal the practices per session and theme (${lang})`, async () => {
    const expected = expectedMatrix();
    const { ctx, page } = await open(url(lang, "matrix"));
    try {
      const cells = await page.$$eval("table.matrix tbody tr", (rows) => rows.flatMap((tr) =>
        [...tr.querySelectorAll("td[data-theme]")].map((td) => ({
          session: tr.dataset.session, theme: td.dataset.theme, n: Number(td.innerText.trim()),
          href: td.querySelector("a")?.getAttribute("href") ?? null,
        }))));
      assert.ok(cells.length >= 8 * 30, `only ${cells.length} cells`);
      const sessions = new Set(cells.map((c) => c.session));
      assert.deepEqual([...sessions], ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4"]);
      for (const c of cells) {
        assert.equal(c.n, expected.get(`${c.session}|${c.theme}`) ?? 0, `cell ${c.session} × ${c.theme}`);
        if (c.n > 0) assert.ok(c.href.endsWith(`/theme/${c.theme}/`), `cell ${c.session} × ${c.theme} links to ${c.href}`);
        else assert.equal(c.href, null, `empty cell ${c.session} × ${c.theme} is plain text`);
      }
      const total = [...expected.values()].reduce((a, b) => a + b, 0);
      assert.equal(cells.reduce((a, c) => a + c.n, 0), total);
      assert.ok(await page.locator("table.matrix caption").count() === 1, "the table has a caption");
      assert.ok(await page.locator("table.matrix th[scope=col]").count() > 30, "column headers have scope");
    } finally { await ctx.close(); }
  });

  test(`practice metadata: JSON-LD, canonical, hreflang, Open Graph (${lang})`, async () => {
    const { ctx, page } = await open(url(lang, "practice"));
    try {
      const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
      assert.equal(ld["@context"], "https://schema.org");
      assert.equal(ld["@type"], "Article");
      assert.equal(ld.inLanguage, lang);
      assert.equal(ld.url, url(lang, "practice"));
      assert.ok(ld.citation.length > 0);
      assert.equal(await page.getAttribute('link[rel="canonical"]', "href"), url(lang, "practice"));
      const alts = await page.$$eval('link[rel="alternate"][hreflang]', (ls) => ls.map((l) => `${l.hreflang} ${l.href}`));
      for (const l of Object.keys(LANGS)) assert.ok(alts.includes(`${l} ${url(l, "practice")}`), `hreflang ${l}`);
      assert.ok(alts.includes(`x-default ${url("fr", "practice")}`), "hreflang x-default");
      for (const p of ["og:title", "og:description", "og:url", "og:type", "og:locale"])
        assert.ok(await page.locator(`meta[property="${p}"]`).count() === 1, p);
      assert.ok((await page.locator(".sources ol li").count()) > 0, "numbered sources");
    } finally { await ctx.close(); }
  });

  test(`session cards re-sort by start year and title (${lang})`, async () => {
    const { ctx, page } = await open(url(lang, "session"));
    try {
      const sorter = page.locator(".sorter");
      assert.ok(await sorter.isVisible(), "the sort buttons appear with JavaScript");
      const starts = () => page.$$eval(".cards .card", (cs) => cs.map((c) => Number(c.dataset.start)));
      await sorter.locator('button[data-sort="start"]').click();
      const s = await starts();
      assert.deepEqual(s, [...s].sort((a, b) => a - b));
      assert.equal(await sorter.locator('button[data-sort="start"]').getAttribute("aria-pressed"), "true");
      await sorter.locator('button[data-sort="title"]').click();
      const titles = await page.$$eval(".cards .card", (cs) => cs.map((c) => c.dataset.title));
      assert.deepEqual(titles, [...titles].sort((a, b) => a.localeCompare(b)));
    } finally { await ctx.close(); }
  });
}

test("no request left 127.0.0.1", () => {
  assert.deepEqual(offsite, []);
});

/** Expected matrix: practices per (session, theme), from the front matter of content/practices/*.md. */
function expectedMatrix() {
  const dir = join(REPO, "content", "practices");
  const counts = new Map();
  for (const f of readdirSync(dir)) {
    if (!/^[a-z0-9-]+\.md$/.test(f) || f === "_index.md") continue; // French originals only
    const fm = readFileSync(join(dir, f), "utf8").split(/^\+\+\+\s*$/m)[1];
    const list = (key) => JSON.parse(fm.match(new RegExp(`^${key}\\s*=\\s*(\\[.*\\])`, "m"))[1]);
    for (const s of list("session")) for (const t of list("theme")) {
      counts.set(`${s}|${t}`, (counts.get(`${s}|${t}`) ?? 0) + 1);
    }
  }
  return counts;
}
