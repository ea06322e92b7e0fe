// Live preview in a browser (issue 6): `compendium serve` on a copy of a fixture site; editing
// the file shows the new text with no action, a broken front matter shows the error overlay,
// and the fix brings the page back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const REPO = process.env.REPO ?? join(here, "..", "..");
let browser, server, site, base;

before(async () => {
  site = mkdtempSync(join(tmpdir(), "compendium-live-"));
  cpSync(join(REPO, "tests", "fixtures", "small"), site, { recursive: true });
  server = spawn(join(REPO, "target", "release", "compendium"), ["serve", "--port", "0", "--root", site],
    { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: server.stdout });
    rl.once("line", resolve);
    server.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  base = line.split(/\s+/)[1].replace(/\/$/, "");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (site) rmSync(site, { recursive: true, force: true });
});

test("an edit shows without any action; a broken file shows the error overlay until it is fixed", async () => {
  const page = await browser.newPage();
  await page.route("**/*", (route) => new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort());
  await page.goto(`${base}/blog/second/`);
  await page.waitForSelector("text=Fin.");
  // Wait until the page listens for events before editing.
  await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => e.name.includes("livereload.js")));
  await page.waitForTimeout(300);

  const file = join(site, "content", "blog", "second.md");
  const original = readFileSync(file, "utf8");
  writeFileSync(file, original.replace("Fin.", "Texte modifié en direct."));
  await page.waitForSelector("text=Texte modifié en direct.", { timeout: 20000 });

  writeFileSync(file, "+++\ntitle = 3\n+++\n");
  const overlay = page.locator("#__compendium-error");
  await overlay.waitFor({ timeout: 20000 });
  const message = await overlay.textContent();
  assert.match(message, /content\/blog\/second\.md:2:9: error: `title` must be a string/);
  // The last good page stays underneath.
  assert.ok(await page.locator("text=Texte modifié en direct.").count() > 0);

  writeFileSync(file, original.replace("Fin.", "Réparé."));
  await page.waitForSelector("text=Réparé.", { timeout: 20000 });
  assert.equal(await page.locator("#__compendium-error").count(), 0);
  await page.screenshot({ path: join(here, "screenshots", "livereload.png") });
});
