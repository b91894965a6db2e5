// orderflow dashboard: one page, ten views, live over GET /live (server-sent events read with
// fetch, so the bearer token travels in a header). Charts: ECharts (embedded, from npm).
'use strict';

const S = {
  token: sessionStorage.getItem('orderflow-token') || '',
  settings: null,        // GET /settings
  pairs: [],             // [{venue, symbol}]
  symbol: null,
  venue: null,
  page: null,            // current view object
  stream: null,          // AbortController of the live stream
  charts: [],            // ECharts instances of the view
  timers: [],
  last: null,            // latest snapshot
  lastAt: 0,             // when it arrived (ms)
  cache: {},             // catalogue answers
};

class ApiError extends Error {
  constructor(status, message, code) { super(message); this.status = status; this.code = code; }
}

const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fmt(v, digits) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return esc(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (digits !== undefined) return v.toFixed(digits);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(3);
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return v.toPrecision(5).replace(/\.?0+$/, '') || '0';
}
const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);
const timeOf = (ns) => new Date(Number(ns) / 1e6).toISOString().slice(11, 19);

function authHeaders(extra) {
  const h = Object.assign({}, extra || {});
  if (S.token) h.Authorization = `Bearer ${S.token}`;
  return h;
}

async function api(path, opts = {}) {
  const init = { method: opts.method || 'GET', headers: authHeaders() };
  if (opts.body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (r.status === 401) {
    showLogin(S.token ? 'the token was refused' : '');
    throw new ApiError(401, 'a bearer token is required', 'unauthorized');
  }
  if (!r.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(r.status, err.message || String(text).slice(0, 200), err.code);
  }
  return data;
}
const tool = (name, args) => api(`/tools/${encodeURIComponent(name)}`, { body: args || {} });

// Rows of a tabular tool answer ({columns, rows}) as objects.
function rowsOf(res) {
  if (!res || !Array.isArray(res.rows)) return [];
  return res.rows.map((r) => (Array.isArray(r) ? Object.fromEntries(res.columns.map((c, i) => [c, r[i]])) : r));
}

// ---------- layout helpers ----------
function panel(title, body, freshKey) {
  return `<section class="panel"><h3><span>${esc(title)}</span>${freshKey ? `<span class="fresh" data-fresh="${freshKey}">waiting for data…</span>` : ''}</h3>${body}</section>`;
}
function notice(msg) { return `<div class="notice">${esc(msg)}</div>`; }
function setHTML(sel, html) { const el = $(sel); if (el) el.innerHTML = html; }
function table(cols, rows) {
  return `<table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="num">${fmt(c)}</td>` : `<td>${c ?? '–'}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;
}
// Freshness of a panel: the age of its data (ms) as the server reported it, when it arrived.
const freshness = {};
function fresh(key, ageMs) { freshness[key] = { ageMs: ageMs ?? 0, at: Date.now() }; paintFresh(); }
function paintFresh() {
  document.querySelectorAll('[data-fresh]').forEach((el) => {
    const f = freshness[el.dataset.fresh];
    if (!f) return;
    const age = f.ageMs + (Date.now() - f.at);
    el.textContent = `data age ${fmtMs(age)}`;
    el.classList.toggle('stale', age > 10000);
  });
}
function chart(sel) {
  const el = $(sel);
  if (!el || !window.echarts) return null;
  const c = window.echarts.init(el, 'dark', { renderer: 'canvas' });
  S.charts.push(c);
  return c;
}
const BASE = { backgroundColor: 'transparent', animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' } };
function setConn(kind, text) { const el = $('#conn'); el.className = `pill ${kind}`; el.textContent = text; }

// ---------- login ----------
function showLogin(msg) {
  $('#login').hidden = false;
  $('#login-error').textContent = msg || '';
  $('#token').focus();
}
$('#login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  S.token = $('#token').value.trim();
  sessionStorage.setItem('orderflow-token', S.token);
  $('#login').hidden = true;
  boot();
});

// ---------- live stream ----------
function closeStream() { if (S.stream) { S.stream.abort(); S.stream = null; } }
async function openStream(topics) {
  closeStream();
  const ctl = new AbortController();
  S.stream = ctl;
  const all = Array.from(new Set(['status', ...topics]));
  const qs = new URLSearchParams({ topics: all.join(','), interval_ms: '1000' });
  if (S.symbol) qs.set('symbol', S.symbol);
  if (S.venue) qs.set('venue', S.venue);
  let backoff = 1000;
  while (!ctl.signal.aborted) {
    try {
      const r = await fetch(`/live?${qs}`, { headers: authHeaders(), signal: ctl.signal });
      if (r.status === 401) { showLogin('the token was refused'); return; }
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        setConn('bad', `live: ${(body.error && body.error.message) || r.status}`);
      } else {
        backoff = 1000;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let ev = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) ev = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (ev === 'snapshot' && data.length && S.stream === ctl) onSnapshot(JSON.parse(data.join('\n')));
          }
        }
        if (!ctl.signal.aborted) setConn('warn', 'live stream ended; reconnecting');
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      setConn('bad', 'live stream lost; reconnecting');
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 15000);
  }
}

function onSnapshot(snap) {
  S.last = snap;
  S.lastAt = Date.now();
  pushRates(snap);
  const st = snap.topics.status;
  if (st) {
    const up = st.venues.filter((v) => v.connected).length;
    setConn(up === st.venues.length ? 'ok' : 'warn', `live · ${up}/${st.venues.length} venues`);
    $('#clock').textContent = `${timeOf(snap.time_ns)} UTC · ${st.engine.events.toLocaleString('en-US')} events`;
  }
  if (S.page && S.page.update) {
    try { S.page.update(snap); } catch (e) { console.warn('view update failed', e); }
  }
  document.querySelectorAll('[data-error]').forEach((el) => {
    const msg = (snap.errors || {})[el.dataset.error];
    el.innerHTML = msg ? `<p class="error">${esc(msg)}</p>` : '';
  });
  paintFresh();
}

// ---------- views ----------
const rateHistory = [];
function pushRates(snap) {
  const st = snap.topics.status;
  if (!st) return;
  rateHistory.push({ t: Number(snap.time_ns) / 1e6, v: Object.fromEntries(st.venues.map((v) => [v.venue, v.msgs_per_sec])) });
  while (rateHistory.length > 600) rateHistory.shift();
}
function rateChart(c) {
  if (!c || !rateHistory.length) return;
  const venues = Object.keys(rateHistory[rateHistory.length - 1].v);
  c.setOption({
    ...BASE, tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid: { left: 50, right: 16, top: 32, bottom: 30 },
    xAxis: { type: 'time' }, yAxis: { type: 'value' },
    series: venues.map((v) => ({ name: v, type: 'line', showSymbol: false, data: rateHistory.map((p) => [p.t, p.v[v] ?? null]) })),
  }, { replaceMerge: ['series'] });
}

function venueRows(st) {
  return st.venues.map((v) => [
    `<span class="pill ${v.connected ? 'ok' : 'bad'}">${v.connected ? 'up' : 'down'}</span> ${esc(v.venue)}`,
    v.msgs_per_sec, fmtMs(v.last_message_age_ms), v.events, v.gaps, v.resyncs, v.reconnects, v.decode_errors,
  ]);
}

const views = {};

views.overview = {
  title: 'Overview',
  topics: [],
  render(root) {
    root.innerHTML = `<div class="grid" id="kpis"></div>
      ${panel('Venues', '<div id="venues" class="scroll"></div>', 'status')}
      ${panel('Messages per second', '<div id="rates" class="chart"></div>')}`;
    this.c = chart('#rates');
  },
  update(snap) {
    const st = snap.topics.status;
    if (!st) return;
    const up = st.venues.filter((v) => v.connected).length;
    const rate = st.venues.reduce((a, v) => a + (v.msgs_per_sec || 0), 0);
    const ages = st.venues.map((v) => v.last_message_age_ms).filter((a) => typeof a === 'number');
    const freshest = ages.length ? Math.min(...ages) : null;
    const oldest = ages.length ? Math.max(...ages) : null;
    const lm = st.engine.last_minute_latency_us.samples ? st.engine.last_minute_latency_us : st.engine.latency_us;
    const lmLabel = st.engine.last_minute_latency_us.samples ? 'last minute' : 'since start';
    const kpi = (k, v, cls = '') => `<section class="panel"><h3>${esc(k)}</h3><div class="kpi ${cls}">${v}</div></section>`;
    setHTML('#kpis', [
      kpi('Venues connected', `${up} / ${st.venues.length}`, up === st.venues.length ? 'up' : 'down'),
      kpi('Symbols', `${new Set(S.pairs.map((p) => p.symbol)).size} (${S.pairs.length} pairs)`),
      kpi('Messages / s', fmt(rate, 0)),
      kpi('Events', st.engine.events.toLocaleString('en-US')),
      kpi(`Latency p50 / p99 (${lmLabel})`, `${fmt(lm.p50 / 1e3, 1)} / ${fmt(lm.p99 / 1e3, 1)} ms`),
      kpi('Last message (newest / oldest venue)', `${fmtMs(freshest)} / ${fmtMs(oldest)}`),
      kpi('Storage', st.storage ? `${st.storage.rows_written.toLocaleString('en-US')} rows` : 'off'),
      kpi('Uptime', fmtMs(st.uptime_s * 1000)),
    ].join(''));
    setHTML('#venues', table(['venue', 'msgs/s', 'last msg', 'events', 'gaps', 'resyncs', 'reconnects', 'decode errors'], venueRows(st)));
    fresh('status', freshest);
    rateChart(this.c);
  },
};

async function featureCatalogue() {
  if (!S.cache.features) S.cache.features = (await tool('list_features')).features;
  return S.cache.features;
}

views.features = {
  title: 'Institutional features',
  topics: ['features_all'],
  async render(root) {
    root.innerHTML = `<div class="controls"><label>group <select id="fgroup"></select></label>
      <span class="muted">colour: each feature scaled from its lowest (blue) to its highest (red) value across venues; hover for the value and definition</span></div>
      ${panel('Features × venues', '<div data-error="features_all"></div><div id="heat" class="chart tall"></div>', 'features_all')}`;
    const cat = await featureCatalogue();
    this.cat = cat;
    const groups = Array.from(new Set(cat.map((f) => f.group)));
    $('#fgroup').innerHTML = groups.map((g) => `<option>${esc(g)}</option>`).join('');
    $('#fgroup').addEventListener('change', () => this.last && this.update(this.last));
    this.c = chart('#heat');
  },
  update(snap) {
    const fa = snap.topics.features_all;
    if (!fa || !this.cat || !this.c) { this.last = snap; return; }
    this.last = snap;
    const group = $('#fgroup').value;
    const feats = this.cat.filter((f) => f.group === group);
    const venues = Object.keys(fa.venues);
    const data = [];
    feats.forEach((f, y) => {
      const vals = venues.map((v) => (fa.venues[v] ? fa.venues[v].values[f.name] : undefined));
      const nums = vals.filter((x) => typeof x === 'number' && Number.isFinite(x));
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      vals.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) return;
        data.push([i, y, hi > lo ? (x - lo) / (hi - lo) : 0.5, x]);
      });
    });
    const defs = feats;
    this.c.setOption({
      ...BASE,
      tooltip: {
        formatter: (p) => {
          const f = defs[p.value[1]];
          return `<b>${esc(f.name)}</b> · ${esc(venues[p.value[0]])}<br>value ${fmt(p.value[3])} ${esc(f.unit)}<br>window ${esc(f.window)}<br><span style="color:#9ab">${esc(f.formula)}</span>`;
        },
      },
      grid: { left: 230, right: 20, top: 10, bottom: 60 },
      xAxis: { type: 'category', data: venues, axisLabel: { rotate: 30 } },
      yAxis: { type: 'category', data: feats.map((f) => f.name), inverse: true },
      visualMap: { min: 0, max: 1, show: false, inRange: { color: ['#2c5d8a', '#3a3f47', '#a8433c'] } },
      series: [{ type: 'heatmap', data }],
    }, { replaceMerge: ['series'] });
    const h = Math.max(300, feats.length * 18 + 80);
    if ($('#heat').style.height !== `${h}px`) { $('#heat').style.height = `${h}px`; this.c.resize(); }
    const times = venues.map((v) => fa.venues[v] && fa.venues[v].time_ns).filter(Boolean).map(Number);
    fresh('features_all', times.length ? (Number(snap.time_ns) - Math.max(...times)) / 1e6 : 1e9);
  },
};

views.signals = {
  title: 'Signal aggregator',
  topics: ['signals'],
  async render(root) {
    root.innerHTML = `${panel('Recommendation', '<div data-error="signals"></div><div id="rec"></div>', 'signals')}
      <div class="gauges" id="gauges"></div>
      ${panel('Components', '<div id="comps" class="scroll"></div>')}`;
    if (!S.cache.signals) S.cache.signals = (await tool('list_signals')).signals;
    this.defs = Object.fromEntries(S.cache.signals.map((s) => [s.name, s]));
    $('#gauges').innerHTML = S.cache.signals.map((s) => `<div class="panel"><div class="gauge" id="g-${esc(s.name)}" title="${esc(s.formula)}"></div></div>`).join('');
    this.g = Object.fromEntries(S.cache.signals.map((s) => [s.name, chart(`#g-${s.name}`)]));
  },
  update(snap) {
    const t = snap.topics.signals;
    if (!t || !this.g) return;
    const v = t.venues[0];
    if (!v || !v.signals.length) { setHTML('#rec', notice((v && v.note) || 'no signals yet')); return; }
    const r = v.recommendation;
    const act = String(r.action || '').toLowerCase();
    const cls = /long|buy|bull/.test(act) ? 'up' : /short|sell|bear/.test(act) ? 'down' : '';
    setHTML('#rec', `<div class="kpi ${cls}">${esc(r.action)}</div>
      <p>direction ${fmt(r.direction, 3)} · strength ${fmt(r.strength, 3)} · confidence ${fmt(r.confidence, 2)}</p>
      <p>${(r.reasons || []).map(esc).join('<br>')}</p>
      ${r.conflicts && r.conflicts.length ? `<p class="muted">conflicts: ${r.conflicts.map((c) => esc(JSON.stringify(c))).join(', ')}</p>` : ''}`);
    const present = new Set(v.signals.map((s) => s.name));
    for (const [name, c] of Object.entries(this.g)) {
      if (present.has(name) || !c) continue;
      // A signal whose inputs are missing (e.g. no book yet) is absent from the answer.
      c.setOption({ ...BASE, title: { text: `${name.replace(/_/g, ' ')}: no value (inputs missing)`, left: 'center', top: 0, textStyle: { fontSize: 12, color: '#8593a3' } }, series: [] }, { replaceMerge: ['series'] });
    }
    for (const s of v.signals) {
      const c = this.g[s.name];
      if (!c) continue;
      const def = this.defs[s.name] || {};
      const directional = String(def.kind || '').toLowerCase().startsWith('dir');
      c.setOption({
        ...BASE,
        title: { text: s.name.replace(/_/g, ' '), left: 'center', top: 0, textStyle: { fontSize: 12 } },
        series: [{
          type: 'gauge', min: directional ? -1 : 0, max: 1, radius: '88%', center: ['50%', '62%'],
          startAngle: 200, endAngle: -20, splitNumber: directional ? 4 : 5, progress: { show: !directional },
          axisLine: { lineStyle: { width: 8, color: directional ? [[0.5, '#e5534b'], [1, '#2fbf71']] : [[1, '#4c9be8']] } },
          axisLabel: { fontSize: 9, distance: 12 }, splitLine: { length: 6 }, axisTick: { show: false },
          pointer: { width: 4 }, detail: { fontSize: 14, offsetCenter: [0, '35%'], formatter: (x) => x.toFixed(3) },
          title: { offsetCenter: [0, '62%'], fontSize: 10 },
          data: [{ value: s.value, name: `confidence ${fmt(s.confidence, 2)}` }],
        }],
      });
    }
    setHTML('#comps', table(['signal', 'value', 'confidence', 'components'], v.signals.map((s) => [
      esc(s.name), s.value, s.confidence, s.components.map(([k, x]) => `${esc(k)} ${fmt(x, 3)}`).join(' · '),
    ])));
    fresh('signals', v.age_ms);
  },
};

