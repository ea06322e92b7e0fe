// The search page: results as you type, facets with counts, the state in the URL, an option
// to search every language, keyboard navigation and counts announced to screen readers.
// Progressive enhancement: without JavaScript the page explains itself.
const script = document.currentScript ?? document.querySelector("script[data-module]");
const moduleUrl = script?.dataset.module ?? new URL("search/search.js", document.baseURI).href;
const labels = JSON.parse(document.getElementById("search-labels").textContent);
const lang = document.documentElement.lang;
const FACETS = ["round_table", "session", "theme", "country", "region", "actor_type"];
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const all = document.getElementById("search-all");
const statusBox = document.getElementById("search-status");
const resultsBox = document.getElementById("search-results");
const facetsBox = document.getElementById("search-facets");

let api = null;
const loadApi = () => (api ??= import(moduleUrl));
let filters = {};
let timer = null;
let generation = 0;

function readUrl() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") ?? "";
  all.checked = params.get("all") === "1";
  filters = {};
  for (const f of FACETS) {
    const values = params.getAll(f);
    if (values.length) filters[f] = values;
  }
}

function writeUrl() {
  const params = new URLSearchParams();
  if (input.value) params.set("q", input.value);
  if (all.checked) params.set("all", "1");
  for (const [f, values] of Object.entries(filters)) for (const v of values) params.append(f, v);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

const label = (facet, id) => labels[facet]?.[id] ?? id;

function renderFacets(facets) {
  facetsBox.replaceChildren();
  for (const facet of FACETS) {
    const counts = Object.entries(facets?.[facet] ?? {}).filter(([, n]) => n > 0);
    const chosen = filters[facet] ?? [];
    for (const id of chosen) if (!counts.some(([k]) => k === id)) counts.push([id, 0]);
    if (!counts.length) continue;
    counts.sort((a, b) => b[1] - a[1] || label(facet, a[0]).localeCompare(label(facet, b[0]), lang));
    const fieldset = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = labels.facet_names[facet] ?? facet;
    fieldset.append(legend);
    for (const [id, n] of counts) {
      const row = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = facet;
      box.value = id;
      box.checked = chosen.includes(id);
      box.addEventListener("change", () => {
        const set = new Set(filters[facet] ?? []);
        box.checked ? set.add(id) : set.delete(id);
        if (set.size) filters[facet] = [...set]; else delete filters[facet];
        run();
      });
      row.append(box, ` ${label(facet, id)} `);
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = `(${n})`;
      row.append(count);
      fieldset.append(row);
    }
    facetsBox.append(fieldset);
  }
}

function renderResults(hits) {
  resultsBox.replaceChildren();
  for (const hit of hits) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = hit.url;
    a.textContent = hit.title;
    if (hit.lang && hit.lang !== lang) {
      a.hreflang = hit.lang;
      a.lang = hit.lang;
    }
    const h = document.createElement("h2");
    h.append(a);
    if (hit.lang && hit.lang !== lang) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = labels.language_names[hit.lang] ?? hit.lang;
      h.append(" ", badge);
    }
    const p = document.createElement("p");
    if (hit.lang && hit.lang !== lang) p.lang = hit.lang;
    // The module escapes the text and only adds <mark> around matches.
    p.innerHTML = hit.snippet || "";
    li.append(h, p);
    resultsBox.append(li);
  }
}

function announce(total) {
  if (!input.value.trim() && !Object.keys(filters).length) {
    statusBox.textContent = "";
    return;
  }
  statusBox.textContent = total === 0 ? labels.no_results
    : (total === 1 ? labels.results_one : labels.results_many).replace("{n}", String(total));
}

async function run() {
  writeUrl();
  const mine = ++generation;
  const query = input.value;
  if (!query.trim() && !Object.keys(filters).length) {
    renderResults([]);
    renderFacets({});
    announce(0);
    return;
  }
  try {
    const { search, languages } = await loadApi();
    const langs = all.checked ? [lang, ...(await languages()).filter((l) => l !== lang)] : [lang];
    const answers = await Promise.all(langs.map((l) => search(query, { lang: l, filters, limit: 50 })));
    if (mine !== generation) return;
    const hits = answers.flatMap((r, i) => r.hits.map((h) => ({ ...h, lang: h.lang ?? langs[i] })));
    const total = answers.reduce((n, r) => n + r.total, 0);
    const facets = {};
    for (const r of answers) for (const [f, counts] of Object.entries(r.facets ?? {})) {
      facets[f] ??= {};
      for (const [id, n] of Object.entries(counts)) facets[f][id] = (facets[f][id] ?? 0) + n;
    }
    renderResults(hits);
    renderFacets(facets);
    announce(total);
  } catch (e) {
    statusBox.textContent = labels.error;
    console.error(e);
  }
}

input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(run, 120);
});
input.addEventListener("focus", () => loadApi().then((m) => m.prefetch(lang)), { once: true });
all.addEventListener("change", run);
form.addEventListener("submit", (e) => {
  e.preventDefault();
  clearTimeout(timer);
  run();
});

// Arrow keys move between the search box and the results; Escape goes back to the box.
document.addEventListener("keydown", (e) => {
  const links = [...resultsBox.querySelectorAll("a")];
  const at = links.indexOf(document.activeElement);
  if (e.key === "ArrowDown" && (document.activeElement === input || at >= 0)) {
    const next = links[at + 1];
    if (next) { next.focus(); e.preventDefault(); }
  } else if (e.key === "ArrowUp" && at >= 0) {
    (at === 0 ? input : links[at - 1]).focus();
    e.preventDefault();
  } else if (e.key === "Escape" && at >= 0) {
    input.focus();
  }
});

readUrl();
if (input.value || Object.keys(filters).length) run();
else if ("requestIdleCallback" in window) requestIdleCallback(() => loadApi().then((m) => m.prefetch(lang)));
