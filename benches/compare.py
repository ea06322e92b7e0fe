#!/usr/bin/env python3
"""Compendium vs Hugo (build) and vs Pagefind (search), on generated corpora and the bundled site.

Usage:
    python3 benches/compare.py --sizes 1000,10000 [--bin PATH] [--reps 3] [--out benches/results.md]
                               [--work /tmp/compendium-bench] [--no-bundled]

For each N in --sizes, /work/shared/bench/gen_corpus.py writes N pages per language (fr, en, es)
as a Zola-layout site and as a Hugo site (under --work; reused if already generated). Then:

1. builds, alternating the tools in each repetition: `compendium build` (search index on),
   `compendium build` with the search index off, `hugo`, and `pagefind --site` on our output;
   wall time and peak RSS from /usr/bin/time -v, medians; index sizes per language;
2. module sizes (our wasm + search.js, Pagefind's pagefind.js + wasm + worker);
3. bytes fetched by a first search of a frequent French word, in headless Chromium;
4. latency of 200 queries through each engine's JS API, after warm-up.
Parts 2-4 also run on the bundled site (the repository's own content).
At N >= 100000 only generation and `compendium build` run, once.

Prints a Markdown report and writes it to --out. Installs what is missing: hugo, chromium and
time (apt-get), Pagefind and playwright-core (npm, in benches/). Python 3 standard library only.
"""
import argparse
import collections
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
GEN_CORPUS = Path("/work/shared/bench/gen_corpus.py")
LANGS = ["fr", "en", "es"]
SHOWN = 10  # results shown (and whose data is loaded) in a first search, both engines
BIG = 100_000  # from this size on: generation + compendium build only
FR_STOP = set("""a à au aux avec ce ces cette dans de des du elle en et être été est il ils
la le les leur leurs mais même ne nous on ou où par pas plus pour qu que qui sa se ses son sont
sur un une vous ainsi aussi avant après bien comme chaque deux dont entre fait ont peut sans
tous tout très""".split())


# ----------------------------------------------------------------------------- running tools

def fail(message, stderr=""):
    if stderr:
        sys.stderr.write(stderr if stderr.endswith("\n") else stderr + "\n")
    sys.exit(f"compare.py: {message}")