const SECONDS = { '10s': 10, '1m': 60, '5m': 300, '1h': 3600 };
const REGIMES = ['trending_up', 'trending_down', 'ranging', 'volatile', 'compression'];

views.regimes = {
  title: 'Regime analyzer',
  topics: ['regimes'],
  async render(root) {
    root.innerHTML = `${panel('Current regime', '<div data-error="regimes"></div><div id="now"></div>', 'regimes')}
      ${panel('Timeline (stored transitions)', '<div id="tl-note"></div><div id="tl" class="chart"></div>')}
      ${panel('Transitions', '<div id="trans" class="scroll"></div>')}`;
    this.c = chart('#tl');
    await this.loadHistory();
    S.timers.push(setInterval(() => this.loadHistory().catch(() => {}), 15000));
  },
  async loadHistory() {
    if (!S.settings.storage) { setHTML('#tl-note', notice('Storage is off: the regime history (DuckDB table regimes) is not recorded. Current regimes are shown above.')); return; }
    const sym = S.symbol.replace(/'/g, "''");
    let res;
    try {
      res = await tool('query_history', { sql: `SELECT ts_ns, venue, regime, previous, trend, vol_ratio FROM regimes WHERE symbol = '${sym}' ORDER BY ts_ns`, limit: 5000 });
    } catch (e) { setHTML('#tl-note', notice(`history unavailable: ${e.message}`)); return; }
    this.rows = rowsOf(res);
    setHTML('#tl-note', this.rows.length ? '' : notice('no transition stored yet (regimes are classified once the 15-minute windows have filled)'));
    this.draw();
  },
  draw() {
    if (!this.c || !this.rows) return;
    const byVenue = {};
    for (const r of this.rows) (byVenue[r.venue] = byVenue[r.venue] || []).push([Number(r.ts_ns) / 1e6, r.regime]);
    const now = S.last ? Number(S.last.time_ns) / 1e6 : Date.now();
    this.c.setOption({
      ...BASE, tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid: { left: 110, right: 16, top: 32, bottom: 30 },
      xAxis: { type: 'time' }, yAxis: { type: 'category', data: REGIMES },
      series: Object.entries(byVenue).map(([v, pts]) => ({ name: v, type: 'line', step: 'end', showSymbol: true, symbolSize: 5, data: [...pts, [now, pts[pts.length - 1][1]]] })),
    }, { replaceMerge: ['series'] });
    setHTML('#trans', table(['time', 'venue', 'from', 'to', 'trend', 'vol ratio'], this.rows.slice(-30).reverse().map((r) => [
      timeOf(r.ts_ns), esc(r.venue), esc(r.previous), esc(r.regime), r.trend, r.vol_ratio,
    ])));
  },
  update(snap) {
    const t = snap.topics.regimes;
    if (!t) return;
    const a = t.across_venues;
    setHTML('#now', `<p>Across venues: <b>${esc(a.regime || 'not classified')}</b> ${a.since_ns ? `since ${timeOf(a.since_ns)}` : esc(a.note || '')}</p>` +
      table(['venue', 'regime', 'since', 'trend', 'vol ratio'], t.venues.map((v) => [esc(v.venue), esc(v.regime || v.note), v.since_ns ? timeOf(v.since_ns) : '–', v.trend ?? null, v.vol_ratio ?? null])));
    const ev = t.venues.map((v) => v.evaluated_ns).filter(Boolean);
    fresh('regimes', ev.length ? (Number(snap.time_ns) - Math.max(...ev)) / 1e6 : 1e9);
    this.draw();
  },
};

views.forecast = {
  title: 'Forecasting studio',
  topics: ['features'],
  async render(root) {
    this.live = [];
    this.drawn = false;
    root.innerHTML = `<div class="controls">
        <label>model <select id="fmodel"><option value="">router (auto)</option></select></label>
        <label>bars <select id="fint"><option>10s</option><option>1m</option><option>5m</option><option>1h</option></select></label>
        <label>horizon <input id="fh" type="number" min="1" max="200" value="24" style="width:5em"></label>
        <button id="fgo">Forecast</button> <button id="fbt">Backtest</button>
        <span id="fmid" class="muted"></span></div>
      ${panel('Forecast with interval band', '<div id="fnote"></div><div id="fc" class="chart"></div>', 'forecast')}
      ${panel('Model and backtest', '<div id="fmeta"></div><div id="fbtres"></div>')}`;
    this.c = chart('#fc');
    let schema = null;
    try { schema = await api('/tools/backtest_model'); } catch (e) { /* no forecasting plugin */ }
    if (!schema) {
      setHTML('#fnote', notice('No forecasting plugin is loaded (add forecast_stats to plugins.load).'));
      $('#fgo').disabled = true; $('#fbt').disabled = true;
      return;
    }
    const models = schema.input_schema.properties.model.enum || [];
    $('#fmodel').insertAdjacentHTML('beforeend', models.map((m) => `<option>${esc(m)}</option>`).join(''));
    $('#fgo').addEventListener('click', () => this.run());
    $('#fbt').addEventListener('click', () => this.backtest());
    await this.run();
    // Forecasts are fitted on demand (cached by the server for a minute): refit every 30 s.
    S.timers.push(setInterval(() => this.run().catch(() => {}), 30000));
  },
  params() {
    return { interval: $('#fint').value, horizon: Math.max(1, Math.min(200, Number($('#fh').value) || 24)), model: $('#fmodel').value };
  },
  async run() {
    const p = this.params();
    const qs = new URLSearchParams({ venue: S.venue, interval: p.interval, horizon: String(p.horizon) });
    if (p.model) qs.set('model', p.model);
    setHTML('#fnote', '<p class="muted">fitting…</p>');
    let f;
    try { f = await api(`/forecast/${encodeURIComponent(S.symbol)}?${qs}`); } catch (e) {
      setHTML('#fnote', notice(`No forecast: ${e.message}`));
      return;
    }
    setHTML('#fnote', '');
    const secs = SECONDS[p.interval];
    let hist = [];
    try {
      const minutes = Math.max(5, Math.ceil((secs * 200) / 60));
      const bars = rowsOf(await tool('get_ohlcv', { venue: S.venue, symbol: S.symbol, interval: p.interval, minutes, limit: 2000 }));
      hist = bars.map((b) => [Date.parse(b.bucket), b.close]);
    } catch (e) { hist = []; }
    const fc = f.forecast || [];
    this.c.setOption({
      ...BASE, tooltip: { trigger: 'axis' }, grid: { left: 70, right: 16, top: 32, bottom: 30 },
      legend: { top: 0, data: ['history (close)', `${Math.round((f.level || 0.9) * 100)}% interval`, 'forecast', 'live mid'] },
      xAxis: { type: 'time' }, yAxis: { type: 'value', scale: true },
      series: [
        { name: 'history (close)', type: 'line', showSymbol: false, data: hist },
        { name: 'lower', type: 'line', showSymbol: false, stack: 'band', lineStyle: { opacity: 0 }, data: fc.map((x) => [x.ts_ms, x.lower]) },
        { name: `${Math.round((f.level || 0.9) * 100)}% interval`, type: 'line', showSymbol: false, stack: 'band', lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 }, data: fc.map((x) => [x.ts_ms, x.upper - x.lower]) },
        { name: 'forecast', type: 'line', showSymbol: false, lineStyle: { type: 'dashed' }, data: fc.map((x) => [x.ts_ms, x.mean]) },
        { id: 'live', name: 'live mid', type: 'line', showSymbol: false, data: this.live || [] },
      ],
    }, { replaceMerge: ['series'] });
    this.drawn = true;
    const route = f.route || {};
    setHTML('#fmeta', `<p>model <b>${esc(f.model)}</b> · ${fc.length} steps of ${esc(p.interval)} · fit ${fmt(f.fit_ms, 2)} ms${f.cached ? ` · cached ${fmt(f.cached.age_s, 1)} s` : ''}</p>
      <p class="muted">${esc((route.reasons || []).join('; '))} · series: ${esc(f.series && f.series.label)} (${f.series ? f.series.n : 0} points)</p>`);
    fresh('forecast', 0);
  },
  async backtest() {
    const p = this.params();
    setHTML('#fbtres', '<p class="muted">backtesting…</p>');
    const secs = SECONDS[p.interval];
    try {
      const r = await tool('backtest_model', { venue: S.venue, symbol: S.symbol, model: p.model || 'AutoETS', interval_s: secs, horizon: Math.min(p.horizon, 24), folds: 3 });
      const m = r.metrics || r.summary || r;
      setHTML('#fbtres', table(['model', 'MASE', 'sMAPE', 'coverage', 'grade', 'folds'], [[esc(r.model || p.model || 'AutoETS'), m.mase ?? null, m.smape ?? null, m.coverage ?? null, esc(r.grade || m.grade), r.folds ? (Array.isArray(r.folds) ? r.folds.length : r.folds) : null]]));
    } catch (e) { setHTML('#fbtres', notice(`backtest not possible: ${e.message}`)); }
  },
  // The live mid (one point per feature snapshot) drawn over the forecast: how the market moves
  // against the band.
  update(snap) {
    const f = snap.topics.features;
    if (!f || !f.features || typeof f.features.mid_price !== 'number') return;
    setHTML('#fmid', `live mid ${fmt(f.features.mid_price)} at ${timeOf(f.time_ns)} (${esc(S.venue)})`);
    this.live = this.live || [];
    const t = Number(f.time_ns) / 1e6;
    if (!this.live.length || this.live[this.live.length - 1][0] < t) this.live.push([t, f.features.mid_price]);
    while (this.live.length > 3600) this.live.shift();
    if (this.c && this.drawn) this.c.setOption({ series: [{ id: 'live', name: 'live mid', type: 'line', showSymbol: false, data: this.live }] });
  },
};

