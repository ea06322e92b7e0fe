// Hostile content in a browser (issue 9): the part of tests/fixtures/hostile that builds (raw
// HTML escaped or sanitised, script URLs, event handlers, front-matter strings with markup) is
// built with the release binary and every page is opened in headless Chromium: no script from
// the content runs (`window.__pwned` stays unset, no dialog opens), links with script URLs do
// nothing when followed, and no request leaves 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { launchChromium } from "./chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const REPO = process.env.REPO ?? join(here, "..", "..");
let browser, server, dir, base;
const outside = [];

function htmlFiles(root) {
  const out = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...htmlFiles(p));
    else if (name.endsWith(".html")) out.push(relative(root, p));
  }
  return out.sort();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "compendium-hostile-"));
  const site = join(dir, "site");
  cpSync(join(REPO, "tests", "fixtures", "hostile"), site, { recursive: true });
  // The inputs that are errors (they stop the build; tests/it/hostile.rs covers them).
  rmSync(join(site, "content", "errors"), { recursive: true, force: true });
  rmSync(join(site, "templates", "shortcodes", "recurse.html"), { force: true });
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
  });
  base = `http://127.0.0.1:${port}`;
  const build = spawnSync(join(REPO, "target", "release", "compendium"),
    ["build", "--root", site, "--output-dir", join(dir, "public"), "--base-url", base], { encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  server = spawn("node", [join(here, "serve.mjs"), join(dir, "public"), String(port)], { stdio: "ignore" });
  for (let i = 0; i < 30; i++) {
    const ok = await fetch(`${base}/`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("no script from hostile content runs on any page, even when its links are followed", async () => {
  const pages = htmlFiles(join(dir, "public"));
  assert.ok(pages.length >= 4, `built pages: ${pages}`);
  for (const file of pages) {
    const page = await browser.newPage();
    const dialogs = [];
    page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      outside.push(url.href);
      return route.abort();
    });
    const path = "/" + file.replace(/index\.html$/, "");
    await page.goto(`${base}${path}`);
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `script ran on ${path}`);
    // Follow every link of the content: none may run script.
    const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href")));
    for (const href of hrefs) {
      assert.doesNotMatch(href, /^\s*(javascript|vbscript|data):/i, `script URL kept on ${path}: ${href}`);
    }
    // Each link clicked on a freshly loaded page (a click may navigate away).
    const count = hrefs.length;
    for (let i = 0; i < count; i++) {
      await page.goto(`${base}${path}`);
      const link = page.locator("a[href]").nth(i);
      await link.click({ timeout: 2000 }).catch(() => {});
      await page.waitForLoadState("load").catch(() => {});
      await page.waitForTimeout(50);
      const pwned = await page.evaluate(() => window.__pwned).catch(() => undefined);
      assert.equal(pwned, undefined, `script ran after following link ${i} (${hrefs[i]}) on ${path}`);
    }
    assert.deepEqual(dialogs, [], `dialogs on ${path}`);
    await page.close();
  }
  assert.deepEqual(outside, [], "no request leaves 127.0.0.1");
});
