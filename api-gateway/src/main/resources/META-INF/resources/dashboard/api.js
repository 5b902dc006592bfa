// The public API as the dashboard uses it: every call carries the tenant's key from sessionStorage.

const KEY = 'vbank.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  login: (key) => sessionStorage.setItem(KEY, key.trim()),
  logout: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? null;
  }
}

function headers(accept) {
  return { Authorization: `Bearer ${session.key()}`, Accept: accept };
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    // not JSON: the status says enough
  }
  return new ApiError(response.status, body);
}

export async function get(path, signal) {
  const response = await fetch(path, { headers: headers('application/json'), signal });
  if (!response.ok) {
    throw await failure(response);
  }
  return response.json();
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminalEvent(event) {
  return event.type === 'state' && TERMINAL.has(event.data?.status);
}

/**
 * Follows a job's events over server-sent events (read with fetch, since EventSource cannot send the key) from the
 * first event, calling onEvent for each, until the terminal state event; reconnects with Last-Event-ID when a stream
 * ends early. Resolves when the job is over or the signal aborts.
 */
export async function followEvents(jobId, onEvent, signal) {
  let last = null;
  for (;;) {
    const h = headers('text/event-stream');
    if (last) {
      h['Last-Event-ID'] = last;
    }
    const response = await fetch(`/v1/fine_tuning/jobs/${encodeURIComponent(jobId)}/events`, { headers: h, signal });
    if (!response.ok) {
      throw await failure(response);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      buffer += value.replace(/\r\n/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
        if (!data) {
          continue;
        }
        const event = JSON.parse(data);
        last = event.id;
        onEvent(event);
        if (isTerminalEvent(event)) {
          reader.cancel().catch(() => {});
          return;
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function post(path, body, signal) {
  const response = await fetch(path, {
    method: 'POST', headers: { ...headers('application/json'), 'Content-Type': 'application/json' },
    body: JSON.stringify(body), signal,
  });
  if (!response.ok) {
    throw await failure(response);
  }
  return response.json();
}

/**
 * Fetches a file with the key (a plain link could not send it), checks its sha256 against the X-Vbank-Sha256 header
 * when the API sends one, and hands it to the browser as a download. Resolves to { bytes, sha256, verified }.
 */
export async function download(path, filename) {
  const response = await fetch(path, { headers: headers('*/*') });
  if (!response.ok) {
    throw await failure(response);
  }
  const blob = await response.blob();
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const announced = response.headers.get('X-Vbank-Sha256');
  if (announced && announced.toLowerCase() !== sha256) {
    throw new Error(`the download's sha256 ${sha256} is not the announced ${announced}`);
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { bytes: blob.size, sha256, verified: Boolean(announced) };
}