views.explorer = {
  title: 'Feature explorer',
  topics: ['features'],
  async render(root) {
    root.innerHTML = `<div class="controls"><label>features <select id="xf" multiple size="6" style="min-width:260px"></select></label>
      <span class="muted">pick up to 4 (ctrl/cmd-click); stored history${S.settings.storage ? '' : ' (storage is off: live values only)'} plus live values</span></div>
      ${panel('History', '<div data-error="features"></div><div id="xnote"></div><div id="xc" class="chart tall"></div>', 'features')}`;
    const cat = await featureCatalogue();
    $('#xf').innerHTML = cat.map((f) => `<option value="${esc(f.name)}" ${['mid_price', 'microprice'].includes(f.name) ? 'selected' : ''}>${esc(f.name)} (${esc(f.unit)})</option>`).join('');
    this.c = chart('#xc');
    this.series = {};
    $('#xf').addEventListener('change', () => this.load());
    await this.load();
  },
  selected() { return Array.from($('#xf').selectedOptions).slice(0, 4).map((o) => o.value); },
  async load() {
    const names = this.selected();
    this.series = {};
    const notes = [];
    for (const n of names) {
      this.series[n] = [];
      if (!S.settings.storage) continue;
      try {
        const rows = rowsOf(await tool('get_feature_history', { venue: S.venue, symbol: S.symbol, feature: n, minutes: 60, limit: 3600 }));
        this.series[n] = rows.map((r) => [Date.parse(r.ts || r.time || r.bucket), r.value]).filter((p) => Number.isFinite(p[0])).reverse();
      } catch (e) { notes.push(`${n}: ${e.message}`); }
    }
    setHTML('#xnote', notes.length ? notice(notes.join('; ')) : '');
    this.draw();
  },
  draw() {
    const names = Object.keys(this.series);
    this.c.setOption({
      ...BASE, tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: names.map((_, i) => ({ left: 80, right: 16, top: 30 + i * (480 / Math.max(1, names.length)), height: 480 / Math.max(1, names.length) - 40 })),
      xAxis: names.map((_, i) => ({ type: 'time', gridIndex: i })), yAxis: names.map((n, i) => ({ type: 'value', scale: true, gridIndex: i, name: n, nameTextStyle: { align: 'left' } })),
      series: names.map((n, i) => ({ name: n, type: 'line', showSymbol: false, xAxisIndex: i, yAxisIndex: i, data: this.series[n] })),
    }, { replaceMerge: ['series', 'xAxis', 'yAxis', 'grid'] });
  },
  update(snap) {
    const f = snap.topics.features;
    if (!f || !f.features || !this.series) return;
    const t = Number(f.time_ns) / 1e6;
    for (const [n, pts] of Object.entries(this.series)) {
      const v = f.features[n];
      if (typeof v !== 'number') continue;
      if (!pts.length || pts[pts.length - 1][0] < t) pts.push([t, v]);
      while (pts.length > 5000) pts.shift();
    }
    this.draw();
    fresh('features', f.age_ms);
  },
};

