// Live reload for `compendium serve`: reloads after each complete rebuild (and after the
// search index caught up, on a page that used it), swaps stylesheets when only CSS changed,
// and shows a failed rebuild's error over the page.
(() => {
  const source = new EventSource("/__compendium/events");
  const overlayId = "__compendium-error";
  const removeOverlay = () => document.getElementById(overlayId)?.remove();
  source.addEventListener("reload", () => location.reload());
  // The search index follows the pages: a page that has read the previous one reloads.
  source.addEventListener("search", () => {
    const used = performance.getEntriesByType("resource")
      .some((entry) => new URL(entry.name).pathname.endsWith("/search/manifest.json"));
    if (used) location.reload();
  });
  source.addEventListener("css", () => {
    removeOverlay();
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      url.searchParams.set("__reload", Date.now().toString());
      link.href = url.toString();
    }
  });
  source.addEventListener("error", (event) => {
    if (!event.data) return; // connection errors: EventSource reconnects by itself
    removeOverlay();
    const box = document.createElement("div");
    box.id = overlayId;
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
      "background:rgba(20,20,20,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap";
    const title = document.createElement("strong");
    title.textContent = "The rebuild failed; this page is the last good build.\n\n";
    box.append(title, document.createTextNode(event.data));
    document.body.append(box);
  });
})();
