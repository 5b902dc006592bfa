// vbank dashboard: jobs, a live job page, an adapter page, vector banks. Pages are hash routes; all data comes from the public API
// with the tenant's key, so a tenant sees exactly what its key may read.

import { ApiError, download, followEvents, get, post, session } from './api.js';
import { barChart, drawHeatmap, heatmapLegend, lineChart, sizeBars } from './charts.js';

const view = document.getElementById('view');
let page = null;

/** A DOM element; children are nodes or text (never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) {
      continue;
    }
    if (k.startsWith('on')) {
      node.addEventListener(k.slice(2), v);
    } else {
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) {
      node.append(c instanceof Node ? c : String(c));
    }
  }
  return node;
}

const enc = encodeURIComponent;
const time = (unix) => (unix ? new Date(unix * 1000).toLocaleString() : '—');
const bytes = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB`
  : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const statusBadge = (s) => h('span', { class: `status ${s}`, 'data-status': s }, s);

function show(...nodes) {
  view.replaceChildren(...nodes);
}

function showError(e) {
  if (e?.name === 'AbortError') {
    return;
  }
  if (e instanceof ApiError && e.status === 401) {
    session.logout();
    route();
    return;
  }
  const text = e instanceof ApiError && e.status === 404 ? 'Not found: nothing with this id belongs to your tenant.'
    : `Could not load this page: ${e?.message ?? e}`;
  show(h('p', { class: 'error', id: 'page-error', 'data-status': e?.status ?? '' }, text),
    h('p', {}, h('a', { href: '#/jobs' }, 'Back to jobs')));
}

// ---------------------------------------------------------------- login

function loginPage() {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', placeholder: 'vbk_…', required: true });
  const message = h('p', { class: 'error', id: 'login-error' });
  const form = h('form', { class: 'login card', id: 'login' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste your tenant API key. It stays in this browser tab (sessionStorage) and is sent only to this API.'),
    input, h('button', { type: 'submit', id: 'login-submit' }, 'Sign in'), message);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    session.login(input.value);
    try {
      await get('/v1/fine_tuning/jobs?limit=1');
      route();
    } catch (e) {
      session.logout();
      message.textContent = e instanceof ApiError && e.status === 401 ? 'This API key is not valid.' : String(e.message);
    }
  });
  show(form);
  input.focus();
}

// ---------------------------------------------------------------- jobs list

async function jobsPage(signal) {
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const table = h('table', { id: 'jobs' },
    h('thead', {}, h('tr', {}, ['Job', 'Status', 'Model', 'Method', 'Created', 'Steps', 'Adapter'].map((c) => h('th', {}, c)))),
    body);
  const empty = h('p', { class: 'muted', id: 'no-jobs', hidden: true }, 'No fine-tuning jobs yet.');
  show(h('h1', {}, 'Fine-tuning jobs'), h('div', { class: 'card' }, table, empty, more));
  let after = null;
  const load = async () => {
    const page = await get(`/v1/fine_tuning/jobs?limit=50${after ? `&after=${enc(after)}` : ''}`, signal);
    for (const job of page.data) {
      body.append(h('tr', { 'data-job-id': job.id },
        h('td', {}, h('a', { href: `#/jobs/${enc(job.id)}`, class: 'mono' }, job.id)),
        h('td', {}, statusBadge(job.status)),
        h('td', {}, job.model),
        h('td', {}, job.method?.type ?? ''),
        h('td', {}, time(job.created_at)),
        h('td', { class: 'num' }, job.trained_steps ?? 0),
        h('td', {}, job.adapter_id ? h('a', { href: `#/adapters/${enc(job.adapter_id)}`, class: 'mono' }, job.adapter_id) : '—')));
      after = job.id;
    }
    empty.hidden = body.children.length > 0;
    table.hidden = body.children.length === 0;
    more.hidden = !page.has_more;
  };
  more.addEventListener('click', () => load().catch(showError));
  await load();
}

// ---------------------------------------------------------------- job page

function jobMeta(job) {
  const rows = [
    ['Status', statusBadge(job.status)],
    ['Model', job.model],
    ['Method', `${job.method?.type ?? ''} ${JSON.stringify(job.method?.hyperparameters ?? {})}`],
    ['Training file', job.training_file],
    ['Validation file', job.validation_file ?? '—'],
    ['Created', time(job.created_at)],
    ['Finished', time(job.finished_at)],
    ['Trained steps', job.trained_steps],
    ['Adapter', job.adapter_id ? h('a', { href: `#/adapters/${enc(job.adapter_id)}`, id: 'adapter-link', class: 'mono' },
      job.adapter_id) : '—'],
  ];
  if (job.error) {
    rows.push(['Error', h('span', { class: 'error' }, `${job.error.code}: ${job.error.message}`)]);
  }
  return h('dl', { class: 'meta', id: 'job-meta' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function jobPage(id, signal) {
  let job = await get(`/v1/fine_tuning/jobs/${enc(id)}`, signal);
  const meta = h('div', { class: 'card' }, jobMeta(job));
  const progress = h('p', { class: 'muted', id: 'job-progress' });
  const charts = { loss: h('div', { class: 'card', id: 'loss-chart' }), lr: h('div', { class: 'card', id: 'lr-chart' }),
    eval: h('div', { class: 'card', id: 'eval-chart' }) };
  const log = h('ul', { class: 'log', id: 'job-log' });
  const root = h('section', { id: 'job', 'data-job-id': id, 'data-stream': 'open' },
    h('h1', {}, 'Job ', h('span', { class: 'mono' }, id)), meta, progress,
    h('div', { class: 'grid' }, charts.loss, charts.lr, charts.eval),
    h('h2', {}, 'Events'), h('div', { class: 'card' }, log));
  show(root);

  const loss = new Map();
  const lrs = new Map(); // group → Map(step → lr)
  const evals = new Map(); // metric → Map(step → value)
  const draw = () => {
    const series = (m) => [...m].map(([name, pts]) => ({ name, points: [...pts].map(([x, y]) => ({ x, y })) }));
    charts.loss.replaceChildren(lineChart({ chart: 'loss', title: 'Training loss', xLabel: 'step',
      series: [{ name: 'train_loss', points: [...loss].map(([x, y]) => ({ x, y })) }] }));
    charts.lr.replaceChildren(lineChart({ chart: 'lr', title: 'Learning rate by parameter group', xLabel: 'step',
      series: series(lrs) }));
    charts.eval.replaceChildren(lineChart({ chart: 'eval', title: 'Validation metrics', xLabel: 'step',
      series: series(evals) }));
  };
  let queued = false;
  const redraw = () => {
    if (!queued) {
      queued = true;
      setTimeout(() => {
        queued = false;
        draw();
      }, 60);
    }
  };
  draw();

  const refreshJob = async () => {
    job = await get(`/v1/fine_tuning/jobs/${enc(id)}`, signal);
    meta.replaceChildren(jobMeta(job));
  };
  const onEvent = (ev) => {
    const d = ev.data ?? {};
    log.prepend(h('li', {}, `${time(ev.created_at)} · ${ev.level} · ${ev.message}`));
    if (ev.type === 'metrics' && typeof d.train_loss === 'number') {
      // a resumed job reports some steps again: the latest value of a step wins
      loss.set(d.step, d.train_loss);
      for (const [group, lr] of Object.entries(d.learning_rates ?? {})) {
        if (!lrs.has(group)) {
          lrs.set(group, new Map());
        }
        lrs.get(group).set(d.step, lr);
      }
      const eta = typeof d.eta_seconds === 'number' ? `, about ${Math.round(d.eta_seconds)} s left` : '';
      progress.textContent = `Step ${d.step} of ${d.total_steps}${eta}`;
      redraw();
    } else if (ev.type === 'metrics' && d.valid_examples !== undefined) {
      for (const [name, value] of Object.entries(d)) {
        if (name.startsWith('valid_') && name !== 'valid_examples' && typeof value === 'number') {
          if (!evals.has(name)) {
            evals.set(name, new Map());
          }
          evals.get(name).set(d.step, value);
        }
      }
      redraw();
    } else if (ev.type === 'state') {
      refreshJob().catch(showError);
    }
  };
  await followEvents(id, onEvent, signal);
  await refreshJob();
  draw();
  root.dataset.stream = 'ended';
}

// ---------------------------------------------------------------- adapter page

function adapterMeta(a) {
  const p = a.parameters ?? {};
  const rows = [
    ['Job', h('a', { href: `#/jobs/${enc(a.job_id)}`, class: 'mono' }, a.job_id)],
    ['Base model', a.base_model], ['Method', a.method], ['Format', a.format],
    ['Stored bytes', `${bytes(a.bytes)} (${a.bytes} B)`], ['sha256', h('span', { class: 'mono' }, a.sha256)],
    ['Trainable parameters', p.trainable], ['PEFT-savable parameters', p.peft_savable],
    ['Vector bank', a.vector_bank
      ? h('a', { href: `#/vector_banks/${enc(a.vector_bank)}`, class: 'mono', id: 'bank-link' }, a.vector_bank)
      : 'its own'],
    ['Created', time(a.created_at)],
  ];
  return h('dl', { class: 'meta', id: 'adapter-meta' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

function moduleOf(usage, s) {
  for (const m of usage.modules) {
    if (s >= m.offset && s < m.offset + m.sub_vectors_a + m.sub_vectors_b) {
      const local = s - m.offset;
      return local < m.sub_vectors_a ? `${m.path} · A row ${local}` : `${m.path} · B row ${local - m.sub_vectors_a}`;
    }
  }
  return '';
}

function bankSection(u) {
  if (!u.has_bank) {
    return [h('p', { class: 'muted', id: 'no-bank' }, `A ${u.method} adapter has no vector bank: nothing to show here.`)];
  }
  const canvas = h('canvas', { id: 'heatmap' });
  const tip = h('div', { id: 'heatmap-tip' }, 'Point at a cell for its sub-vector, bank vector and weight.');
  const rows = u.sub_vectors_sent;
  const layout = drawHeatmap(canvas, { rows, cols: u.num_vectors, k: u.topk, indices: u.indices, weights: u.weights });
  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const col = Math.floor((ev.clientX - r.left) / layout.cw);
    const row = Math.floor((ev.clientY - r.top) / layout.ch) * layout.fold;
    if (row >= rows || col >= u.num_vectors) {
      return;
    }
    let wt = null;
    for (let j = 0; j < u.topk; j++) {
      if (u.indices[row * u.topk + j] === col) {
        wt = u.weights[row * u.topk + j];
      }
    }
    tip.textContent = `sub-vector ${row} (${moduleOf(u, row)}) · bank vector ${col} · `
      + (wt === null ? 'not selected' : `weight ${wt.toFixed(4)}`);
  });
  const note = u.truncated ? h('p', { class: 'muted' }, `Showing the first ${rows} of ${u.sub_vectors} sub-vectors.`) : null;
  const unused = u.usage.filter((c) => c === 0).length;
  return [
    h('h2', {}, 'Bank selection'),
    h('p', { class: 'muted' }, `${u.sub_vectors} sub-vectors of length ${u.vector_length}, each a mix of its top ${u.topk} `
      + `of ${u.num_vectors} bank vectors (rows: sub-vectors, module by module; columns: bank vectors; colour: weight).`),
    h('div', { class: 'card' }, h('div', { class: 'heatmap-wrap' }, canvas), tip, heatmapLegend(layout.lo, layout.hi),
      note),
    h('h2', {}, 'Bank vector usage'),
    h('div', { class: 'card', id: 'usage-chart' },
      barChart({ chart: 'usage', title: 'Times each bank vector is selected', xLabel: 'bank vector',
        bars: u.usage.map((value, i) => ({ label: String(i), value })) }),
      h('p', { class: 'muted' }, `${unused} of ${u.num_vectors} bank vectors are never selected.`)),
  ];
}

function evaluationTable(results, suiteNames) {
  if (!results || results.length === 0) {
    return h('p', { class: 'muted', id: 'no-evaluations' }, 'No evaluations yet.');
  }
  const metricNames = [...new Set(results.flatMap((r) => Object.keys(r.metrics ?? {})))].sort();
  const suite = (r) => `${suiteNames.get(r.suite_id) ?? r.suite_id ?? ''}@${r.suite_version ?? ''}`;
  return h('table', { id: 'evaluations', 'data-rows': results.length },
    h('thead', {}, h('tr', {}, ['Task', 'Subject', 'Status', ...metricNames, 'Examples', 'Suite', 'Evaluation']
      .map((c) => h('th', {}, c)))),
    h('tbody', {}, results.map((r) => h('tr', { 'data-evaluation-id': r.evaluation_id, 'data-item-id': r.item_id,
      'data-task': r.task, 'data-subject': r.subject },
      h('td', {}, r.task), h('td', {}, r.subject), h('td', {}, statusBadge(r.status)),
      metricNames.map((m) => (typeof r.metrics?.[m] === 'number'
        ? h('td', { class: 'num', 'data-metric': m, 'data-value': r.metrics[m] }, r.metrics[m].toFixed(4))
        : h('td', { class: 'num' }, '—'))),
      h('td', { class: 'num' }, r.examples ?? '—'),
      h('td', { class: 'mono', title: r.suite_id ?? '' }, suite(r)),
      h('td', { class: 'mono' }, r.evaluation_id ?? '')))));
}

/** Suite names by id for the results' suites; a suite that cannot be read is shown by its id. */
async function suiteNamesOf(results, signal) {
  const names = new Map();
  for (const id of new Set(results.map((r) => r.suite_id).filter(Boolean))) {
    try {
      names.set(id, (await get(`/v1/evaluation_suites/${enc(id)}`, signal)).name);
    } catch (e) {
      if (e?.name === 'AbortError') {
        throw e;
      }
    }
  }
  return names;
}