views.cross = {
  title: 'Cross-exchange',
  topics: ['cross'],
  render(root) {
    root.innerHTML = `<div data-error="cross"></div><div class="grid" id="xk"></div>
      ${panel('Per venue', '<div id="xv" class="scroll"></div>', 'cross')}
      <div class="grid" style="grid-template-columns: repeat(auto-fit, minmax(360px, 1fr))">
      ${panel('Basis between venues (bps)', '<div id="xb" class="chart"></div>')}
      ${panel('Funding rate per 8 h', '<div id="xfund" class="chart"></div>')}</div>
      ${panel('Arbitrage opportunities (net of taker fees)', '<div id="xa" class="scroll"></div>')}
      ${panel('Lead-lag', '<div id="xl" class="scroll"></div>')}`;
    this.cb = chart('#xb');
    this.cf = chart('#xfund');
  },
  update(snap) {
    const x = snap.topics.cross;
    if (!x) return;
    const ft = x.features || {};
    const kpi = (k, v) => `<section class="panel"><h3>${esc(k)}</h3><div class="kpi">${v}</div></section>`;
    setHTML('#xk', [
      kpi('Best bid', x.best_bid ? `${fmt(x.best_bid.price)} <span class="muted">${esc(x.best_bid.venue)}</span>` : '–'),
      kpi('Best ask', x.best_ask ? `${fmt(x.best_ask.price)} <span class="muted">${esc(x.best_ask.venue)}</span>` : '–'),
      kpi('Price dispersion (bps)', fmt(ft.price_dispersion_bps)),
      kpi('Funding spread (annualised)', fmt(x.funding && x.funding.spread_annualized)),
      kpi('Best net arbitrage (bps)', fmt(ft.arbitrage_best_net_bps)),
      kpi('Lead venue', esc((x.lead_lag && x.lead_lag.leader) || '–')),
    ].join(''));
    setHTML('#xv', table(['venue', 'bid', 'ask', 'mid', 'funding 8h', 'open interest', 'CVD', 'fresh'], (x.venues || []).map((v) => [
      esc(v.venue), v.bid ?? null, v.ask ?? null, v.mid ?? null, v.funding_rate_8h ?? null, v.open_interest ?? null, v.cvd ?? null, v.fresh ? 'yes' : '<span class="down">stale</span>',
    ])));
    const names = Array.from(new Set((x.basis || []).flatMap((b) => [b.a, b.b])));
    this.cb.setOption({
      ...BASE, tooltip: { formatter: (p) => `${esc(names[p.value[0]])} − ${esc(names[p.value[1]])}: ${fmt(p.value[2], 3)} bps` },
      grid: { left: 100, right: 20, top: 10, bottom: 70 },
      xAxis: { type: 'category', data: names, axisLabel: { rotate: 30 } }, yAxis: { type: 'category', data: names },
      visualMap: { min: -5, max: 5, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 80, inRange: { color: ['#2c5d8a', '#3a3f47', '#a8433c'] } },
      series: [{ type: 'heatmap', data: (x.basis || []).flatMap((b) => [[names.indexOf(b.a), names.indexOf(b.b), b.basis_bps], [names.indexOf(b.b), names.indexOf(b.a), -b.basis_bps]]) }],
    }, { replaceMerge: ['series'] });
    const fv = (x.venues || []).filter((v) => typeof v.funding_rate_8h === 'number');
    this.cf.setOption({
      ...BASE, tooltip: {}, grid: { left: 70, right: 16, top: 10, bottom: 50 },
      xAxis: { type: 'category', data: fv.map((v) => v.venue), axisLabel: { rotate: 30 } }, yAxis: { type: 'value' },
      series: [{ type: 'bar', data: fv.map((v) => v.funding_rate_8h) }],
    }, { replaceMerge: ['series'] });
    setHTML('#xa', table(['buy', 'sell', 'size', 'gross bps', 'fees bps', 'net bps', 'net profit'], (x.arbitrage || []).slice(0, 15).map((a) => [
      `${esc(a.buy_venue)} @ ${fmt(a.buy_price)}`, `${esc(a.sell_venue)} @ ${fmt(a.sell_price)}`, a.size, a.gross_bps, a.fees_bps,
      `<span class="${a.net_bps > 0 ? 'up' : 'down'}">${fmt(a.net_bps, 2)}</span>`, a.net_profit,
    ])));
    setHTML('#xl', table(['a', 'b', 'lag ms', 'correlation', 'at zero', 'samples'], ((x.lead_lag && x.lead_lag.pairs) || []).map((p) => [esc(p.a), esc(p.b), p.lag_ms, p.correlation, p.correlation_at_zero, p.samples])));
    fresh('cross', x.age_ms);
  },
};

