/**
 * Talks to the collector's analyst API (docs/collector-api.md) with the user's bearer token.
 * The token arrives once in the URL fragment (`#token=...`), is kept in sessionStorage and the
 * fragment is removed from the address bar so it is not shared with the view's URL.
 */

const TOKEN_KEY = 'exfil-collector-token';

/** An API answer that was not 2xx; `status` 401 means the token is missing or refused. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the request did not reach the server)
   * @param {string} code stable error code from the server's body, or a local one
   * @param {string} message
   * @param {string} path the API path that failed
   */
  constructor(status, code, message, path) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

/**
 * Takes `#token=...` from the fragment (once) into sessionStorage and strips it from the URL.
 * @returns {string | null} the token in use
 */
export function adoptToken() {
  const hash = location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash);
  const fromHash = params.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * @param {string} path e.g. `/api/v1/alerts?page=1`
 * @param {{method?: string, body?: unknown}} [opts]
 * @returns {Promise<any>} the decoded JSON body
 */
export async function api(path, opts = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `the collector did not answer (${String(err)})`, path);
  }
  const text = await res.text();
  /** @type {any} */
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    const code = (body && typeof body.code === 'string' && body.code) || `http_${res.status}`;
    const msg = (body && typeof body.error === 'string' && body.error) || res.statusText || `HTTP ${res.status}`;
    throw new ApiError(res.status, code, msg, path);
  }
  return body;
}

/**
 * @param {Record<string, string | number | undefined | null>} params
 * @returns {string} `?a=1&b=2` without empty values, or ''
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
