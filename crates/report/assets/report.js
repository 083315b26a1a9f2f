(function () {
  'use strict';
  var errorList = document.getElementById('js-errors');
  function reportError(text) {
    var li = document.createElement('li');
    li.textContent = 'Page error: ' + text;
    errorList.appendChild(li);
    errorList.hidden = false;
  }
  window.addEventListener('error', function (e) {
    reportError(e.message + ' (line ' + e.lineno + ')');
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    reportError('blocked by the content security policy: ' + e.violatedDirective + ' ' + e.blockedURI);
  });

  var data = JSON.parse(document.getElementById('reginv-data').textContent);
  // Row layout (see crates/report/src/data.rs).
  var SRC = 0, REG = 1, NAME = 2, DESC = 3, PUB = 4, TAGS = 5, SIZE = 6, PULLS = 7, UPD = 8, TAGROWS = 9;
  var rows = data.rows;
  var state = { filter: '', source: '', key: 'name', dir: 1, page: 0, size: 100, open: {} };
  var view = [];
  var haystacks = null;

  var tbody = document.getElementById('repo-rows');
  var status = document.getElementById('table-status');
  var filterInput = document.getElementById('filter');
  var sourceSelect = document.getElementById('source-filter');
  var sizeSelect = document.getElementById('page-size');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');

  function fullName(r) { return data.registries[r[REG]] + '/' + r[NAME]; }
  function fmtCount(n) { return n === null || n === undefined ? '' : n.toLocaleString('en-US'); }
  function fmtBytes(n) {
    if (n === null || n === undefined) { return ''; }
    if (n < 1024) { return n + ' B'; }
    var units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], v = n / 1024, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return v.toFixed(1) + ' ' + units[u];
  }
  function fmtTime(t) { return t === null || t === undefined ? '' : new Date(t * 1000).toISOString().slice(0, 10); }
  function fmtPublic(p) { return p === true ? 'yes' : p === false ? 'no' : ''; }

  var keys = {
    source: function (r) { return data.sources[r[SRC]]; },
    registry: function (r) { return data.registries[r[REG]]; },
    name: fullName,
    tags: function (r) { return r[TAGS]; },
    size: function (r) { return r[SIZE]; },
    pulls: function (r) { return r[PULLS]; },
    updated: function (r) { return r[UPD]; },
    public: function (r) { return r[PUB] === null ? null : (r[PUB] ? 1 : 0); }
  };

  function compare(a, b) {
    // Unknown values sort last whatever the direction.
    if (a === null || a === undefined) { return b === null || b === undefined ? 0 : 1; }
    if (b === null || b === undefined) { return -1; }
    var c = typeof a === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : a - b;
    return c * state.dir;
  }

  function recompute() {
    if (haystacks === null) {
      haystacks = rows.map(function (r) {
        return (data.sources[r[SRC]] + ' ' + fullName(r) + ' ' + (r[DESC] || '')).toLowerCase();
      });
    }
    var needle = state.filter.toLowerCase();
    var src = state.source === '' ? -1 : Number(state.source);
    view = [];
    for (var i = 0; i < rows.length; i++) {
      if (src >= 0 && rows[i][SRC] !== src) { continue; }
      if (needle && haystacks[i].indexOf(needle) < 0) { continue; }
      view.push(i);
    }
    var key = keys[state.key];
    view.sort(function (x, y) { return compare(key(rows[x]), key(rows[y])) || x - y; });
  }

  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function tagTable(r) {
    var tags = r[TAGROWS];
    var wrap = document.createElement('div');
    if (!tags) {
      wrap.textContent = 'Tags were not listed (inventory depth "none"); the provider reports ' + fmtCount(r[TAGS]) + '.';
      return wrap;
    }
    if (tags.length === 0) { wrap.textContent = 'No tags.'; return wrap; }
    var limit = Math.min(tags.length, 500);
    var table = document.createElement('table');
    var head = table.createTHead().insertRow();
    ['Tag', 'Digest', 'Size', 'Pushed', 'Last pulled', 'Platforms'].forEach(function (h) {
      var th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      head.appendChild(th);
    });
    var body = table.createTBody();
    for (var i = 0; i < limit; i++) {
      var t = tags[i], tr = body.insertRow();
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = t[0];
      tr.appendChild(th);
      cell(tr, t[1] || '', 'digest');
      cell(tr, fmtBytes(t[2]), 'num');
      cell(tr, fmtTime(t[3]));
      cell(tr, fmtTime(t[4]));
      cell(tr, t[5] || '');
    }
    wrap.appendChild(table);
    if (limit < tags.length) {
      var more = document.createElement('p');
      more.textContent = 'The first ' + limit + ' of ' + fmtCount(tags.length) + ' tags; every tag is in the JSON report.';
      wrap.appendChild(more);
    }
    return wrap;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size, end = Math.min(view.length, start + state.size);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var i = view[k], r = rows[i];
      var tr = document.createElement('tr');
      tr.className = 'repo';
      tr.dataset.index = String(i);
      tr.dataset.size = r[SIZE] === null ? '' : String(r[SIZE]);
      cell(tr, data.sources[r[SRC]]);
      cell(tr, data.registries[r[REG]]);
      var name = document.createElement('th');
      name.scope = 'row';
      name.className = 'name';
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'expand';
      button.dataset.index = String(i);
      button.setAttribute('aria-expanded', state.open[i] ? 'true' : 'false');
      button.setAttribute('aria-label', 'tags of ' + fullName(r));
      button.textContent = state.open[i] ? '\u25BE' : '\u25B8';
      name.appendChild(button);
      name.appendChild(document.createTextNode(r[NAME]));
      if (r[DESC]) {
        var desc = document.createElement('span');
        desc.className = 'desc';
        desc.textContent = r[DESC];
        name.appendChild(desc);
      }
      tr.appendChild(name);
      cell(tr, fmtCount(r[TAGS]), 'num');
      cell(tr, fmtBytes(r[SIZE]), 'num');
      cell(tr, fmtCount(r[PULLS]), 'num');
      cell(tr, fmtTime(r[UPD]));
      cell(tr, fmtPublic(r[PUB]));
      fragment.appendChild(tr);
      if (state.open[i]) {
        var detail = document.createElement('tr');
        detail.className = 'detail';
        var td = document.createElement('td');
        td.colSpan = 8;
        td.appendChild(tagTable(r));
        detail.appendChild(td);
        fragment.appendChild(detail);
      }
    }
    tbody.replaceChildren(fragment);
    if (view.length === 0) {
      var empty = tbody.insertRow();
      var td0 = empty.insertCell();
      td0.colSpan = 8;
      td0.id = 'no-match';
      td0.textContent = rows.length ? 'No repository matches.' : 'No repositories were listed.';
    }
    status.textContent = (view.length ? 'Rows ' + fmtCount(start + 1) + '\u2013' + fmtCount(end) : 'No rows') +
      ' of ' + fmtCount(view.length) +
      (view.length === rows.length ? ' repositories' : ' matching (of ' + fmtCount(rows.length) + ' repositories)') +
      '; page ' + (state.page + 1) + ' of ' + pages + '.';
    status.dataset.shown = String(end - start);
    status.dataset.matching = String(view.length);
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    var heads = document.querySelectorAll('#repo-table thead th');
    for (var h = 0; h < heads.length; h++) {
      var b = heads[h].querySelector('button');
      heads[h].setAttribute('aria-sort', b && b.dataset.sort === state.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  function update() { recompute(); render(); }

  data.sources.forEach(function (name, i) {
    var option = document.createElement('option');
    option.value = String(i);
    option.textContent = name;
    sourceSelect.appendChild(option);
  });
  filterInput.addEventListener('input', function () { state.filter = filterInput.value; state.page = 0; update(); });
  sourceSelect.addEventListener('change', function () { state.source = sourceSelect.value; state.page = 0; update(); });
  sizeSelect.addEventListener('change', function () { state.size = Number(sizeSelect.value); state.page = 0; render(); });
  prev.addEventListener('click', function () { state.page = Math.max(0, state.page - 1); render(); });
  next.addEventListener('click', function () { state.page += 1; render(); });
  document.querySelector('#repo-table thead').addEventListener('click', function (e) {
    var b = e.target.closest('button[data-sort]');
    if (!b) { return; }
    if (state.key === b.dataset.sort) { state.dir = -state.dir; } else { state.key = b.dataset.sort; state.dir = 1; }
    state.page = 0;
    update();
  });
  tbody.addEventListener('click', function (e) {
    var b = e.target.closest('button.expand');
    if (!b) { return; }
    var i = Number(b.dataset.index);
    if (state.open[i]) { delete state.open[i]; } else { state.open[i] = true; }
    render();
  });
  document.getElementById('table-controls').hidden = false;
  update();
  document.body.dataset.readyMs = String(Math.round(performance.now()));

  // `#selftest`: drive the table as a person would and write what happened into the page, for
  // the browser test (which reads the DOM after the script ran).
  function selfTest() {
    var checks = [];
    function check(name, ok, detail) { checks.push({ name: name, ok: !!ok, detail: detail === undefined ? '' : String(detail) }); }
    function shown() { return Array.prototype.slice.call(tbody.querySelectorAll('tr.repo')); }
    function sortBy(key) { document.querySelector('button[data-sort="' + key + '"]').click(); }
    function input(value) { filterInput.value = value; filterInput.dispatchEvent(new Event('input')); }

    check('all rows counted', Number(status.dataset.matching) === rows.length, status.dataset.matching);
    check('one page rendered', shown().length === Math.min(rows.length, state.size), shown().length);
    sortBy('size');
    sortBy('size');
    var sizes = shown().map(function (tr) { return tr.dataset.size === '' ? -1 : Number(tr.dataset.size); });
    var max = rows.reduce(function (m, r) { return Math.max(m, r[SIZE] === null ? -1 : r[SIZE]); }, -1);
    check('size descending', sizes.every(function (s, i) { return i === 0 || sizes[i - 1] >= s; }) && sizes[0] === max &&
      document.querySelector('button[data-sort="size"]').parentNode.getAttribute('aria-sort') === 'descending', sizes.slice(0, 5));
    sortBy('name');
    var names = shown().map(function (tr) { return fullName(rows[Number(tr.dataset.index)]); });
    check('name ascending', names.every(function (n, i) { return i === 0 || names[i - 1] <= n; }), names.slice(0, 3));
    var target = rows.length ? fullName(rows[rows.length - 1]) : '';
    input(target.toUpperCase());
    var needle = target.toLowerCase();
    var expected = rows.filter(function (r) {
      return (data.sources[r[SRC]] + ' ' + fullName(r) + ' ' + (r[DESC] || '')).toLowerCase().indexOf(needle) >= 0;
    }).length;
    var matched = shown().map(function (tr) { return rows[Number(tr.dataset.index)]; });
    check('filter keeps matches only', matched.length >= 1 && Number(status.dataset.matching) === expected &&
      matched.every(function (r) { return (fullName(r) + ' ' + (r[DESC] || '')).toLowerCase().indexOf(needle) >= 0; }), expected);
    input('\u0000no such repository\u0000');
    check('filter can match nothing', shown().length === 0 && document.getElementById('no-match') !== null, status.textContent);
    input('');
    check('clearing the filter shows every row', Number(status.dataset.matching) === rows.length, status.dataset.matching);
    var withTags = shown().filter(function (tr) { var t = rows[Number(tr.dataset.index)][TAGROWS]; return t && t.length; })[0];
    if (withTags) {
      var r = rows[Number(withTags.dataset.index)];
      withTags.querySelector('button.expand').click();
      var detail = tbody.querySelector('tr.detail');
      check('expanding shows the tags', detail !== null && detail.querySelectorAll(':scope table > tbody > tr').length === Math.min(r[TAGROWS].length, 500), r[TAGROWS].length);
    }
    if (rows.length > state.size) {
      next.click();
      check('next page', status.textContent.indexOf('Rows ' + fmtCount(state.size + 1)) === 0, status.textContent);
      prev.click();
    }
    var result = document.createElement('pre');
    result.id = 'selftest-result';
    var ok = checks.every(function (c) { return c.ok; });
    result.dataset.ok = String(ok);
    result.textContent = JSON.stringify(checks);
    document.body.appendChild(result);
  }
  if (location.hash === '#selftest') { selfTest(); }
}());