views.streaming = {
  title: 'Streaming monitor',
  topics: ['latency'],
  render(root) {
    root.innerHTML = `${panel('Connections', '<div id="sv" class="scroll"></div>', 'status')}
      <div class="grid" style="grid-template-columns: repeat(auto-fit, minmax(360px, 1fr))">
      ${panel('Frame → feature latency (events per bucket, last minute)', '<div data-error="latency"></div><div id="sl" class="chart"></div>')}
      ${panel('Messages per second', '<div id="sr" class="chart"></div>')}</div>
      <div class="grid">${panel('Engine', '<div id="se"></div>')}${panel('Storage', '<div id="ss"></div>')}${panel('Limits hit', '<div id="sh"></div>')}</div>`;
    this.cl = chart('#sl');
    this.cr = chart('#sr');
  },
  update(snap) {
    const st = snap.topics.status;
    if (!st) return;
    setHTML('#sv', table(['venue', 'connections', 'msgs/s', 'last msg', 'frames', 'events', 'gaps', 'resyncs', 'reconnects', 'connect failures', 'decode errors', 'rejected'], st.venues.map((v) => [
      `<span class="pill ${v.connected ? 'ok' : 'bad'}">${v.connected ? 'up' : 'down'}</span> ${esc(v.venue)}`, `${v.connections_open}/${v.connections_planned}`,
      v.msgs_per_sec, fmtMs(v.last_message_age_ms), v.frames, v.events, v.gaps, v.resyncs, v.reconnects, v.connect_failures, v.decode_errors, v.rejected_events,
    ])));
    const e = st.engine;
    const kv = (o) => table(['', ''], Object.entries(o).filter(([, v]) => typeof v !== 'object' || v === null).map(([k, v]) => [esc(k), typeof v === 'number' ? v : esc(v)]));
    setHTML('#se', kv({ events: e.events, batches: e.batches, dropped_events: e.dropped_events, queue_depth: e.queue_depth, snapshot_queue_depth: e.snapshot_queue_depth, 'p50 µs (1 min)': e.last_minute_latency_us.p50, 'p99 µs (1 min)': e.last_minute_latency_us.p99, 'max µs (1 min)': e.last_minute_latency_us.max }));
    setHTML('#ss', st.storage ? kv(st.storage) : notice('storage is off'));
    setHTML('#sh', kv(Object.assign({}, st.limits.http, st.limits.history_queries ? Object.fromEntries(Object.entries(st.limits.history_queries).map(([k, v]) => [`history ${k}`, v])) : {})));
    const lat = snap.topics.latency;
    if (lat) {
      const all = lat.last_minute.length ? lat.last_minute : lat.since_start;
      // From the first bucket with events to the last.
      const first = Math.max(0, all.findIndex(([, n]) => n > 0) - 1);
      let last = all.length - 1;
      while (last > first && all[last][1] === 0) last -= 1;
      const b = all.slice(first, last + 1);
      const label = (us) => (us >= 1000 ? `≤${fmt(Math.round(us / 100) / 10)} ms` : `≤${Math.round(us)} µs`);
      this.cl.setOption({
        ...BASE, tooltip: {}, grid: { left: 60, right: 16, top: 10, bottom: 50 },
        xAxis: { type: 'category', data: b.map(([us]) => label(us)), axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: 'events' },
        series: [{ type: 'bar', data: b.map(([, n]) => n) }],
      }, { replaceMerge: ['series'] });
    }
    rateChart(this.cr);
    fresh('status', Math.min(...st.venues.map((v) => v.last_message_age_ms ?? Infinity)));
  },
};

