/**
 * A small registered-domain helper for grouping destinations by who runs them.
 *
 * Simplification (documented, deliberate): this is not the Public Suffix List. The registered
 * domain is the last two labels of the name, or the last three when the last two are one of the
 * common second-level public suffixes below (`co.uk`, `com.au`, ...). Private suffixes such as
 * `s3.amazonaws.com` or `github.io` are not special-cased, so `bucket.s3.amazonaws.com` groups
 * under `amazonaws.com`, which is what destination consolidation wants for rotating cloud IPs
 * (and is coarser than the PSL for user-hosted sites on shared platforms).
 */
import { parseIp } from './home-net.js';

/** Second-level public suffixes common enough to matter: `x.co.uk` is registered as a whole. */
export const SECOND_LEVEL_SUFFIXES: ReadonlySet<string> = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk', 'net.uk', 'nhs.uk', 'sch.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au', 'asn.au', 'id.au',
  'co.nz', 'net.nz', 'org.nz', 'govt.nz', 'ac.nz',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp', 'ad.jp', 'ed.jp', 'gr.jp', 'lg.jp',
  'co.kr', 'or.kr', 'ne.kr', 'go.kr', 'ac.kr',
  'com.br', 'net.br', 'org.br', 'gov.br',
  'com.cn', 'net.cn', 'org.cn', 'gov.cn', 'edu.cn',
  'com.hk', 'net.hk', 'org.hk', 'com.tw', 'net.tw', 'org.tw', 'com.sg', 'com.my',
  'co.in', 'net.in', 'org.in', 'gov.in', 'ac.in', 'firm.in', 'gen.in', 'ind.in',
  'co.za', 'org.za', 'gov.za', 'ac.za',
  'com.mx', 'com.ar', 'com.co', 'com.pe', 'com.ve', 'com.uy', 'com.ec',
  'com.tr', 'co.il', 'org.il', 'ac.il', 'com.ua', 'co.id', 'or.id', 'ac.id', 'go.id',
  'com.ph', 'com.vn', 'com.pk', 'com.ng', 'com.eg', 'com.sa', 'co.th', 'in.th', 'ac.th',
  'com.pl', 'co.at', 'or.at', 'com.es', 'com.gr', 'com.ru', 'com.kz', 'co.ke',
]);

/**
 * Registered domain of a DNS name (lowercased, trailing dot dropped), or null for empty input,
 * IP literals and single labels.
 */
export function registeredDomain(name: string | null | undefined): string | null {
  if (!name) return null;
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === '' || parseIp(host) !== null || host.startsWith('[')) return null;
  const labels = host.split('.').filter((l) => l.length > 0);
  if (labels.length < 2) return null;
  const lastTwo = labels.slice(-2).join('.');
  if (SECOND_LEVEL_SUFFIXES.has(lastTwo)) {
    return labels.length >= 3 ? labels.slice(-3).join('.') : null;
  }
  return lastTwo;
}
