// Re-sorts practice cards by title or start year; without JavaScript they stay sorted by title.
document.querySelectorAll(".sorter").forEach(function (g) {
  var list = g.nextElementSibling, cards = Array.prototype.slice.call(list.children);
  g.hidden = false;
  g.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    var key = b.dataset.sort;
    cards.sort(function (x, y) {
      var a = x.dataset, c = y.dataset;
      return (key == "start" ? a.start - c.start : 0) || a.title.localeCompare(c.title);
    }).forEach(function (c) { list.appendChild(c); });
    g.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", o == b); });
  });
});
