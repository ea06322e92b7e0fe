#!/bin/sh
# Browser tests of the default theme: builds the bundled site with the release binary, serves it on
# 127.0.0.1 and runs tests/browser/*.test.mjs in headless Debian Chromium (no browser download).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"
npm ci --no-audit --no-fund --silent
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
site=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$site"' EXIT INT TERM
"$repo/target/release/compendium" build --root "$repo" --output-dir "$site/public" --base-url "http://127.0.0.1:$port"
node serve.mjs "$site/public" "$port" &
server=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
  node -e "require('http').get('http://127.0.0.1:$port/',r=>process.exit(r.statusCode==200?0:1)).on('error',()=>process.exit(1))" && break
  sleep 0.3
done
BASE_URL="http://127.0.0.1:$port" REPO="$repo" node --test --test-concurrency=1 --test-reporter=./summary.mjs --test-reporter-destination=stdout "$here"/*.test.mjs
