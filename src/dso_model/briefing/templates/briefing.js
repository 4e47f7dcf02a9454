(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("worklist-data").textContent);
  var columns = payload.columns;
  var rows = payload.rows;
  var words = payload.words;
  var body = document.getElementById("wl-body");
  var headRow = document.getElementById("wl-head");
  var filterBox = document.getElementById("wl-filter");
  var groupBox = document.getElementById("wl-group");
  var channelBox = document.getElementById("wl-channel");
  var contactBox = document.getElementById("wl-contact");
  var countBox = document.getElementById("wl-count");
  var index = {};
  columns.forEach(function (c, i) { index[c.key] = i; });
  var sortState = { column: -1, direction: 1 };

  function display(value, type) {
    if (value === null || value === undefined) { return ""; }
    if (type === "money") { return Number(value).toLocaleString("en-US", { maximumFractionDigits: 0 }); }
    if (type === "pct") { return (100 * value).toFixed(1) + " %"; }
    if (type === "num") { return Number(value).toFixed(1); }
    if (type === "bool") { return value ? words.yes : words.no; }
    return String(value);
  }

  var searchText = rows.map(function (row) {
    return row.map(function (v, i) { return display(v, columns[i].type); }).join(" ").toLowerCase();
  });

  function compare(a, b, type) {
    var missingA = a === null || a === undefined, missingB = b === null || b === undefined;
    if (missingA || missingB) { return missingA === missingB ? 0 : (missingA ? 1 : -1); }
    if (type === "str" || type === "date") { return a < b ? -1 : (a > b ? 1 : 0); }
    return Number(a) - Number(b);
  }

  function visibleRows() {
    var text = filterBox.value.trim().toLowerCase();
    var group = groupBox.value, channel = channelBox.value, contactOnly = contactBox.checked;
    var out = [];
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      if (text && searchText[r].indexOf(text) < 0) { continue; }
      if (group && index.group !== undefined && row[index.group] !== group) { continue; }
      if (channel && index.channel !== undefined && row[index.channel] !== channel) { continue; }
      if (contactOnly && index.contact !== undefined && !row[index.contact]) { continue; }
      out.push(r);
    }
    if (sortState.column >= 0) {
      var c = sortState.column, type = columns[c].type, dir = sortState.direction;
      out.sort(function (x, y) {
        var d = compare(rows[x][c], rows[y][c], type);
        if (d === 0) { return x - y; }
        var missing = rows[x][c] === null || rows[y][c] === null;
        return missing ? d : dir * d;
      });
    }
    return out;
  }

  function render() {
    var shown = visibleRows();
    var fragment = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-invoice", rows[r][index.invoice_id]);
      rows[r].forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = display(value, columns[i].type);
        if (columns[i].type !== "str" && columns[i].type !== "date" && columns[i].type !== "bool") {
          td.className = "num";
        }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    countBox.textContent = shown.length + " " + words.shown + " " + words.of + " " + rows.length;
  }

  function sortBy(c) {
    sortState.direction = sortState.column === c ? -sortState.direction : 1;
    sortState.column = c;
    Array.prototype.forEach.call(headRow.children, function (th, i) {
      th.setAttribute("aria-sort", i === c ? (sortState.direction > 0 ? "ascending" : "descending") : "none");
    });
    render();
  }

  function fillSelect(select, key) {
    if (index[key] === undefined) { select.hidden = true; return; }
    var seen = {};
    rows.forEach(function (row) { var v = row[index[key]]; if (v !== null && v !== "") { seen[v] = true; } });
    Object.keys(seen).sort().forEach(function (v) {
      var option = document.createElement("option");
      option.value = v; option.textContent = v;
      select.appendChild(option);
    });
  }

  columns.forEach(function (c, i) {
    var th = document.createElement("th");
    th.textContent = c.label;
    th.setAttribute("data-key", c.key);
    th.setAttribute("aria-sort", "none");
    if (c.type !== "str" && c.type !== "date" && c.type !== "bool") { th.className = "num"; }
    th.addEventListener("click", function () { sortBy(i); });
    headRow.appendChild(th);
  });
  fillSelect(groupBox, "group");
  fillSelect(channelBox, "channel");
  [filterBox, groupBox, channelBox, contactBox].forEach(function (el) {
    el.addEventListener("input", render);
    el.addEventListener("change", render);
  });
  render();
  document.body.setAttribute("data-ready", "true");
})();