views.book = {
  title: 'Order book & trades',
  topics: ['book', 'features'],
  render(root) {
    root.innerHTML = `<div data-error="book"></div>
      <div class="grid" style="grid-template-columns: repeat(auto-fit, minmax(360px, 1fr))">
      ${panel('Depth', '<div id="bd" class="chart"></div>', 'book')}
      ${panel('Book', '<div id="bl" class="scroll"></div>')}</div>
      ${panel('Trades', '<div id="bt" class="scroll"></div>', 'trades')}`;
    this.c = chart('#bd');
  },
  update(snap) {
    const b = snap.topics.book;
    if (!b) return;
    const book = b.book && b.book.data;
    if (!book) { setHTML('#bl', notice((b.book && b.book.error) || 'no book yet')); } else {
      let cb = 0;
      let ca = 0;
      const bids = book.bids.map(([p, s]) => [p, (cb += s)]);
      const asks = book.asks.map(([p, s]) => [p, (ca += s)]);
      this.c.setOption({
        ...BASE, tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 60, right: 16, top: 32, bottom: 30 },
        xAxis: { type: 'value', scale: true }, yAxis: { type: 'value', name: 'cumulative size' },
        series: [
          { name: 'bids', type: 'line', step: 'end', showSymbol: false, areaStyle: { opacity: 0.3 }, color: '#2fbf71', data: bids.slice().reverse() },
          { name: 'asks', type: 'line', step: 'start', showSymbol: false, areaStyle: { opacity: 0.3 }, color: '#e5534b', data: asks },
        ],
      }, { replaceMerge: ['series'] });
      const n = Math.max(book.bids.length, book.asks.length);
      const rows = [];
      for (let i = 0; i < n; i++) {
        const bid = book.bids[i] || [];
        const ask = book.asks[i] || [];
        rows.push([bid[1] ?? null, bid[0] !== undefined ? `<span class="up">${fmt(bid[0])}</span>` : '–', ask[0] !== undefined ? `<span class="down">${fmt(ask[0])}</span>` : '–', ask[1] ?? null]);
      }
      setHTML('#bl', `<p class="muted">sequence ${esc(book.sequence)} · spread ${fmt(book.spread)} · ${book.levels.bids}/${book.levels.asks} levels held</p>` + table(['bid size', 'bid', 'ask', 'ask size'], rows));
      fresh('book', b.book.age_ms);
    }
    const tr = b.trades && b.trades.data;
    if (tr) {
      setHTML('#bt', table(['time', 'side', 'price', 'size', 'id'], tr.map((t) => [
        new Date(t.ts_event_ms).toISOString().slice(11, 23), `<span class="${t.side === 'buy' ? 'up' : 'down'}">${esc(t.side)}</span>`, t.price, t.size, esc(t.trade_id),
      ])));
      fresh('trades', b.trades.age_ms);
    }
  },
};