def run(cmd, cwd=None, capture=True, input=None):
    """Runs cmd; on failure prints its stderr and exits. Returns stdout."""
    proc = subprocess.run(cmd, cwd=cwd, input=input, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        fail(f"{' '.join(map(str, cmd))} exited with {proc.returncode}",
             (proc.stdout or "")[-4000:] + (proc.stderr or "")[-4000:])
    return proc.stdout or ""


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time -v: returns (wall seconds, peak RSS in KiB).

    The disk is synced first, so that no tool pays for the previous one's pending writes or
    for the deletion of an output folder just emptied (seconds of kernel time at 30,000
    files)."""
    os.sync()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        run(["/usr/bin/time", "-v", "-o", report.name, *map(str, cmd)], cwd=cwd)
        text = report.read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not wall or not rss:
        fail(f"cannot read /usr/bin/time output for {cmd[0]}", text)
    hours, minutes, seconds = wall.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), int(rss.group(1))


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


# ----------------------------------------------------------------------------- setup

def apt_install(package):
    print(f"installing {package} (apt-get)", file=sys.stderr)
    run(["apt-get", "install", "-y", package])


def ensure_tools():
    """Installs hugo, chromium, time, and npm deps if missing; returns the pagefind binary."""
    for exe, package in [("/usr/bin/time", "time"), ("hugo", "hugo"), ("/usr/bin/chromium", "chromium")]:
        if not shutil.which(exe):
            apt_install(package)
    if not shutil.which("node"):
        apt_install("nodejs")
        apt_install("npm")
    modules = BENCHES / "node_modules"
    if not (modules / "playwright-core").exists() or not (modules / "pagefind").exists():
        lock = (BENCHES / "package-lock.json").exists()
        print("installing pagefind and playwright-core (npm)", file=sys.stderr)
        subprocess.run(["npm", "ci" if lock else "install", "--no-audit", "--no-fund"], cwd=BENCHES)
    native = sorted((modules / "@pagefind").glob("linux-*/bin/pagefind_extended")) + \
        sorted((modules / "@pagefind").glob("linux-*/bin/pagefind"))
    if native:
        return native[0]
    for candidate in [shutil.which("pagefind"), Path.home() / ".cargo/bin/pagefind"]:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    print("npm's Pagefind binary is missing: cargo install pagefind", file=sys.stderr)
    run(["cargo", "install", "pagefind"], capture=False)
    return Path.home() / ".cargo/bin/pagefind"


def machine(args, pagefind):
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mem_kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return [
        ("CPU", f"{cpu.group(1) if cpu else platform.processor()}, {os.cpu_count()} cores (nproc)"),
        ("RAM", f"{mem_kb / 2**20:.1f} GiB"),
        ("OS", platform.platform()),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("compendium", f"{version([args.bin, '--version'])} ({args.bin})"),
        ("hugo", version(["hugo", "version"])),
        ("pagefind", f"{version([pagefind, '--version'])} ({Path(pagefind).name})"),
        ("chromium", version(["/usr/bin/chromium", "--version"])),
        ("node", version(["node", "--version"])),
    ]


def generate(n, work):
    """Generates (or reuses) the N-page corpus; returns (zola dir, hugo dir)."""
    base = work / f"corpus-{n}"
    zola, hugo, stamp = base / "zola", base / "hugo", base / "complete"
    if not stamp.exists():
        shutil.rmtree(base, ignore_errors=True)
        print(f"generating 3 x {n} pages in {base}", file=sys.stderr)
        cmd = [sys.executable, GEN_CORPUS, n, zola] + ([] if n >= BIG else ["--hugo", hugo])
        run(list(map(str, cmd)))
        stamp.write_text("ok\n")
    return zola, hugo


def with_search_index(zola, on):
    """Sets build_search_index (top level and per language) in the corpus's config.toml: the
    corpus is generated with it off; our build needs it on to write search/."""
    config = zola / "config.toml"
    text = config.read_text()
    value = "true" if on else "false"
    new = re.sub(r"(?m)^build_search_index = \w+", f"build_search_index = {value}", text)
    if "build_search_index" not in new:
        fail(f"{config} has no build_search_index line to set")
    config.write_text(new)


# ----------------------------------------------------------------------------- measurements

def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    return path


# On this machine's ext4 (no journal), creating a file scans the inodes deleted in the last
# 60 s of its block group, one by one (`recently_deleted` in the kernel's inode allocator):
# a build that writes 30,000 files just after 30,000 were deleted spends seconds of kernel
# time in that scan, more or less according to where the inodes land. No timed run may
# therefore follow a deletion closely: each writes into a folder never used before, the
# outputs of a size are deleted before its runs, and then the disk is left to settle.
SETTLE_SECONDS = 65


def settle(deleted):
    """After deleting files: syncs, then waits until the kernel no longer counts them as
    recently deleted."""
    os.sync()
    if deleted:
        print(f"  waiting {SETTLE_SECONDS} s after deleting old outputs", file=sys.stderr)
        time.sleep(SETTLE_SECONDS)


def bench_builds(n, zola, hugo, runs, args, pagefind):
    """Alternates the tools in each repetition; returns ({tool: [(wall, rss_kb), ...]}, the
    last output of `compendium build` with its search index). Every timed run writes into a
    folder of `runs` never used before (see `settle`); one untimed build of each tool first
    brings the corpus into the page cache."""
    results = collections.defaultdict(list)
    big = n >= BIG
    reps = 1 if big else args.reps
    deleted = runs.exists()
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    # Warm-up (untimed): both tools read their corpus once, so that no timed run pays for
    # reading it from disk.
    with_search_index(zola, False)
    run([args.bin, "build", "--root", zola, "--output-dir", runs / "warm-up-compendium"])
    if not big:
        run(["hugo", "--quiet", "--source", hugo, "--destination", runs / "warm-up-hugo"])
    settle(deleted)
    out = None
    for rep in range(reps):
        print(f"  3 x {n}: repetition {rep + 1}/{reps}", file=sys.stderr)
        if not big:
            with_search_index(zola, False)
            results["compendium (no search index)"].append(
                timed([args.bin, "build", "--root", zola, "--output-dir", runs / f"{rep}-compendium-no-search"]))
        with_search_index(zola, True)
        out = runs / f"{rep}-compendium"
        results["compendium"].append(timed([args.bin, "build", "--root", zola, "--output-dir", out]))
        if big:
            continue
        results["hugo"].append(
            timed(["hugo", "--quiet", "--source", hugo, "--destination", runs / f"{rep}-hugo"]))
        results["pagefind"].append(timed([pagefind, "--site", out, "--silent"]))
    return results, out


def sizes(paths):
    """[{raw, gzip, brotli}] for the files, computed by benches/browser/sizes.mjs (which leaves
    files that are gzip streams already at their size on disk)."""
    out = run(["node", BENCHES / "browser/sizes.mjs"], input=json.dumps([str(p) for p in paths]))
    return json.loads(out)


def wire(size):
    """What a compressing server would send: Pagefind's files are already gzipped on disk, so
    compressing them again never beats the file itself."""
    return {k: min(size[k], size["raw"]) for k in ("raw", "gzip", "brotli")}


def total(paths):
    t = {"files": len(paths), "raw": 0, "gzip": 0, "brotli": 0}
    for s in sizes(paths):
        for k, v in wire(s).items():
            t[k] += v
    return t


def our_files(out):
    manifest = json.loads((out / "search/manifest.json").read_text())
    # The head (`fr.<hash>.idx`) and its chunks (`fr.<hash>/<n>.bin`).
    index = {lang: [out / "search" / f] + sorted((out / "search" / f[:-len(".idx")]).glob("*.bin"))
             for lang, f in manifest["indexes"].items()}
    module = [out / "search" / manifest["module"], out / "search/search.js"]
    return index, module


def pagefind_files(out, lang):
    pf = out / "pagefind"
    index = sorted(pf.glob(f"pagefind.{lang}_*.pf_meta"))
    for sub in ("index", "fragment", "filter"):
        index += sorted((pf / sub).glob(f"{lang}_*"))
    module = [pf / "pagefind.js", pf / f"wasm.{lang}.pagefind", pf / "pagefind-worker.js"]
    return index, module


def index_sizes(out):
    ours, _ = our_files(out)
    rows = []
    for lang in LANGS:
        if lang in ours:
            rows.append(("compendium", lang, total(ours[lang])))
        if (out / "pagefind").exists():
            rows.append(("pagefind", lang, total(pagefind_files(out, lang)[0])))
    return rows


def module_sizes(out, lang="fr"):
    return [("compendium", total(our_files(out)[1])),
            ("pagefind", total(pagefind_files(out, lang)[1]))]


def corpus_vocabulary():
    """The generator's list of real French words (the rest of its text is made-up words)."""
    spec = importlib.util.spec_from_file_location("gen_corpus", GEN_CORPUS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.COMMON["fr"].split())


def french_words(md_files, vocabulary=None):
    """Word and word-pair counts of the French pages' bodies (front matter, URLs and template
    calls dropped), stop words and words of 3 letters or fewer skipped, only words of
    `vocabulary` if given."""
    def keep(token):
        return len(token) > 3 and token not in FR_STOP and (vocabulary is None or token in vocabulary)

    words, bigrams = collections.Counter(), collections.Counter()
    for path in md_files:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\A\+\+\+.*?\n\+\+\+\n|\A---.*?\n---\n", "", text, flags=re.S)
        text = re.sub(r"https?://\S+|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
        tokens = re.findall(r"[^\W\d_]+", text.lower())
        words.update(t for t in tokens if keep(t))
        bigrams.update((a, b) for a, b in zip(tokens, tokens[1:]) if keep(a) and keep(b))
    return words, bigrams


def queries(words, bigrams):
    """200 queries: 100 common words, 50 two-word queries, 25 phrases, 25 prefixes."""
    top = [w for w, _ in words.most_common(50)]
    phrases = [f'"{a} {b}"' for (a, b), _ in bigrams.most_common(25)]
    mix = [top[i % len(top)] for i in range(100)]
    mix += [f"{top[i % len(top)]} {top[(3 * i + 1) % len(top)]}" for i in range(50)]
    mix += [phrases[i % len(phrases)] for i in range(25)]
    mix += [top[i % len(top)][:3] for i in range(25)]
    return mix


def browser_bench(out, word, query_list, work):
    config = {"site": str(out), "word": word, "lang": "fr", "shown": SHOWN,
              "queries": query_list, "engines": ["compendium", "pagefind"]}
    path = work / "browser-config.json"
    path.write_text(json.dumps(config))
    result = json.loads(run(["node", BENCHES / "browser/first-search.mjs", path]))
    for engine in result.values():
        files = engine["fetched"]
        for f, s in zip(files, sizes([out / f["path"].lstrip("/") for f in files])):
            if f["bytes"] != s["raw"]:
                fail(f"{f['path']}: served {f['bytes']} bytes, {s['raw']} on disk")
            f.update(wire(s))
    return result


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ----------------------------------------------------------------------------- report

def kb(b):
    return f"{b / 1000:,.1f} KB"


def mib(kib):
    return f"{kib / 1024:,.0f} MiB"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def build_table(builds):
    rows = []
    for n, res in builds:
        med = {tool: (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
               for tool, runs in res.items()}
        hugo = med.get("hugo")
        for tool, (wall, rss) in med.items():
            ratio = (f"{wall / hugo[0]:.2f}", f"{rss / hugo[1]:.2f}") \
                if hugo and tool.startswith("compendium") else ("", "")
            rows.append((f"3 × {n:,}", tool, len(res[tool]), f"{wall:.2f} s", mib(rss), *ratio))
        if n >= BIG:
            rows.append((f"3 × {n:,}", "hugo, pagefind", 0, "skipped (size)", "", "", ""))
    return table(["pages", "tool", "runs", "wall (median)", "peak RSS (median)",
                  "wall / hugo", "RSS / hugo"], rows)


def size_rows(label, rows):
    return [(label, engine, lang, t["files"], kb(t["raw"]), kb(t["gzip"]), kb(t["brotli"]))
            for engine, lang, t in rows]


def first_search_rows(label, word, result):
    rows = []
    sums = {}
    for engine, r in result.items():
        s = {k: sum(f[k] for f in r["fetched"]) for k in ("raw", "gzip", "brotli")}
        sums[engine] = s
        rows.append((label, f"`{word}`", engine, f"{r['first']['shown']} of {r['first']['total']}",
                     len(r["fetched"]), kb(s["raw"]), kb(s["gzip"]), kb(s["brotli"])))
    if "pagefind" in sums:
        c, p = sums["compendium"], sums["pagefind"]
        rows.append((label, "", "ratio compendium / pagefind", "", "",
                     *(f"{c[k] / p[k]:.1f}×" for k in ("raw", "gzip", "brotli"))))
    return rows


def latency_rows(label, result):
    rows = []
    for engine, r in result.items():
        ms = r["latency_ms"]
        rows.append((label, engine, len(ms), f"{percentile(ms, 50):.1f} ms",
                     f"{percentile(ms, 95):.1f} ms", f"{max(ms):.1f} ms"))
    return rows


def files_detail(label, result):
    lines = [f"First-search requests on {label}:"]
    for engine, r in result.items():
        groups = collections.Counter()
        for f in r["fetched"]:
            path = re.sub(r"/(fragment|index)/[^/]+$", r"/\1/*", f["path"])
            path = re.sub(r"/([a-z]{2}\.[0-9a-f]+)/[0-9]+\.bin$", r"/\1/*.bin", path)
            groups[path] += f["raw"]
        lines.append(f"- {engine}: " + ", ".join(f"`{p}` {kb(b)}" for p, b in groups.items()))
    return "\n".join(lines)


def report(args, info, builds, search):
    parts = ["# Compendium benchmark: build (vs Hugo) and search (vs Pagefind)", "",
             f"Command: `python3 benches/compare.py {' '.join(sys.argv[1:])}`  ",
             f"Date: {time.strftime('%Y-%m-%d %H:%M')}", "",
             table(["machine", ""], info), ""]
    if builds:
        parts += ["## Build: wall time and peak RSS (medians, /usr/bin/time -v)", "",
                  "`compendium` builds its search index (`build_search_index = true`); "
                  "`pagefind` indexes that output; `hugo` builds the same content (no search).", "",
                  build_table(builds), ""]
    size_table, module_table, first_table, lat_table, details = [], [], [], [], []
    for label, s in search:
        size_table += size_rows(label, s["index"])
        module_table += [(label, e, t["files"], kb(t["raw"]), kb(t["gzip"]), kb(t["brotli"]))
                         for e, t in s["module"]]
        first_table += first_search_rows(label, s["word"], s["browser"])
        lat_table += latency_rows(label, s["browser"])
        details.append(files_detail(label, s["browser"]))
    if search:
        parts += [
            "## Search index size per language", "",
            "Compendium: `search/<lang>.<hash>.idx` and its chunks `<lang>.<hash>/*.bin`. Pagefind: the language's `pf_meta`, index "
            "chunks, fragments and filters, summed. Each file compressed on its own (gzip -9, "
            "brotli -q 11); Pagefind stores its files gzipped, so a file's compressed size is "
            "never counted above its size on disk.", "",
            table(["site", "engine", "lang", "files", "on disk", "gzip -9", "brotli -q 11"],
                  size_table), "",
            "## Search module size", "",
            "Compendium: `search.<hash>.wasm` + `search.js`. Pagefind: `pagefind.js` + "
            "`wasm.fr.pagefind` (stored gzipped) + `pagefind-worker.js`.", "",
            table(["site", "engine", "files", "on disk", "gzip -9", "brotli -q 11"],
                  module_table), "",
            "## Bytes fetched by a first search (headless Chromium, empty cache)", "",
            f"One frequent French word, {SHOWN} results shown: Compendium `search(word, {{lang: 'fr', "
            f"limit: {SHOWN}}})`; Pagefind `search(word)` then `data()` of the first {SHOWN} "
            "results. The server (node, 127.0.0.1) sends files uncompressed: 'as served' are "
            "response body bytes counted by the server (workers included); gzip/brotli are "
            "those files compressed offline, one by one.", "",
            table(["site", "word", "engine", "shown", "requests", "as served", "gzip -9",
                   "brotli -q 11"], first_table), "",
            *[d + "\n" for d in details],
            "## Query latency in the browser (after warm-up)", "",
            "200 queries through the JS API, each timed with performance.now(): 100 frequent "
            "words (typed as is, so the last word is also a prefix for Compendium), 50 two-word "
            "queries, 25 phrases in quotes, 25 three-letter prefixes. Pagefind's time includes "
            f"loading the data of the first {SHOWN} results, as it needs that to show them.", "",
            table(["site", "engine", "queries", "p50", "p95", "max"], lat_table), ""]
    parts.append(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- main

def search_bench(label, out, md_files, work, pagefind, vocabulary=None, glob=None):
    """Parts 2-4 on a built site (Pagefind run first if its output is missing)."""
    if not (out / "pagefind").exists():
        run([pagefind, "--site", out, "--silent"] + (["--glob", glob] if glob else []))
    words, bigrams = french_words(md_files, vocabulary)
    if not words:
        fail(f"no French words found for {label}")
    word = words.most_common(1)[0][0]
    print(f"  {label}: first search of '{word}', latency", file=sys.stderr)
    return {"word": word, "index": index_sizes(out), "module": module_sizes(out),
            "browser": browser_bench(out, word, queries(words, bigrams), work)}


def french_pages(content):
    return [p for p in content.rglob("*.md")
            if not p.name.startswith("_") and not re.search(r"\.(en|es)\.md$", p.name)]


def save_partial(work, builds, search):
    """Keeps the figures so far (JSON) in case a later step fails."""
    (work / "partial.json").write_text(json.dumps({"builds": builds, "search": search}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="pages per language, comma-separated")
    ap.add_argument("--bin", default=str(REPO / "target/release/compendium"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=str(BENCHES / "results.md"))
    ap.add_argument("--work", default="/tmp/compendium-bench", help="corpora and outputs")
    ap.add_argument("--no-bundled", action="store_true", help="skip the bundled site")
    ap.add_argument("--bundled-root", default=str(REPO),
                    help="the bundled site to build (default: this repository; give an export "
                         "of the commit --bin was built from if the theme has moved on)")
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    if not Path(args.bin).is_file():
        fail(f"no compendium binary at {args.bin} (cargo build --release, or --bin)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes_list = [int(s) for s in args.sizes.split(",") if s]

    pagefind = ensure_tools()
    info = machine(args, pagefind)
    builds, search = [], []
    for n in sizes_list:
        zola, hugo = generate(n, work)
        results, out = bench_builds(n, zola, hugo, work / f"out-{n}", args, pagefind)
        builds.append((n, results))
        save_partial(work, builds, search)
        if n < BIG:
            search.append((f"3 × {n:,}", search_bench(f"3 × {n:,}", out, french_pages(zola / "content"),
                                                      work, pagefind, corpus_vocabulary())))
            save_partial(work, builds, search)
    if not args.no_bundled:
        out = fresh(work / "bundled" / "public")
        print("  bundled site: build", file=sys.stderr)
        root = Path(args.bundled_root)
        run([args.bin, "build", "--root", root, "--output-dir", out])
        # Pagefind indexes the practice pages only, as Compendium's index does.
        search.append(("bundled", search_bench("bundled", out, french_pages(root / "content/practices"),
                                               work, pagefind,
                                               glob="{practices,en/practices,es/practices}/*/index.html")))
    text = report(args, info, builds, search)
    sys.stdout.write(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
