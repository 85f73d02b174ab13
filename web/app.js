// powertrain serve: the dashboard's charts and live updates.
// Plain ES2017, no build step, no modules, no eval, no inline handlers (the pages set a strict CSP).
// The server renders every page; this script only fills the empty chart containers and tables:
//   /runs       enables the "compare" button when exactly two runs are checked
//   /runs/ID    power, energy-per-epoch and metric charts and the epochs table, live over SSE while running
//   /compare    energy and validation metric per epoch of two runs, overlaid
// Charts are drawn by uPlot (web/vendor/, see scripts/update-web-assets.sh).
// Instrumentation for tests/web/dashboard_test.mjs: each chart container carries data-points
// (finite points plotted); #power-chart also carries data-live-events (SSE events received).
(function () {
  'use strict';

  var CHART_HEIGHT_PX = 300;
  var SAMPLE_PAGES_MAX = 1000;       // stops a /samples paging loop that makes no progress
  var RECONNECT_DELAY_MS = 3000;     // wait before reopening a broken event stream,
  var RECONNECT_DELAY_MAX_MS = 30000; // doubling up to this while it keeps failing
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

  // ---- small helpers -------------------------------------------------------------------------

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('GET ' + url + ': HTTP ' + r.status);
      return r.json();
    });
  }

  // Returns v formatted with `digits` significant digits, or an en dash for null/unknown.
  function fmtSig(v, digits) {
    if (!isNum(v)) return '\u2013';
    if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7)) return v.toExponential(digits - 1);
    return String(Number(v.toPrecision(digits)));
  }

  // Returns v with a fixed number of decimals, or an en dash for null/unknown.
  function fmtFixed(v, decimals) { return isNum(v) ? v.toFixed(decimals) : '\u2013'; }

  function color(i) { return PALETTE[i % PALETTE.length]; }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Returns uPlot's aligned data [xs, ys1, ys2, …] from series given as {x: [...], y: [...]}.
  // A series without a point at some x gets `undefined` there (uPlot spans it: no gap);
  // a null y stays null (uPlot draws a gap).
  function alignSeries(list) {
    var seen = new Map();
    list.forEach(function (s) { s.x.forEach(function (x) { if (isNum(x)) seen.set(x, true); }); });
    var xs = Array.from(seen.keys()).sort(function (a, b) { return a - b; });
    var row = new Map();
    xs.forEach(function (x, i) { row.set(x, i); });
    var data = [xs];
    list.forEach(function (s) {
      var ys = new Array(xs.length);
      for (var i = 0; i < s.x.length; i++) {
        if (row.has(s.x[i])) ys[row.get(s.x[i])] = isNum(s.y[i]) ? s.y[i] : null;
      }
      data.push(ys);
    });
    return data;
  }

  // Returns the number of finite (x, y) points in uPlot data.
  function countPoints(data) {
    var n = 0;
    var xs = data[0] || [];
    for (var s = 1; s < data.length; s++) {
      var ys = data[s];
      for (var i = 0; i < xs.length; i++) if (isNum(xs[i]) && isNum(ys[i])) n++;
    }
    return n;
  }

  // ---- Chart: one container, one uPlot, data-points kept current -------------------------------

  // makeOptions(width, height) returns the uPlot options for the current series; a chart whose
  // series change (a new power component) is rebuilt.
  function Chart(container, makeOptions) {
    this.container = container;
    this.makeOptions = makeOptions;
    this.plot = null;
    this.seriesKey = '';
    this.data = null;
    container.setAttribute('data-points', '0');
    this.showMessage('no data yet', 'chart-empty');
    Chart.all.push(this);
  }
  Chart.all = [];

  Chart.prototype.width = function () {
    return Math.max(200, Math.floor(this.container.clientWidth || this.container.getBoundingClientRect().width || 600));
  };

  Chart.prototype.showMessage = function (text, className) {
    if (this.plot) { this.plot.destroy(); this.plot = null; this.seriesKey = ''; }
    this.container.textContent = '';
    this.container.appendChild(el('p', 'chart-message ' + className, text));
  };

  Chart.prototype.showError = function (err) {
    this.container.setAttribute('data-points', '0');
    this.showMessage('Could not load the data: ' + (err && err.message ? err.message : String(err)), 'chart-error');
  };

  // Draws data ([xs, ys…]); seriesKey names the series so that a change of series rebuilds the plot.
  Chart.prototype.set = function (data, seriesKey) {
    var points = countPoints(data);
    this.data = data;
    this.container.setAttribute('data-points', String(points));
    if (points === 0) {
      if (this.plot || !this.container.querySelector('.chart-empty')) this.showMessage('no data yet', 'chart-empty');
      return;
    }
    if (typeof uPlot === 'undefined') {
      this.container.setAttribute('data-points', '0');
      this.showMessage('The charting library (uPlot) did not load.', 'chart-error');
      return;
    }
    if (this.plot && this.seriesKey === seriesKey) {
      this.plot.setData(data);
      return;
    }
    if (this.plot) this.plot.destroy();
    this.container.textContent = '';
    this.seriesKey = seriesKey;
    this.plot = new uPlot(this.makeOptions(this.width(), CHART_HEIGHT_PX), data, this.container);
  };

  Chart.prototype.resize = function () {
    if (this.plot) this.plot.setSize({ width: this.width(), height: CHART_HEIGHT_PX });
  };

  function watchResize() {
    var pending = 0;
    function resizeAll() { pending = 0; Chart.all.forEach(function (c) { c.resize(); }); }
    function schedule() { if (!pending) pending = window.requestAnimationFrame(resizeAll); }
    if (typeof ResizeObserver !== 'undefined') {
      var ro = new ResizeObserver(schedule);
      Chart.all.forEach(function (c) { ro.observe(c.container); });
    }
    window.addEventListener('resize', schedule);
  }

  // ---- uPlot option builders -------------------------------------------------------------------

  function valueFormatter(digits, unit) {
    return function (u, v) { return isNum(v) ? fmtSig(v, digits) + (unit ? ' ' + unit : '') : '\u2013'; };
  }

  function axis(label, extra) {
    var a = { label: label, stroke: '#444', grid: { stroke: '#e6e6e6', width: 1 }, ticks: { stroke: '#ccc', width: 1 } };
    if (extra) Object.keys(extra).forEach(function (k) { a[k] = extra[k]; });
    return a;
  }

  // x axis of epoch charts: whole epochs only, with half an epoch of room on each side (bars fit).
  function epochScale() {
    return {
      time: false,
      range: function (u, min, max) {
        if (!isNum(min) || !isNum(max)) return [0, 1];
        return [Math.floor(min) - 0.5, Math.ceil(max) + 0.5];
      }
    };
  }
  function epochAxis() {
    return axis('epoch', {
      incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? String(v) : ''; }); }
    });
  }

  function lineSeries(label, i, scale, digits, unit, extra) {
    var s = {
      label: label, scale: scale, stroke: color(i), width: 1.5, spanGaps: false,
      points: { show: true, size: 5 }, value: valueFormatter(digits, unit)
    };
    if (extra) Object.keys(extra).forEach(function (k) { s[k] = extra[k]; });
    return s;
  }

  // ---- /runs: the compare button --------------------------------------------------------------

  function initRunsPage() {
    var table = document.getElementById('runs');
    var button = document.getElementById('compare-button');
    if (!table || !button) return;
    if (button.getAttribute('type') === null) button.setAttribute('type', 'button');
    function checked() {
      return Array.prototype.slice.call(table.querySelectorAll('input[type="checkbox"][name="compare"]:checked'))
        .map(function (c) { return c.value; });
    }
    function update() {
      var n = checked().length;
      button.disabled = n !== 2;
      button.title = n === 2 ? 'Compare the two checked runs' : 'Check exactly two runs to compare them';
    }
    table.addEventListener('change', update);
    button.addEventListener('click', function (ev) {
      ev.preventDefault();
      var ids = checked();
      if (ids.length !== 2) return;
      window.location.href = '/compare?a=' + encodeURIComponent(ids[0]) + '&b=' + encodeURIComponent(ids[1]);
    });
    update();
  }

  // ---- /runs/ID: one run, live while it runs ----------------------------------------------------

  function initRunPage(section) {
    var runId = section.getAttribute('data-run-id');
    var api = '/api/runs/' + encodeURIComponent(runId);
    var statusEl = document.getElementById('run-status');
    var powerEl = document.getElementById('power-chart');
    var energyEl = document.getElementById('epoch-energy-chart');
    var metricEl = document.getElementById('metric-chart');
    var epochsBody = document.querySelector('#epochs tbody');

    // State: samples per component (oldest first), epochs by number.
    var components = [];             // names in order of first appearance
    var samples = new Map();         // component -> {x: [t_s], y: [power_w]}
    var epochs = new Map();          // epoch -> epoch object
    var liveEvents = 0;
    var source = null;
    var finished = false;

    if (powerEl) powerEl.setAttribute('data-live-events', '0');

    var powerChart = powerEl && new Chart(powerEl, function (width, height) {
      return {
        width: width, height: height,
        scales: { x: { time: false }, W: { range: function (u, min, max) { return [0, isNum(max) && max > 0 ? max * 1.1 : 1]; } } },
        axes: [axis('time since start (s)'), axis('power (W)', { scale: 'W' })],
        series: [{ label: 't (s)', value: valueFormatter(6, 's') }].concat(components.map(function (c, i) {
          return { label: c, scale: 'W', stroke: color(i), width: 1.5, spanGaps: false, points: { show: false }, value: valueFormatter(4, 'W') };
        }))
      };
    });
    var energyChart = energyEl && new Chart(energyEl, function (width, height) {
      var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 80] }) : null;
      var s = { label: 'energy', scale: 'J', stroke: color(0), fill: 'rgba(31,119,180,0.35)', width: 1, value: valueFormatter(4, 'J') };
      if (bars) { s.paths = bars; s.points = { show: false }; } else { s.points = { show: true, size: 7 }; }
      return {
        width: width, height: height,
        scales: { x: epochScale(), J: { range: function (u, min, max) { return [0, isNum(max) && max > 0 ? max * 1.1 : 1]; } } },
        axes: [epochAxis(), axis('energy (J)', { scale: 'J' })],
        series: [{ label: 'epoch' }, s]
      };
    });
    var metricChart = metricEl && new Chart(metricEl, function (width, height) {
      return {
        width: width, height: height,
        scales: { x: epochScale(), metric: {}, loss: {} },
        axes: [epochAxis(), axis('val metric', { scale: 'metric' }), axis('loss', { scale: 'loss', side: 1, grid: { show: false } })],
        series: [
          { label: 'epoch' },
          lineSeries('val metric', 2, 'metric', 4, ''),
          lineSeries('train loss', 0, 'loss', 4, '', { dash: [6, 4] }),
          lineSeries('val loss', 1, 'loss', 4, '')
        ]
      };
    });
    watchResize();

    function lastT(component) {
      var s = samples.get(component);
      return s && s.x.length ? s.x[s.x.length - 1] : -Infinity;
    }
    function lastTAll() {
      var t = -Infinity;
      samples.forEach(function (s, c) { t = Math.max(t, lastT(c)); });
      return t;
    }
    function lastEpoch() {
      var e = 0;
      epochs.forEach(function (v, k) { if (k > e) e = k; });
      return e;
    }

    // Appends samples, ignoring any at or before the last t_s already held for its component
    // (the server may send them again after a reconnect). Returns whether anything was added.
    function addSamples(list) {
      var added = false;
      (list || []).forEach(function (p) {
        if (!p || !isNum(p.t_s) || typeof p.component !== 'string') return;
        if (!samples.has(p.component)) { samples.set(p.component, { x: [], y: [] }); components.push(p.component); }
        if (p.t_s <= lastT(p.component)) return;
        var s = samples.get(p.component);
        s.x.push(p.t_s);
        s.y.push(isNum(p.power_w) ? p.power_w : null);
        added = true;
      });
      return added;
    }
    function addComponents(names) {
      (names || []).forEach(function (c) {
        if (typeof c === 'string' && !samples.has(c)) { samples.set(c, { x: [], y: [] }); components.push(c); }
      });
    }
    function addEpoch(e) {
      if (!e || !isNum(e.epoch)) return false;
      epochs.set(e.epoch, e);
      return true;
    }

    function drawPower() {
      if (!powerChart) return;
      powerChart.set(alignSeries(components.map(function (c) { return samples.get(c); })), components.join('\n'));
    }
    function sortedEpochs() {
      return Array.from(epochs.values()).sort(function (a, b) { return a.epoch - b.epoch; });
    }
    function drawEpochs() {
      var list = sortedEpochs();
      var xs = list.map(function (e) { return e.epoch; });
      function col(k) { return list.map(function (e) { return isNum(e[k]) ? e[k] : null; }); }
      if (energyChart) energyChart.set([xs, col('energy_j')], 'energy');
      if (metricChart) metricChart.set([xs, col('val_metric'), col('train_loss'), col('val_loss')], 'metric');
      if (epochsBody) fillEpochsTable(epochsBody, list);
    }

    function setStatus(status) {
      if (typeof status !== 'string' || !status) return;
      section.setAttribute('data-status', status);
      if (statusEl) {
        statusEl.textContent = status;
        statusEl.className = 'status status-' + status.replace(/[^a-z0-9_-]/gi, '-');
      }
      // The "live" notes the server rendered for a running run no longer apply.
      if (status !== 'running') {
        Array.prototype.forEach.call(section.querySelectorAll('.live'), function (e) { e.hidden = true; });
      }
    }

    function countLiveEvent() {
      liveEvents++;
      retryDelayMs = RECONNECT_DELAY_MS;
      if (powerEl) powerEl.setAttribute('data-live-events', String(liveEvents));
    }

    function parse(ev) {
      try { return JSON.parse(ev.data); } catch (e) { return null; }
    }

    function openEvents() {
      if (finished || typeof EventSource === 'undefined') return;
      var t = lastTAll();
      var url = api + '/events?after_s=' + encodeURIComponent(isNum(t) ? String(t) : '-1') +
        '&after_epoch=' + encodeURIComponent(String(lastEpoch()));
      source = new EventSource(url);
      source.addEventListener('samples', function (ev) {
        countLiveEvent();
        var d = parse(ev);
        if (d && addSamples(d.samples)) drawPower();
      });
      source.addEventListener('epoch', function (ev) {
        countLiveEvent();
        if (addEpoch(parse(ev))) drawEpochs();
      });
      source.addEventListener('status', function (ev) {
        countLiveEvent();
        var d = parse(ev);
        if (d && d.status) setStatus(d.status);
        if (!d || d.status !== 'running') { finish(); refreshFacts(); }
      });
      // The stream broke, or the server ended it (its time limit, or an `event: error` it sent):
      // the browser would reconnect with the old after_s, so reopen with the current one instead.
      source.onerror = function (ev) {
        if (ev && typeof ev.data === 'string' && ev.data && window.console) console.warn('powertrain: live stream: ' + ev.data);
        if (finished || !source) return;
        source.close();
        source = null;
        scheduleReconnect();
      };
    }

    var retryDelayMs = RECONNECT_DELAY_MS;
    function scheduleReconnect() {
      var delay = retryDelayMs;
      retryDelayMs = Math.min(retryDelayMs * 2, RECONNECT_DELAY_MAX_MS);
      window.setTimeout(function () {
        if (finished) return;
        refreshThenListen().catch(function (err) {
          // Keep what is drawn; try again later.
          if (window.console) console.warn('powertrain: reconnecting: ' + (err && err.message ? err.message : err));
          scheduleReconnect();
        });
      }, delay);
    }

    // The run ended while the page was open: take its final facts (duration, energy, CO2e)
    // and its windows table from the server-rendered page, without reloading the charts.
    function refreshFacts() {
      fetch(window.location.pathname, { headers: { 'Accept': 'text/html' } })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, 'text/html');
          var oldFacts = section.querySelector('dl.facts');
          var newFacts = fresh.querySelector('#run dl.facts');
          if (oldFacts && newFacts) oldFacts.replaceWith(document.importNode(newFacts, true));
          var newWindows = fresh.getElementById('windows');
          if (newWindows && !document.getElementById('windows')) {
            var wrap = newWindows.closest('.table-wrap') || newWindows;
            var heading = wrap.previousElementSibling;
            if (heading && heading.tagName === 'H2') section.appendChild(document.importNode(heading, true));
            section.appendChild(document.importNode(wrap, true));
          }
        })
        .catch(function (err) {
          if (window.console) console.warn('powertrain: refreshing the facts: ' + (err && err.message ? err.message : err));
        });
    }

    function finish() {
      finished = true;
      if (source) { source.close(); source = null; }
    }

    // Fetches the samples after `after` page by page (at most 5000 a page) while the server says `more`.
    function fetchSamples(after, pages) {
      var url = api + '/samples' + (isNum(after) ? '?after_s=' + encodeURIComponent(String(after)) : '');
      return fetchJson(url).then(function (d) {
        addSamples(d.samples);
        var list = d.samples || [];
        var last = list.length ? list[list.length - 1].t_s : null;
        if (d.more && isNum(last) && (!isNum(after) || last > after) && pages < SAMPLE_PAGES_MAX) {
          return fetchSamples(last, pages + 1);
        }
        return d.status || null;
      });
    }

    // Loads (or reloads, after a broken stream) the run and its samples, then listens while it runs.
    function refreshThenListen() {
      var t = lastTAll();
      return Promise.all([
        fetchJson(api),
        fetchSamples(isNum(t) ? t : undefined, 0)
      ]).then(function (res) {
        var d = res[0] || {};
        addComponents(d.components);
        (d.epochs || []).forEach(addEpoch);
        drawPower();
        drawEpochs();
        var status = (d.run && d.run.status) || res[1] || section.getAttribute('data-status');
        setStatus(status);
        if (status === 'running') openEvents(); else finish();
      });
    }

    refreshThenListen().catch(function (err) {
      if (window.console) console.warn('powertrain: ' + (err && err.message ? err.message : err));
      [powerChart, energyChart, metricChart].forEach(function (c) { if (c) c.showError(err); });
      if (epochsBody) {
        epochsBody.textContent = '';
        var tr = el('tr');
        var td = el('td', 'chart-error', 'Could not load the epochs: ' + (err && err.message ? err.message : err));
        td.colSpan = 9;
        tr.appendChild(td);
        epochsBody.appendChild(tr);
      }
    });
  }

  // The run's training energy when it stops, as forecast after an epoch: "1600 (1200-2100) by epoch 16".
  function forecastText(m) {
    if (!m || !isNum(m.forecast_energy_j)) return '\u2013';
    var text = fmtSig(m.forecast_energy_j, 3);
    if (isNum(m.forecast_energy_low_j) && isNum(m.forecast_energy_high_j)) {
      text += ' (' + fmtSig(m.forecast_energy_low_j, 3) + '\u2013' + fmtSig(m.forecast_energy_high_j, 3) + ')';
    }
    if (isNum(m.forecast_stop_epoch)) text += ' by epoch ' + m.forecast_stop_epoch;
    return text;
  }

  function fillEpochsTable(tbody, list) {
    var frag = document.createDocumentFragment();
    list.forEach(function (e) {
      var tr = el('tr');
      tr.setAttribute('data-epoch', String(e.epoch));
      [
        [String(e.epoch), 'num'],
        [fmtSig(e.train_loss, 4), 'num'],
        [fmtSig(e.val_loss, 4), 'num'],
        [fmtSig(e.val_metric, 4), 'num'],
        [fmtSig(e.lr, 3), 'num'],
        [fmtFixed(e.duration_s, 1), 'num'],
        [fmtSig(e.energy_j, 4), 'num'],
        [e.energy_provenance || '\u2013', 'provenance'],
        [fmtFixed(e.avg_power_w, 1), 'num'],
        [forecastText(e.metrics), 'num']
      ].forEach(function (cell) { tr.appendChild(el('td', cell[1], cell[0])); });
      frag.appendChild(tr);
    });
    tbody.textContent = '';
    tbody.appendChild(frag);
  }

  // ---- /compare: two runs overlaid ---------------------------------------------------------------

  function initComparePage(section) {
    var ids = [section.getAttribute('data-run-a'), section.getAttribute('data-run-b')];
    var energyEl = document.getElementById('compare-energy-chart');
    var metricEl = document.getElementById('compare-metric-chart');
    var labels = ['run ' + ids[0], 'run ' + ids[1]];

    function options(scale, yLabel, digits, unit) {
      return function (width, height) {
        return {
          width: width, height: height,
          scales: { x: epochScale() },
          axes: [epochAxis(), axis(yLabel, { scale: scale })],
          series: [{ label: 'epoch' }, lineSeries(labels[0], 0, scale, digits, unit), lineSeries(labels[1], 1, scale, digits, unit)]
        };
      };
    }
    var energyChart = energyEl && new Chart(energyEl, options('J', 'energy per epoch (J)', 4, 'J'));
    var metricChart = metricEl && new Chart(metricEl, options('metric', 'val metric', 4, ''));
    watchResize();

    Promise.all(ids.map(function (id) { return fetchJson('/api/runs/' + encodeURIComponent(id)); })).then(function (runs) {
      runs.forEach(function (d, i) {
        var name = d && d.run && d.run.name;
        labels[i] = 'run ' + ids[i] + (name ? ' ' + name : '');
      });
      function series(k) {
        return runs.map(function (d) {
          var list = ((d && d.epochs) || []).slice().sort(function (a, b) { return a.epoch - b.epoch; });
          return { x: list.map(function (e) { return e.epoch; }), y: list.map(function (e) { return e[k]; }) };
        });
      }
      if (energyChart) energyChart.set(alignSeries(series('energy_j')), labels.join('\n'));
      if (metricChart) metricChart.set(alignSeries(series('val_metric')), labels.join('\n'));
    }).catch(function (err) {
      if (window.console) console.warn('powertrain: ' + (err && err.message ? err.message : err));
      [energyChart, metricChart].forEach(function (c) { if (c) c.showError(err); });
    });
  }

  // ---- entry point ---------------------------------------------------------------------------------

  function main() {
    initRunsPage();
    var run = document.getElementById('run');
    if (run && run.hasAttribute('data-run-id')) initRunPage(run);
    var compare = document.getElementById('compare');
    if (compare && compare.hasAttribute('data-run-a')) initComparePage(compare);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