views.settings = {
  title: 'Settings',
  topics: [],
  async render(root) {
    const s = await api('/settings');
    S.settings = s;
    root.innerHTML = `<div class="grid" style="grid-template-columns: repeat(auto-fit, minmax(360px, 1fr))">
      ${panel('Plugins', '<div id="pl"></div>')}
      ${panel('Server', `<div id="sv2">${table(['setting', 'value'], Object.entries(s.server).map(([k, v]) => [esc(k), esc(Array.isArray(v) ? v.join(', ') : v)]))}</div>`)}</div>
      ${panel('Running configuration (read-only; secrets masked)', `<pre id="cfg">${esc(JSON.stringify(s.config, null, 2))}</pre>`)}
      ${panel('Live', '<div id="slive"></div>', 'status')}`;
    this.plugins(s.plugins);
  },
  plugins(list) {
    setHTML('#pl', table(['plugin', 'version', 'venues', 'tools', 'state', ''], list.map((p) => [
      esc(p.name), esc(p.version), esc(p.venues.join(', ') || '–'), p.tools,
      p.enabled ? '<span class="pill ok">enabled</span>' : '<span class="pill bad">disabled</span>',
      `<button data-plugin="${esc(p.name)}" data-action="${p.enabled ? 'disable' : 'enable'}">${p.enabled ? 'disable' : 'enable'}</button>`,
    ])));
    document.querySelectorAll('#pl button').forEach((b) => b.addEventListener('click', async () => {
      try {
        await api(`/plugins/${encodeURIComponent(b.dataset.plugin)}/${b.dataset.action}`, { method: 'POST' });
        const s = await api('/settings');
        this.plugins(s.plugins);
      } catch (e) { alert(`${b.dataset.action} failed: ${e.message}`); }
    }));
  },
  update(snap) {
    const st = snap.topics.status;
    if (!st) return;
    setHTML('#slive', `<p>uptime ${fmtMs(st.uptime_s * 1000)} · ${st.engine.events.toLocaleString('en-US')} events · storage ${st.storage_enabled ? 'on' : 'off'}</p>`);
    fresh('status', 0);
  },
};

