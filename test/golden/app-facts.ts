/**
 * App-layer corpus parity (issue "Session evidence"): our EVE evidence events (tls, http, dns,
 * ssh, quic) and flow `app_proto` against the facts of suricata-verify, Zeek and nDPI (see
 * ../shared/corpus/README.md for each source's field meanings and conventions).
 *
 * Each capture is replayed once through the product path (`runReplay` in agent/sensor.ts, the
 * CLI's replay) with its EVE output collected in memory, and cached per (pcap, config). Each
 * `evaluate*` returns one outcome per fact, grouped so the test prints a rate per group; facts
 * about fields we do not produce are classed not applicable, with a reason, per field.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG, type SensorConfig } from '../../agent/config/load.js';
import type { LineWriter } from '../../agent/output/eve.js';
import { runReplay } from '../../agent/sensor.js';
import { canonicalIp, CORPUS, mapLimit, parseIp, REPO } from '../helpers/corpus.js';
import { factKey, type Check, type Fact, type Outcome } from './parity.js';

export type Ev = Record<string, unknown> & {
  event_type: string;
  src_ip?: string;
  src_port?: number;
  dest_ip?: string;
  dest_port?: number;
  proto?: string;
  app_proto?: string | null;
};

export interface AppRun {
  /** EVE flow events. */
  flows: Ev[];
  /** EVE evidence events (everything but flow, window, alert, stats). */
  events: Ev[];
}

const NOT_EVIDENCE = new Set(['flow', 'window', 'alert', 'stats', 'netflow']);

/**
 * How a capture is replayed: `default` is the shipped config; `zeek` also finds Teredo/AYIYA by
 * content on any UDP port (`flow.udp_tunnel_detection`), as Zeek's dynamic protocol detection
 * does and as corpus-parity.test.ts replays Zeek's captures for its flow facts.
 */
export type ReplayVariant = 'default' | 'zeek';

function configFor(variant: ReplayVariant): SensorConfig {
  const flow = { ...DEFAULT_CONFIG.flow, udp_tunnel_detection: variant === 'zeek' };
  return { ...DEFAULT_CONFIG, sensor_id: 'app-parity', workers: 1, flow };
}

const cache = new Map<string, Promise<AppRun>>();

/**
 * Developer aid only (off unless EXFIL_APP_PARITY_CACHE_DIR is set): keep each capture's EVE
 * output on disk between runs, keyed by the addon's size and mtime and the capture's name, to
 * iterate on the fact mapping without replaying. CI never sets it.
 */
export const DEV_CACHE = process.env.EXFIL_APP_PARITY_CACHE_DIR;
function devCacheFile(pcap: string): string | null {
  if (!DEV_CACHE) return null;
  const addon = readdirSync(path.join(REPO, 'agent/native')).find((f) => f.endsWith('.node'));
  const st = addon ? statSync(path.join(REPO, 'agent/native', addon)) : null;
  return path.join(DEV_CACHE, `${st ? `${st.size}-${Math.round(st.mtimeMs)}` : 'none'}-${pcap.replace(/[/\\]/g, '_')}.json`);
}
function devCacheRead(pcap: string): AppRun | null {
  const f = devCacheFile(pcap);
  return f && existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as AppRun) : null;
}
function devCacheWrite(pcap: string, run: AppRun): void {
  const f = devCacheFile(pcap);
  if (!f) return;
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, JSON.stringify(run));
}
export let replays = 0;

