// recoup dashboard: reads /api/* and draws the month's 5-minute error rates.
// The bearer token, when the server needs one, comes from the page's
// fragment (#token=...) and is kept for this tab only (sessionStorage).
(function () {
  'use strict';

  const state = { month: null, months: [], selected: null, plot: null };

  (function takeToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('recoup.token', decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
  })();

  async function api(path) {
    const headers = {};
    const token = sessionStorage.getItem('recoup.token');
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(path, { headers, cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(path + ': ' + (body.error || res.status));
    return body;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
    return e;
  }
  const td = (text, cls) => el('td', cls ? { class: cls } : {}, text);
  const num = (text) => td(text, 'num');

  // Every time on the page is UTC, as the SLA month is: written
  // "YYYY-MM-DD HH:MM:SS UTC" from epoch ms, whatever the browser's zone.
  const pad = (n) => String(n).padStart(2, '0');
  function utcText(ms) {
    const d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }
  // A <time> element (its datetime attribute the ISO instant), or `none`.
  function utcTime(ms, none) {
    if (ms == null || !(ms > 0)) return document.createTextNode(none == null ? '-' : none);
    return el('time', { dateTime: new Date(ms).toISOString() }, utcText(ms));
  }
  const tdTime = (ms, none) => el('td', { class: 'time' }, utcTime(ms, none));

  function showError(err) {
    const e = document.getElementById('error');
    e.textContent = String(err.message || err);
    e.hidden = false;
  }

  function fill(tableId, rows) {
    const tbody = document.querySelector('#' + tableId + ' tbody');
    tbody.replaceChildren(...rows);
    document.getElementById(tableId).dataset.rows = String(rows.length);
  }

  function emptyRow(cols, text) {
    return el('tr', { class: 'empty' }, el('td', { colSpan: cols, class: 'muted' }, text));
  }

  function budgetText(s) {
    return s.budget_left_pct == null ? '-' : Number(s.budget_left_pct).toFixed(1) + '%';
  }

  function renderMonths() {
    const sel = document.getElementById('month');
    sel.replaceChildren(...state.months.map((m) =>
      el('option', { value: m.month }, m.month + (m.current ? ' (current)' : ''))));
    sel.value = state.month;
  }

  function currentMonth() {
    return state.months.find((m) => m.month === state.month) || { series: [] };
  }

  function renderSeries() {
    const m = currentMonth();
    document.getElementById('month-note').textContent = m.current
      ? 'month in progress: intervals not yet seen count as 0% errors' : '';
    const rows = m.series.map((s) => {
      const tr = el('tr', {
        class: (s.breached ? 'breached ' : '') +
          (state.selected && state.selected.account === s.account &&
           state.selected.region === s.region && state.selected.service === s.service ? 'selected' : ''),
        'data-account': s.account, 'data-region': s.region, 'data-service': s.service,
      },
      td(s.account), td(s.region), td(s.service), num(s.mup_pct), num(budgetText(s)),
      num(String(s.requests)), num(String(s.failed_requests)), td(s.breached ? 'yes' : 'no'),
      num(s.credit_pct + '%'), num(s.credit_usd == null ? '-' : s.credit_usd));
      tr.addEventListener('click', () => select(s));
      return tr;
    });
    fill('series', rows.length ? rows : [emptyRow(10, 'No evidence for this month.')]);
  }

  function card(k, v) {
    return el('div', { class: 'card' }, el('div', { class: 'k' }, k), el('div', { class: 'v' }, v));
  }

  async function select(s) {
    state.selected = s;
    renderSeries();
    document.getElementById('chart-title').textContent =
      '5-minute error rate — ' + s.account + ' ' + s.region + ' ' + s.service + ' ' + state.month;
    document.getElementById('summary').replaceChildren(
      card('MUP so far', s.mup_pct + '%'),
      card('Commitment', s.commitment_pct + '%'),
      card('Error budget left', budgetText(s)),
      card('Outage minutes left', s.budget_left_minutes),
      card('Credit tier', s.credit_pct + '%'),
      card('Credit so far', s.credit_usd == null ? 'charges unknown' : '$' + s.credit_usd));
    const q = 'month=' + encodeURIComponent(state.month) + '&account=' + encodeURIComponent(s.account) +
      '&region=' + encodeURIComponent(s.region) + '&service=' + encodeURIComponent(s.service);
    const [iv, he] = await Promise.all([
      api('/api/intervals?' + q),
      api('/api/health-events?month=' + encodeURIComponent(state.month) + '&region=' + encodeURIComponent(s.region)),
    ]);
    drawChart(iv, he.events || []);
    fill('health', (he.events || []).map((e) => el('tr', {},
      tdTime(e.start_ms), tdTime(e.end_ms, 'open'), td(e.region), td(e.event_type_code),
      td(e.status))));
    if (!(he.events || []).length) fill('health', [emptyRow(5, 'None recorded.')]);
    document.getElementById('health-note').textContent = he.available ? '' : (he.note || '');
  }

  // Every interval of the month up to now: those without traffic are 0%,
  // as the SLA counts them.
  function series(iv) {
    const step = iv.interval_seconds;
    const start = Math.floor(iv.start_ms / 1000);
    const end = Math.min(Math.floor(iv.end_ms / 1000), Math.floor(Date.now() / 1000));
    const byT = new Map();
    iv.t.forEach((t, i) => byT.set(Math.floor(t / 1000), iv.error_rate_pct[i]));
    const xs = [], ys = [];
    for (let t = start; t < end; t += step) {
      xs.push(t);
      ys.push(byT.has(t) ? byT.get(t) : 0);
    }
    return [xs, ys];
  }

  function drawChart(iv, healthEvents) {
    const box = document.getElementById('chart');
    if (state.plot) { state.plot.destroy(); state.plot = null; }
    const data = series(iv);
    const maxRate = iv.error_rate_pct.reduce((a, b) => Math.max(a, b), 0);
    box.dataset.points = String(data[0].length);
    box.dataset.intervalsWithRequests = String(iv.requests.filter((r) => r > 0).length);
    box.dataset.failingIntervals = String(iv.failed.filter((f) => f > 0).length);
    box.dataset.maxRatePct = String(maxRate);
    box.dataset.healthEvents = String(healthEvents.length);
    const bands = healthEvents.map((e) => [e.start_ms / 1000, (e.end_ms || Date.now()) / 1000]);
    const opts = {
      width: Math.max(600, box.clientWidth || 900),
      height: 280,
      // The axis and the legend in UTC, not the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        { label: 'interval start (UTC)', value: (u, v) => (v == null ? '-' : utcText(v * 1000)) },
        { label: 'error rate %', stroke: '#b3261e', width: 1, fill: 'rgba(179,38,30,0.12)',
          value: (u, v) => (v == null ? '-' : v.toFixed(4) + '%') },
      ],
      axes: [{ label: 'UTC' }, { label: 'error rate %', size: 60 }],
      hooks: {
        setCursor: [(u) => {
          const i = u.cursor.idx;
          box.dataset.cursorMs = i == null ? '' : String(u.data[0][i] * 1000);
        }],
        drawClear: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(255,165,0,0.25)';
          for (const [a, b] of bands) {
            const x0 = u.valToPos(a, 'x', true), x1 = u.valToPos(b, 'x', true);
            const left = Math.max(u.bbox.left, x0), right = Math.min(u.bbox.left + u.bbox.width, x1);
            if (right > left) ctx.fillRect(left, u.bbox.top, Math.max(2, right - left), u.bbox.height);
          }
          ctx.restore();
        }],
      },
    };
    state.plot = new uPlot(opts, data, box);
    document.getElementById('chart-note').textContent =
      box.dataset.intervalsWithRequests + ' intervals with requests, ' + box.dataset.failingIntervals +
      ' with server errors; MUP ' + (iv.mup_pct || '-') + '%' +
      (bands.length ? '; orange: AWS Health events' : '');
  }

  function renderAlerts(alerts) {
    const open = alerts.filter((a) => a.state === 'open');
    fill('alerts', open.length ? open.map((a) => el('tr', { 'data-id': a.id },
      tdTime(a.opened_ms), td(a.severity, 'sev-' + a.severity), td(a.kind), td(a.account), td(a.region),
      num(a.mup_pct), num(a.credit_pct ? a.credit_pct + '%' : ''), num(a.credit_usd), td(a.summary, 'wrap')))
      : [emptyRow(9, 'No open alerts.')]);
  }

  function renderClaims(claims) {
    fill('claims', claims.length ? claims.map((c) => el('tr', { 'data-id': c.id, 'data-state': c.state },
      td(c.id, 'wrap'), td(c.account), td(c.region), td(c.month), td(c.state), num(c.mup_pct),
      num(c.credit_pct + '%'), num(c.credit_usd == null ? '-' : c.credit_usd), tdTime(c.deadline_ms),
      num(c.days_left == null ? '-' : String(c.days_left))))
      : [emptyRow(10, 'No claims.')]);
  }

  function renderStatus(st) {
    document.getElementById('now').replaceChildren(utcTime(st.now_ms));
    document.getElementById('store').textContent =
      st.store.files + ' files, ' + st.store.failures + ' failing requests in store';
    fill('sources', st.sources.length ? st.sources.map((s) => el('tr', { 'data-name': s.name },
      td(s.name, 'wrap'), td(s.kind), td(s.state), num(String(s.accepted)), num(String(s.rejected)),
      num(String(s.unattributed)), num(String(s.duplicate)), tdTime(s.last_event_ms),
      num(s.lag_ms < 0 ? '-' : (s.lag_ms / 1000).toFixed(1)), td(s.last_error, 'wrap')))
      : [emptyRow(10, 'No live sources.')]);
    const waiting = st.unattributed || [];
    const note = document.getElementById('unattributed');
    note.dataset.pending = String(st.unattributed_pending || 0);
    note.textContent = waiting.length
      ? (st.unattributed_pending + ' records kept without an account, waiting for one (access keys ' +
         waiting.map((u) => u.access_key + ': ' + u.records).join(', ') +
         '): map the keys in sources.csm.access_keys, or give recoup credentials that may call ' +
         'sts:GetAccessKeyInfo.')
      : '';
    note.hidden = !waiting.length;
  }

  async function load() {
    try {
      const [months, status, alerts, claims] = await Promise.all([
        api('/api/months'), api('/api/status'), api('/api/alerts'), api('/api/claims')]);
      state.months = months.months;
      if (!state.month) {
        // The newest month with evidence, else the current one.
        const withData = state.months.find((m) => m.series.length);
        state.month = (withData || state.months[0]).month;
      }
      renderMonths();
      renderStatus(status);
      renderAlerts(alerts.alerts);
      renderClaims(claims.claims);
      renderSeries();
      const m = currentMonth();
      const sel = state.selected;
      let target = sel && m.series.find((s) => s.account === sel.account &&
        s.region === sel.region && s.service === sel.service);
      if (!target && m.series.length) {
        // Start with the worst series of the month.
        target = [...m.series].sort((a, b) => Number(a.mup_pct) - Number(b.mup_pct))[0];
      }
      if (target) await select(target);
      document.body.dataset.loaded = 'true';
    } catch (err) {
      showError(err);
    }
  }

  document.getElementById('month').addEventListener('change', (ev) => {
    state.month = ev.target.value;
    state.selected = null;
    load();
  });

  load();
  setInterval(load, 30000);
})();