// ---------- navigation ----------
function teardown() {
  closeStream();
  S.charts.forEach((c) => c.dispose());
  S.charts = [];
  S.timers.forEach(clearInterval);
  S.timers = [];
}

async function show() {
  const name = (location.hash.replace(/^#\//, '').split('?')[0]) || 'overview';
  const view = views[name] || views.overview;
  teardown();
  S.page = view;
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === name));
  document.title = `${view.title} · orderflow`;
  $('#nav').classList.remove('open');
  const root = $('#page');
  root.innerHTML = '<p class="muted">loading…</p>';
  try {
    await view.render(root);
  } catch (e) {
    if (e.status === 401) return;
    root.innerHTML = notice(`This view could not load: ${e.message}`);
  }
  if (S.page === view) openStream(view.topics);
}

function fillSelectors() {
  const symbols = Array.from(new Set(S.pairs.map((p) => p.symbol)));
  if (!S.symbol || !symbols.includes(S.symbol)) S.symbol = symbols.includes('BTCUSDT') ? 'BTCUSDT' : symbols[0];
  $('#symbol').innerHTML = symbols.map((s) => `<option ${s === S.symbol ? 'selected' : ''}>${esc(s)}</option>`).join('');
  const venues = S.pairs.filter((p) => p.symbol === S.symbol).map((p) => p.venue);
  if (!venues.includes(S.venue)) S.venue = venues[0];
  $('#venue').innerHTML = venues.map((v) => `<option ${v === S.venue ? 'selected' : ''}>${esc(v)}</option>`).join('');
}

async function boot() {
  try {
    S.settings = await api('/settings');
  } catch (e) {
    if (e.status !== 401) $('#page').innerHTML = notice(`The server did not answer: ${e.message}`);
    return;
  }
  $('#login').hidden = true;
  S.pairs = S.settings.symbols;
  fillSelectors();
  await show();
}

$('#symbol').addEventListener('change', (e) => { S.symbol = e.target.value; S.venue = null; fillSelectors(); show(); });
$('#venue').addEventListener('change', (e) => { S.venue = e.target.value; show(); });
$('#menu').addEventListener('click', () => $('#nav').classList.toggle('open'));
window.addEventListener('hashchange', show);
window.addEventListener('resize', () => S.charts.forEach((c) => c.resize()));
setInterval(paintFresh, 1000);
boot();
