#!/usr/bin/env bash
# Rebuilds dist/search.wasm (the browser's search module) and dist/SOURCE_HASH.
#
# Needs Debian's rustc-web toolchain with its std sources (-Z build-std), rust-lld and
# binaryen; installs them when missing (root, Debian bookworm + security). The committed
# dist/ lets everyone else build and test without any of this.
#   ./build-wasm.sh            build, optimise, write dist/
#   ./build-wasm.sh --hash     only print the hash of the module's sources
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# The files that go into the module; tests/dist_fresh.rs recomputes the same hash.
source_hash() {
  find Cargo.toml build-wasm.sh src wasm/Cargo.toml wasm/Cargo.lock wasm/src -type f \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}
if [ "${1:-}" = "--hash" ]; then source_hash; exit 0; fi

need=()
[ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || need+=(rustc-web cargo-web)
[ -d /usr/lib/rustlib/src/rust/library ] || need+=(rust-web-src)
[ -x /usr/bin/rust-lld ] || need+=(rust-web-llvm lld-22)
command -v wasm-opt >/dev/null || need+=(binaryen)
command -v brotli >/dev/null || need+=(brotli)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    rustc-web cargo-web rust-web-src rust-web-llvm lld-22 binaryen brotli
fi

export PATH=/usr/bin:/bin          # Debian's cargo and rustc, not rustup's proxies
export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1           # -Z build-std and -Z unstable-options on a stable compiler
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target/search-index-wasm}"
# getrandom: randomness is only used when writing an index, never in the module.
# -Zfmt-debug=none: `{:?}` prints nothing and derived Debug impls are empty. Debug output
# never reaches the reader, and tantivy's `Debug for Term` -> `Display for Facet` links the
# whole `regex` crate with its Unicode tables. With -Zlocation-detail=none (no file/line
# strings for panics, which abort anyway) and std's optimize_for_size: -115 KB brotli.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg getrandom_backend=\"unsupported\" -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"

cargo build --release --manifest-path wasm/Cargo.toml --target wasm32-unknown-unknown \
  -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/search_index_wasm.wasm"

mkdir -p dist
wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
  --strip-debug --strip-producers "$raw" -o dist/search.wasm
source_hash > dist/SOURCE_HASH

size() { stat -c %s "$1"; }
printf '%-28s %10s %10s %10s\n' file raw gzip-9 brotli-11
for f in "$raw" dist/search.wasm; do
  printf '%-28s %10s %10s %10s\n' "$(basename "$(dirname "$f")")/$(basename "$f")" "$(size "$f")" \
    "$(gzip -9c "$f" | wc -c)" "$(brotli -c -q 11 "$f" | wc -c)"
done