/** Replay `pcap` (corpus-relative) once through the sensor and keep its EVE events. */
export function appRun(pcap: string, variant: ReplayVariant = 'default'): Promise<AppRun> {
  const key = `${pcap}#${variant}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const cached = devCacheRead(key);
      if (cached) return cached;
      replays++;
      const flows: Ev[] = [];
      const events: Ev[] = [];
      const sink = {
        write(ev: unknown): undefined {
          const e = JSON.parse(JSON.stringify(ev, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Ev;
          if (e.event_type === 'flow') flows.push(e);
          else if (!NOT_EVIDENCE.has(e.event_type)) events.push(e);
          return undefined;
        },
      } as unknown as LineWriter;
      await runReplay([path.join(CORPUS, pcap)], configFor(variant), { eve: sink, eveWindows: 'none' });
      devCacheWrite(key, { flows, events });
      return { flows, events };
    })();
    cache.set(key, p);
  }
  return p;
}

export async function preloadApp(pcaps: string[], variant: ReplayVariant = 'default'): Promise<void> {
  await mapLimit([...new Set(pcaps)], 2, (p) => appRun(p, variant));
}

// ---------------------------------------------------------------------------------------------
// Paths and values.

/** `dns.answers[0].rrname` -> the value in `o`, or undefined. */
export function getPath(o: unknown, p: string): unknown {
  let cur: unknown = o;
  for (const tok of p.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(tok);
    if (!m) return undefined;
    if (m[1] !== '') {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[m[1] ?? ''];
    }
    for (const idx of (m[2] ?? '').match(/\d+/g) ?? []) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(idx)];
    }
  }
  return cur;
}

/** Equal as the tools print them: numbers vs numeric strings, IPv6 spellings. */
export function sameValue(got: unknown, want: unknown): boolean {
  if (got === undefined || got === null) return want === null;
  if (typeof want === 'object' && want !== null) return JSON.stringify(got) === JSON.stringify(want);
  const g = String(got);
  const w = String(want);
  if (g === w) return true;
  if (g.includes(':') && w.includes(':') && parseIp(g) && parseIp(w)) return canonicalIp(g) === canonicalIp(w);
  return false;
}

const lowerName = (v: unknown): string => String(v ?? '').replace(/\.$/, '').toLowerCase();

// ---------------------------------------------------------------------------------------------
// Suricata fields: which group, or why not applicable; and how each maps onto our v3 output.

export type Group = 'app_proto' | 'tls' | 'quic' | 'http' | 'dns' | 'ssh';

export type Class = { group: Group } | { na: string } | { skip: true };

const TLS_FIELDS = /^tls\.(sni|version|notbefore|notafter|ja3\.(hash|string)|ja3s\.(hash|string)|ja4|subject|issuerdn|client_alpns\[\d+\])$/;
const HTTP_FIELDS = /^http\.(hostname|url|http_user_agent|http_method|http_content_type|status)$/;
const DNS_FIELDS = /^dns\.(type|rrname|rrtype|rcode|queries\[\d+\]\.(rrname|rrtype)|query\[\d+\]\.(rrname|rrtype)|answers\[\d+\]\.(rrname|rrtype|rdata)|answer\.(rrname|rrtype|rcode)|grouped\.[A-Z0-9]+\[\d+\])$/;
const SSH_FIELDS = /^ssh\.(client|server)\.(software_version|proto_version)$/;
const QUIC_FIELDS = /^quic\.(sni|ja4|version)$/;

export function classifySuricata(field: string): Class {
  if (field === 'app_proto') return { group: 'app_proto' };
  if (field.startsWith('flow.') || field === 'community_id' || field === 'proto') return { skip: true };
  if (TLS_FIELDS.test(field)) return { group: 'tls' };
  if (QUIC_FIELDS.test(field)) return { group: 'quic' };
  if (HTTP_FIELDS.test(field)) return { group: 'http' };
  if (DNS_FIELDS.test(field)) return { group: 'dns' };
  if (SSH_FIELDS.test(field)) return { group: 'ssh' };
  if (/^ssh\..*hassh/.test(field)) return { na: 'HASSH is not part of SPEC section 5 (SSH evidence is the version banners)' };
  if (field === 'http.protocol') return { na: 'the HTTP version string is not part of the evidence body (SPEC section 5: method, host, URI, user agent, content type, length, status)' };
  if (field.startsWith('smb.')) return { na: 'SMB is detected as app_proto only; SMB commands and dialects are not parsed' };
  if (field.startsWith('ftp.')) return { na: 'FTP is detected as app_proto only; FTP commands are not parsed' };
  return { na: `field ${field} is not produced by our evidence` };
}

/** Our value for a Suricata field on one of our events (v2/v3 DNS spellings mapped to v3). */
export function ourSuricataValue(ev: Ev, field: string): unknown {
  if (field === 'app_proto') return ev.app_proto;
  const g = /^dns\.grouped\.([A-Z0-9]+)\[(\d+)\]$/.exec(field);
  if (g) {
    const answers = (getPath(ev, 'dns.answers') as { rrtype?: string; rdata?: unknown }[] | undefined) ?? [];
    return answers.filter((a) => a.rrtype === g[1])[Number(g[2])]?.rdata;
  }
  if (field === 'dns.rrname' || field === 'dns.answer.rrname') return getPath(ev, 'dns.queries[0].rrname');
  if (field === 'dns.rrtype' || field === 'dns.answer.rrtype') return getPath(ev, 'dns.queries[0].rrtype');
  if (field === 'dns.answer.rcode') return getPath(ev, 'dns.rcode');
  const q = /^dns\.query\[(\d+)\]\.(.*)$/.exec(field);
  if (q) return getPath(ev, `dns.queries[${q[1]}].${q[2]}`);
  return getPath(ev, field);
}

/** Suricata's expected value in our spelling (DNS v2 "query"/"answer" are v3 request/response). */
export function suricataExpected(field: string, v: unknown): unknown {
  if (field === 'dns.type') return v === 'query' ? 'request' : v === 'answer' ? 'response' : v;
  return v;
}

/** The event kind a field lives on. */
function kindOf(field: string): string {
  return field.split('.')[0] ?? '';
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, 'ipv6-icmp': 58, sctp: 132 };
const protoOf = (v: unknown): number | null => (typeof v === 'number' ? v : v === undefined ? null : (PROTO_NUM[String(v).toLowerCase()] ?? (/^\d+$/.test(String(v)) ? Number(v) : null)));

/** Does event `e` sit on the selector's tuple (`oriented`: src must be src; else either way)? */
export function onTuple(e: Ev, sel: Record<string, unknown> | null | undefined, oriented = false): boolean {
  if (!sel) return true;
  if (sel.proto !== undefined && protoOf(sel.proto) !== protoOf(e.proto)) {
    // Zeek's conn.log "icmp" for ICMPv6.
    if (!(String(sel.proto).toLowerCase() === 'icmp' && protoOf(e.proto) === 58)) return false;
  }
  const ip = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : canonicalIp(String(v)));
  const eq = (a: unknown, b: unknown): boolean => a === undefined || b === undefined || a === b;
  const [s, d, sp, dp] = [ip(sel.src_ip), ip(sel.dest_ip), sel.src_port as number | undefined, sel.dest_port as number | undefined];
  const [es, ed] = [ip(e.src_ip), ip(e.dest_ip)];
  if (eq(s, es) && eq(d, ed) && eq(sp, e.src_port) && eq(dp, e.dest_port)) return true;
  if (oriented) return false;
  return eq(s, ed) && eq(d, es) && eq(sp, e.dest_port) && eq(dp, e.src_port);
}

export interface AppOutcome extends Outcome {
  group: Group | 'na';
  naReason?: string;
}

/**
 * Suricata facts: among our records of the fact's event type on the selector's tuple, `count`
 * of them carry every key of the check that we produce (mapped onto our v3 spelling). For
 * fileinfo events (one per file, not per transaction) and for fields kept from alert, netflow
 * or untyped checks, the fact holds when a record of its flow carries the value.
 */
export async function evaluateSuricataApp(facts: Fact[], checks: Map<string, Check>): Promise<AppOutcome[]> {
  const out: AppOutcome[] = [];
  for (const fact of facts) {
    const cls = classifySuricata(fact.field);
    if ('skip' in cls) continue;
    const key = factKey(fact);
    if ('na' in cls) {
      out.push({ fact, ok: false, got: null, key, group: 'na', naReason: cls.na });
      continue;
    }
    const run = await appRun(fact.pcap as string);
    const check = fact.check_id ? checks.get(fact.check_id) : undefined;
    const et = fact.event_type ?? '';
    const want = suricataExpected(fact.field, fact.expected);
    if (cls.group === 'app_proto') {
      const oriented = et === 'flow' && fact.selector_direction === 'flow';
      const cands = run.flows.filter((f) => onTuple(f, fact.selector, oriented));
      const hits = cands.filter((f) => sameValue(f.app_proto, want));
      const ok = et === 'flow' ? hits.length === (fact.count ?? 1) : hits.length >= 1;
      out.push({ fact, ok, got: [...new Set(cands.map((f) => f.app_proto ?? null))], key, group: cls.group });
      continue;
    }
    const kind = kindOf(fact.field);
    const cands = run.events.filter((e) => e.event_type === kind && onTuple(e, fact.selector));
    const exact = et === kind;
    // Several transactions can share a tuple: the records the check describes are the `count`
    // of ours that agree with most of the check's keys we produce (ties go to those carrying the
    // fact's value). The fact holds when each of them carries the value and no more than
    // `count` records agree with every key (over-production fails too). So one wrong field of a
    // record fails that field's facts, not the check's other facts.
    const keys = exact
      ? Object.entries(check?.match ?? {}).filter(([k]) => (k === 'dns.id' || 'group' in classifySuricata(k)) && k !== 'app_proto' && kindOf(k) === kind)
      : [];
    if (!keys.some(([k]) => k === fact.field)) keys.push([fact.field, fact.expected]);
    const carries = (e: Ev): boolean => sameValue(ourSuricataValue(e, fact.field), want);
    const scored = cands
      .map((e, i) => ({ e, i, s: keys.filter(([k, v]) => sameValue(ourSuricataValue(e, k), suricataExpected(k, v))).length, c: carries(e) }))
      .sort((a, b) => b.s - a.s || Number(b.c) - Number(a.c) || a.i - b.i);
    const n = fact.count ?? 1;
    let ok: boolean;
    let got: unknown;
    if (exact) {
      const top = scored.slice(0, n);
      const full = scored.filter((x) => x.s === keys.length).length;
      ok = top.length === n && top.every((x) => x.c) && full <= n;
      got = cands.length === 0 ? `no ${kind} event` : ok ? null : { records: cands.length, agreeing_with_all_keys: full, count: n, values: top.map((x) => ourSuricataValue(x.e, fact.field) ?? null) };
    } else {
      ok = scored.some((x) => x.c);
      got = cands.length === 0 ? `no ${kind} event` : [...new Set(cands.map((e) => JSON.stringify(ourSuricataValue(e, fact.field) ?? null)))].slice(0, 6);
    }
    out.push({ fact, ok, got, key, group: cls.group });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Zeek and nDPI: per connection (tuple), does one of our records carry the value?

interface Getter {
  group: string;
  kinds: string[];
  get: (e: Ev) => unknown[];
  norm: (v: unknown) => string;
}

const ident = (v: unknown): string => String(v ?? '');
/** Zeek's http.host is the Host header as sent (port included when present); ours is the host. */
const hostOnly = (v: unknown): string => lowerName(String(v ?? '').replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([^:]*):\d+$/, '$1'));

/**
 * Zeek logs the URI percent-decoded, with bytes outside printable ASCII as `\xHH`; Suricata
 * and we print it as sent. Both sides are brought to Zeek's form.
 */
function zeekUri(v: unknown): string {
  const bytes: number[] = [];
  const s = String(v ?? '');
  for (let i = 0; i < s.length; i++) {
    const m = /^%([0-9A-Fa-f]{2})/.exec(s.slice(i, i + 3));
    if (m) {
      bytes.push(parseInt(m[1] ?? '0', 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return bytes.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

function zeekDnsQuery(e: Ev): unknown[] {
  const qs = ((getPath(e, 'dns.queries') as { rrname?: string }[] | undefined) ?? []).map((q) => q.rrname);
  return qs.length > 0 ? qs : [getPath(e, 'dns.answers[0].rrname')];
}

export const ZEEK_APP: Record<string, Getter> = {
  // Zeek's ssl.log also logs the ClientHello carried in QUIC Initials.
  'ssl.server_name': { group: 'zeek ssl.server_name', kinds: ['tls', 'quic'], get: (e) => [getPath(e, 'tls.sni'), getPath(e, 'quic.sni')], norm: lowerName },
  'http.host': { group: 'zeek http', kinds: ['http'], get: (e) => [getPath(e, 'http.hostname')], norm: hostOnly },
  'http.uri': { group: 'zeek http', kinds: ['http'], get: (e) => [getPath(e, 'http.url')], norm: zeekUri },
  'http.user_agent': { group: 'zeek http', kinds: ['http'], get: (e) => [getPath(e, 'http.http_user_agent')], norm: ident },
  // Zeek's query is the question's name; a reply without a question (unsolicited mDNS) logs
  // its first answer's name.
  'dns.query': { group: 'zeek dns.query', kinds: ['dns'], get: zeekDnsQuery, norm: lowerName },
  'quic.server_name': { group: 'zeek quic', kinds: ['quic'], get: (e) => [getPath(e, 'quic.sni')], norm: lowerName },
};

export const NDPI_APP: Record<string, Getter> = {
  'ndpi.sni_or_host': {
    group: 'ndpi sni_or_host',
    kinds: ['tls', 'quic', 'http', 'dns'],
    get: (e) => [getPath(e, 'tls.sni'), getPath(e, 'quic.sni'), getPath(e, 'http.hostname'), ...(((getPath(e, 'dns.queries') as { rrname?: string }[] | undefined) ?? []).map((q) => q.rrname))],
    norm: lowerName,
  },
  'ndpi.ja3_hash': { group: 'ndpi ja3_hash', kinds: ['tls', 'quic'], get: (e) => [getPath(e, 'tls.ja3.hash'), getPath(e, 'quic.ja3.hash')], norm: ident },
  'ndpi.ja4': { group: 'ndpi ja4', kinds: ['tls', 'quic'], get: (e) => [getPath(e, 'tls.ja4'), getPath(e, 'quic.ja4')], norm: ident },
};

export interface TupleOutcome extends Outcome {
  group: string;
  /** Set when the fact is about something we do not produce (counted apart, never silently). */
  naReason?: string;
}

/**
 * nDPI fills `sni_or_host` (and JA3/JA4) for many protocols. We parse TLS over TCP (on any port,
 * IMAPS/POPS/SMTPS/FTPS included), QUIC, HTTP and DNS; a fact whose flow nDPI classified as
 * something else is not applicable, with the protocol as the reason.
 */
const NDPI_OURS = new Set(['TLS', 'QUIC', 'HTTP', 'HTTP_Proxy', 'HTTP_Connect', 'DNS', 'IMAPS', 'POPS', 'SMTPS', 'FTPS']);
const NDPI_NA: Record<string, string> = {
  DTLS: 'DTLS (TLS over UDP) is not parsed: SPEC section 5 asks for TLS over TCP and QUIC',
  MDNS: 'mDNS service discovery names: nDPI classifies port 5353 as MDNS, which is not a protocol we parse',
  SMTP: 'SNI of a TLS session started in-band (SMTP STARTTLS): TLS after a cleartext upgrade is not parsed',
};

export function ndpiApplicability(facts: Fact[]): (f: Fact) => string | null {
  const proto = new Map<string, string>();
  for (const f of facts) if (f.field === 'ndpi.ndpi_proto') proto.set(`${f.pcap}#${f.flow_index}`, String(f.expected));
  return (f) => {
    const p = proto.get(`${f.pcap}#${f.flow_index}`);
    if (p === undefined) return null;
    const master = p.split('.')[0] ?? p;
    if (NDPI_OURS.has(master)) return null;
    return NDPI_NA[master] ?? `nDPI takes this value from ${master} (${p}), a protocol we do not parse`;
  };
}

export async function evaluateByConnection(
  facts: Fact[],
  getters: Record<string, Getter>,
  notApplicable?: (f: Fact) => string | null,
  variant: ReplayVariant = 'default',
): Promise<TupleOutcome[]> {
  const out: TupleOutcome[] = [];
  for (const fact of facts) {
    const g = getters[fact.field];
    if (!g) continue;
    const na = notApplicable?.(fact);
    if (na) {
      out.push({ fact, ok: false, got: null, key: factKey(fact), group: 'na', naReason: na });
      continue;
    }
    const run = await appRun(fact.pcap as string, variant);
    const want = g.norm(fact.expected);
    const cands = run.events.filter((e) => g.kinds.includes(e.event_type) && onTuple(e, fact.selector));
    const vals = [...new Set(cands.flatMap((e) => g.get(e)).filter((v) => v !== undefined && v !== null).map(g.norm))];
    // Zeek prints "-" for an unset field: then none of ours may carry one.
    const ok = want === '-' ? vals.length === 0 : vals.includes(want);
    out.push({ fact, ok, got: cands.length === 0 ? `no ${g.kinds.join('/')} event` : vals.slice(0, 6), key: factKey(fact), group: g.group });
  }
  return out;
}