/** A bar as wide as the probability (set through the CSSOM: the dashboard's CSP refuses style attributes). */
function probabilityBar(p) {
  const bar = h('span', { class: 'bar' });
  bar.style.width = `${Math.round(p * 200)}px`;
  return bar;
}

/** A box to type texts into (one per line) and see the adapter's label and class probabilities for each. */
function tryItSection(id) {
  const input = h('textarea', { id: 'try-text', rows: 3, placeholder: 'Type a sentence (one per line)…' });
  const result = h('div', { id: 'try-result' });
  const run = async () => {
    const inputs = input.value.split('\n').map((t) => t.trim()).filter((t) => t.length > 0);
    if (inputs.length === 0) {
      return;
    }
    result.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
    try {
      const r = await post('/v1/predictions', { adapter: id, inputs });
      result.replaceChildren(...r.data.map((d) => {
        const text = inputs[d.index];
        if (d.value !== undefined) {
          return h('div', { class: 'prediction', 'data-index': d.index, 'data-value': d.value },
            h('p', {}, h('strong', {}, d.value.toFixed(4)), ` ← ${text}`));
        }
        const probabilities = Object.entries(d.probabilities).sort((a, b) => b[1] - a[1]);
        return h('div', { class: 'prediction', 'data-index': d.index, 'data-label': d.label },
          h('p', {}, h('strong', { class: 'try-label' }, d.label), ` ← ${text}`),
          h('table', { class: 'probabilities' }, h('tbody', {}, probabilities.map(([label, p]) =>
            h('tr', { 'data-label': label, 'data-probability': p }, h('td', {}, label),
              h('td', { class: 'num' }, p.toFixed(4)),
              h('td', {}, probabilityBar(p)))))));
      }), h('p', { class: 'muted', id: 'try-usage' },
        `${r.usage.inputs} input(s), ${r.usage.tokens} tokens${r.usage.truncated ? `, ${r.usage.truncated} truncated` : ''}`));
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error', id: 'try-error' }, e?.message ?? String(e)));
    }
  };
  return [h('h2', {}, 'Try it'),
    h('div', { class: 'card', id: 'try-it' }, input,
      h('p', {}, h('button', { id: 'try-run', type: 'button', onclick: run }, 'Predict')), result)];
}

