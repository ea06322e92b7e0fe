// Compressed sizes for benches/compare.py: reads a JSON array of file paths on stdin, prints a
// JSON array of { raw, gzip, brotli } in the same order: raw = bytes on disk, gzip = level 9
// (as `gzip -9`), brotli = quality 11, window 24 (as `brotli -q 11`). A file that is a gzip
// stream already (Pagefind's) keeps its size on disk: compressing it again cannot make it smaller.
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const paths = JSON.parse(readFileSync(0, "utf8"));
const out = paths.map((path) => {
  const raw = readFileSync(path);
  if (raw[0] === 0x1f && raw[1] === 0x8b) return { raw: raw.length, gzip: raw.length, brotli: raw.length };
  return {
    raw: raw.length,
    gzip: gzipSync(raw, { level: 9 }).length,
    brotli: brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    }).length,
  };
});
process.stdout.write(JSON.stringify(out));
