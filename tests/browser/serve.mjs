// Tiny static server for the built site, bound to 127.0.0.1. Usage: node serve.mjs DIR PORT
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { join, normalize, extname } from "node:path";

const [root, port] = [process.argv[2], Number(process.argv[3])];
const types = {
  ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
  ".csv": "text/csv; charset=utf-8", ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml",
  ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".ico": "image/x-icon",
};

async function resolve(urlPath) {
  let p = normalize(join(root, decodeURIComponent(urlPath)));
  if (!p.startsWith(normalize(root))) return null;
  try {
    if ((await stat(p)).isDirectory()) p = join(p, "index.html");
    await stat(p);
    return p;
  } catch { return null; }
}

createServer(async (req, res) => {
  const path = await resolve(new URL(req.url, "http://x").pathname);
  if (!path) {
    res.writeHead(404, { "content-type": types[".html"] });
    res.end(await readFile(join(root, "404.html")).catch(() => "Not found"));
    return;
  }
  res.writeHead(200, { "content-type": types[extname(path)] || "application/octet-stream" });
  res.end(await readFile(path));
}).listen(port, "127.0.0.1", () => console.log(`serving ${root} on http://127.0.0.1:${port}`));