/** Buttons that download the adapter in each format, sha256-checked in the browser. */
function downloadSection(id) {
  const status = h('p', { class: 'muted', id: 'download-status' });
  const formats = [['compact', `${id}.vbank`, 'Compact (vbank)'], ['peft', `${id}-peft.zip`, 'PEFT (zip)'],
    ['merged', `${id}-merged.safetensors`, 'Merged weights (safetensors)']];
  return [h('h2', {}, 'Download'),
    h('div', { class: 'card', id: 'downloads' },
      h('p', {}, formats.map(([format, filename, label]) => h('button', {
        id: `download-${format}`, type: 'button', onclick: async () => {
          status.textContent = `Downloading ${format}…`;
          try {
            const d = await download(`/v1/adapters/${enc(id)}/content?format=${format}`, filename);
            status.dataset.format = format;
            status.dataset.bytes = d.bytes;
            status.dataset.sha256 = d.sha256;
            status.textContent = `${filename}: ${bytes(d.bytes)}, sha256 ${d.sha256}${d.verified ? ' (verified)' : ''}`;
          } catch (e) {
            status.textContent = `Download failed: ${e?.message ?? e}`;
          }
        },
      }, label))), status)];
}

async function adapterPage(id, signal) {
  const adapter = await get(`/v1/adapters/${enc(id)}`, signal);
  const usage = await get(`/v1/adapters/${enc(id)}/bank_usage`, signal);
  let results = [];
  try {
    results = (await get(`/v1/adapters/${enc(id)}/evaluation_results`, signal)).data ?? [];
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) {
      throw e;
    }
  }
  const suiteNames = await suiteNamesOf(results, signal);
  const ratio = usage.stored_bytes > 0 && usage.lora_equivalent_bytes > 0
    ? `LoRA would need ${(usage.lora_equivalent_bytes / usage.stored_bytes).toFixed(1)}× the stored bytes` : '';
  const sizes = [
    { label: 'stored (vbank compact)', value: usage.stored_bytes, note: bytes(usage.stored_bytes) },
    { label: `LoRA, same modules, r=${usage.r ?? '—'}`, value: usage.lora_equivalent_bytes,
      note: bytes(usage.lora_equivalent_bytes) },
  ];
  show(h('section', { id: 'adapter', 'data-adapter-id': id },
    h('h1', {}, 'Adapter ', h('span', { class: 'mono' }, id)),
    h('div', { class: 'card' }, adapterMeta(adapter)),
    ...tryItSection(id),
    ...downloadSection(id),
    h('h2', {}, 'Size'),
    h('div', { class: 'card', id: 'size-chart' },
      sizeBars({ chart: 'sizes', title: 'Stored bytes vs LoRA-equivalent bytes (A and B in float32)', bars: sizes }),
      h('p', { class: 'muted' }, `${ratio}${ratio ? '. ' : ''}The stored bytes include the classifier head `
        + `(${bytes(usage.head_bytes)} in float32); the LoRA bar counts A and B only.`)),
    ...bankSection(usage),
    h('h2', {}, 'Evaluation results'),
    h('div', { class: 'card', id: 'evaluation-results' }, evaluationTable(results, suiteNames))));
}

