/**
 * The alert's optional `evidence` object (`AlertEvidence` in agent/verdict/types.ts: deduplicated
 * lists of at most 8 items, largest flow first), read defensively: an alert from a sensor that ran
 * without evidence has none, and a missing or malformed list reads as empty.
 */

/**
 * @typedef {object} Evidence
 * @property {string[]} sni
 * @property {string[]} ja3 JA3 MD5 hashes
 * @property {string[]} ja4
 * @property {string[]} http_hosts
 * @property {string[]} user_agents HTTP user agents
 * @property {string[]} dns_names passive-DNS names of dest_ip at the window's end
 * @property {string[]} ssh_client
 * @property {string[]} ssh_server
 * @property {string[]} file_types upload file types (magic bytes)
 * @property {string[]} alpn
 * @property {string[]} tls_versions
 * @property {string[]} ja3s JA3S MD5 hashes
 * @property {string[]} cert_subjects certificate subject DNs (TLS <= 1.2)
 * @property {string[]} cert_issuers certificate issuer DNs
 * @property {string[]} http_methods
 * @property {string[]} http_urls
 * @property {string[]} http_content_types
 * @property {string[]} http_statuses
 * @property {string[]} dns_queries names the group's DNS flows asked for
 * @property {boolean | null} sni_dns_mismatch null when unknown
 * @property {string[]} community_ids every community_id known for the alert (aggregate, largest flow)
 */

/** @param {unknown} v @returns {string[]} */
function list(v) {
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  /** @type {string[]} */
  const out = [];
  for (const x of arr) {
    const s = typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '';
    if (s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * @param {any} alert the WireAlert as received
 * @param {any} [row] the AlertRow (its `sni` fills in when the evidence has none)
 * @returns {Evidence}
 */
export function evidenceOf(alert, row) {
  /** @type {Record<string, unknown>} */
  const e = alert && typeof alert.evidence === 'object' && alert.evidence ? alert.evidence : {};
  const agg = (alert && alert.aggregate) || {};
  const sni = list(e.sni);
  if (row && typeof row.sni === 'string' && row.sni && !sni.includes(row.sni)) sni.push(row.sni);
  return {
    sni,
    ja3: list(e.ja3),
    ja4: list(e.ja4),
    http_hosts: list(e.http_hosts),
    user_agents: list(e.http_user_agents),
    dns_names: list(e.dns_names),
    ssh_client: list(e.ssh_client),
    ssh_server: list(e.ssh_server),
    file_types: list(e.file_types),
    alpn: list(e.alpn),
    tls_versions: list(e.tls_versions),
    ja3s: list(e.ja3s),
    cert_subjects: list(e.cert_subjects),
    cert_issuers: list(e.cert_issuers),
    http_methods: list(e.http_methods),
    http_urls: list(e.http_urls),
    http_content_types: list(e.http_content_types),
    http_statuses: list(e.http_statuses),
    dns_queries: list(e.dns_queries),
    sni_dns_mismatch: typeof e.sni_dns_mismatch === 'boolean' ? e.sni_dns_mismatch : null,
    community_ids: [...new Set([...list(agg.largest_flow && agg.largest_flow.community_id), ...list(agg.community_ids)])],
  };
}