// ---------------------------------------------------------------- vector banks

async function banksPage(signal) {
  const list = await get('/v1/vector_banks', signal);
  const body = h('tbody');
  for (const b of list.data) {
    body.append(h('tr', { 'data-bank-id': b.id },
      h('td', {}, h('a', { href: `#/vector_banks/${enc(b.id)}`, class: 'mono' }, b.id)),
      h('td', {}, b.name ?? '—'), h('td', {}, b.scope), h('td', {}, b.base_model),
      h('td', { class: 'num' }, `${b.num_vectors} × ${b.vector_length}`),
      h('td', { class: 'num' }, b.adapters), h('td', {}, time(b.created_at))));
  }
  const table = h('table', { id: 'banks', hidden: list.data.length === 0 },
    h('thead', {}, h('tr', {}, ['Bank', 'Name', 'Scope', 'Base model', 'h × b', 'Your adapters', 'Published']
      .map((c) => h('th', {}, c)))), body);
  const empty = h('p', { class: 'muted', id: 'no-banks', hidden: list.data.length > 0 },
    'No vector banks yet. Publish the bank of a trained VB-LoRA adapter with POST /v1/vector_banks.');
  show(h('h1', {}, 'Vector banks'), h('div', { class: 'card' }, table, empty));
}

async function bankPage(id, signal) {
  const bank = await get(`/v1/vector_banks/${enc(id)}`, signal);
  const usage = await get(`/v1/vector_banks/${enc(id)}/usage`, signal);
  const rows = [
    ['Name', bank.name], ['Scope', bank.scope === 'platform' ? 'platform-wide (read-only)' : 'yours'],
    ['Base model', bank.base_model], ['Shape', `${bank.num_vectors} vectors × ${bank.vector_length}`],
    ['Stored bytes', `${bytes(bank.bytes)} (${bank.bytes} B), once`], ['sha256', h('span', { class: 'mono' }, bank.sha256)],
    ['Published from', bank.source_adapter && bank.scope !== 'platform'
      ? h('a', { href: `#/adapters/${enc(bank.source_adapter)}`, class: 'mono' }, bank.source_adapter) : bank.source_adapter],
    ['Published', time(bank.created_at)],
  ];
  const unused = usage.usage.filter((c) => c === 0).length;
  const adapters = usage.adapters.length === 0
    ? h('p', { class: 'muted', id: 'no-bank-adapters' }, 'None of your adapters uses this bank yet.')
    : h('ul', { id: 'bank-adapters' }, usage.adapters.map((a) =>
      h('li', {}, h('a', { href: `#/adapters/${enc(a)}`, class: 'mono' }, a))));
  show(h('section', { id: 'bank', 'data-bank-id': id },
    h('h1', {}, 'Vector bank ', h('span', { class: 'mono' }, id)),
    h('div', { class: 'card' }, h('dl', { class: 'meta', id: 'bank-meta' },
      rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]))),
    h('h2', {}, `Used by ${usage.adapter_count} of your adapters`),
    h('div', { class: 'card' }, adapters),
    h('h2', {}, 'Bank vector usage over those adapters'),
    h('div', { class: 'card', id: 'bank-usage-chart' },
      barChart({ chart: 'bank-usage', title: 'Times each bank vector is selected, summed over the adapters',
        xLabel: 'bank vector', bars: usage.usage.map((value, i) => ({ label: String(i), value })) }),
      h('p', { class: 'muted' }, `${usage.sub_vectors} sub-vectors in all; ${unused} of ${usage.num_vectors} bank `
        + 'vectors are never selected. Each adapter\'s own selection is the heatmap on its page.'))));
}

// ---------------------------------------------------------------- routing

function route() {
  page?.abort();
  page = new AbortController();
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  const key = session.key();
  who.textContent = key ? `key ${key.slice(0, 8)}…` : '';
  logout.hidden = !key;
  if (!key) {
    loginPage();
    return;
  }
  const [kind, id] = location.hash.replace(/^#\/?/, '').split('/');
  const signal = page.signal;
  let work;
  if (kind === 'jobs' && id) {
    work = jobPage(decodeURIComponent(id), signal);
  } else if (kind === 'adapters' && id) {
    work = adapterPage(decodeURIComponent(id), signal);
  } else if (kind === 'vector_banks' && id) {
    work = bankPage(decodeURIComponent(id), signal);
  } else if (kind === 'vector_banks') {
    work = banksPage(signal);
  } else {
    work = jobsPage(signal);
  }
  work.catch(showError);
}

document.getElementById('logout').addEventListener('click', () => {
  session.logout();
  location.hash = '#/jobs';
  route();
});
window.addEventListener('hashchange', route);
route();

