/**
 * Corpus parity: our flow records against facts from Suricata, Zeek, nDPI and the Community ID
 * spec (see ../shared/corpus/README.md for what each source's fields mean). Each `evaluate*`
 * returns one outcome per fact, so the test can print a rate per source and list mismatches.
 */
import path from 'node:path';
import { native } from '../../agent/native/index.js';
import { canonicalIp, CORPUS, mapLimit, parseIp, readJsonl, replayToEve, type EveFlow } from '../helpers/corpus.js';

export interface Fact {
  source: string;
  pcap: string | null;
  field: string;
  expected: unknown;
  selector: Record<string, unknown>;
  selector_direction?: string;
  check_id?: string;
  count?: number;
  event_type?: string;
  params?: { seed: number; base64: boolean };
  flow_index?: number;
  uid?: string;
  /** Zeek: the btest the row comes from (one pcap can feed several tests). */
  test?: string;
}

export interface Outcome {
  fact: Fact;
  ok: boolean;
  got: unknown;
  /** Stable identity of the fact, used by the known-mismatch list. */
  key: string;
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, igmp: 2, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132 };

/** Protocols with ports; for the others a tool's "port 0" means "no port". */
function hasPorts(proto: number | null | undefined): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

function protoOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return PROTO_NUM[v.toLowerCase()] ?? (/^\d+$/.test(v) ? Number(v) : null);
  return null;
}

function flowProto(f: EveFlow): number {
  return protoOf(f.proto) ?? -1;
}

/**
 * Zeek's conn.log proto is only tcp, udp, icmp or unknown_transport: "icmp" with IPv6
 * addresses is ICMPv6, and unknown_transport (ports 0) is any other IP protocol (SCTP, OSPF,
 * ...), whose ports Zeek does not look at.
 */
function zeekProto(sel: Record<string, unknown>): 'icmp6' | 'unknown' | null {
  const p = String(sel.proto ?? '');
  if (p === 'icmp' && String(sel.src_ip ?? '').includes(':')) return 'icmp6';
  if (p === 'unknown_transport') return 'unknown';
  return null;
}

export function factKey(f: Fact): string {
  const s = f.selector;
  const tuple = ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto'].map((k) => (s[k] === undefined ? '*' : String(s[k])));
  return [f.source, f.pcap ?? '-', f.check_id ?? (f.test ? `${f.test}/${f.uid}` : undefined) ?? f.flow_index ?? '', f.field, tuple.join(' ')].join(' | ');
}

/** Does our flow match the fact's tuple? `oriented` requires src = our client; else either way. */
function tupleMatch(f: EveFlow, sel: Record<string, unknown>, oriented: boolean): 'same' | 'reversed' | null {
  const want = {
    src: sel.src_ip === undefined ? undefined : canonicalIp(String(sel.src_ip)),
    dst: sel.dest_ip === undefined ? undefined : canonicalIp(String(sel.dest_ip)),
    sp: (sel.src_port ?? undefined) as number | undefined,
    dp: (sel.dest_port ?? undefined) as number | undefined,
    proto: sel.proto === undefined ? undefined : protoOf(sel.proto),
  };
  const zp = zeekProto(sel);
  if (zp === 'icmp6') want.proto = 58;
  if (zp === 'unknown') {
    if ([1, 6, 17, 58].includes(flowProto(f))) return null;
  } else if (want.proto !== undefined && want.proto !== flowProto(f)) return null;
  // ICMP "ports" are type/code and mean different things to each tool, and protocols without
  // ports have none: match those on addresses.
  const icmp = !hasPorts(flowProto(f)) || zp === 'unknown';
  const sp = icmp ? undefined : f.src_port;
  const dp = icmp ? undefined : f.dest_port;
  const eq = (a: unknown, b: unknown): boolean => a === undefined || b === undefined || a === b;
  if (eq(want.src, f.src_ip) && eq(want.dst, f.dest_ip) && (icmp || (eq(want.sp, sp) && eq(want.dp, dp)))) return 'same';
  if (oriented) return null;
  if (eq(want.src, f.dest_ip) && eq(want.dst, f.src_ip) && (icmp || (eq(want.sp, dp) && eq(want.dp, sp)))) return 'reversed';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Replays are cached per (pcap, seed).

const cache = new Map<string, Promise<EveFlow[]>>();

export function flowsOf(pcap: string, seed = 0, engineConfig = '', base64 = true): Promise<EveFlow[]> {
  const k = `${pcap}#${seed}#${engineConfig}#${base64}`;
  let p = cache.get(k);
  if (!p) {
    p = replayToEve([path.join(CORPUS, pcap)], { communityIdSeed: seed, engineConfig, base64 }).then((r) => r.flows);
    cache.set(k, p);
  }
  return p;
}

export async function preload(runs: [string, number, string?][]): Promise<void> {
  await mapLimit(runs, 2, ([pcap, seed, cfg]) => flowsOf(pcap, seed, cfg ?? ''));
}

// ---------------------------------------------------------------------------------------------

export async function evaluateCommunityIdSpec(facts: Fact[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const fact of facts) {
    const seed = fact.params?.seed ?? 0;
    const base64 = fact.params?.base64 ?? true;
    const s = fact.selector;
    if (fact.pcap === null) {
      const src = parseIp(String(s.src_ip));
      const dst = parseIp(String(s.dest_ip));
      const got =
        src && dst
          ? native.communityId(src, dst, Number(s.proto), Number(s.src_port ?? 0), Number(s.dest_port ?? 0), seed, base64)
          : null;
      out.push({ fact, ok: got === fact.expected, got, key: factKey(fact) });
      continue;
    }
    const flows = await flowsOf(fact.pcap, seed, '', base64);
    const cands = flows.filter((f) => tupleMatch(f, s, false) !== null);
    const hit = cands.find((f) => f.community_id === fact.expected);
    out.push({ fact, ok: hit !== undefined, got: cands.map((f) => f.community_id), key: factKey(fact) });
  }
  return out;
}

export const SURICATA_FIELDS = new Set(['flow.pkts_toserver', 'flow.pkts_toclient', 'flow.bytes_toserver', 'flow.bytes_toclient', 'community_id']);
/** Keys of a check's match that we also produce and so must agree on. */
const EVALUABLE = new Set([...SURICATA_FIELDS, 'spi']);

/** Engine settings equivalent to a check's `--set` arguments (only those we support). */
export function engineConfigFor(args: string[] | null | undefined): string {
  const lines: string[] = [];
  for (const a of args ?? []) {
    if (a.includes('decoder.recursion-level.use-for-tracking=false')) lines.push('recursion_tracking=false');
  }
  return lines.join('\n');
}

export interface Check {
  check_id: string;
  count: number;
  match: Record<string, unknown>;
  suricata: { community_id_seed: number; args: string[] | null };
}

function fieldOf(f: EveFlow, field: string): unknown {
  if (field.startsWith('flow.')) return f.flow[field.slice(5)];
  return (f as Record<string, unknown>)[field];
}

/**
 * Suricata checks say "exactly `count` events match all of these keys". We evaluate the keys we
 * produce (tuple, proto, flow counters, community_id) against our flow records: for flow events
 * the count must agree; for other event types (alerts, nfs, netflow) the fact holds when the
 * flow it belongs to carries the value.
 */
export async function evaluateSuricata(facts: Fact[], checks: Map<string, Check>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const fact of facts) {
    const check = fact.check_id ? checks.get(fact.check_id) : undefined;
    const seed = check?.suricata.community_id_seed ?? 0;
    const flows = await flowsOf(fact.pcap as string, seed, engineConfigFor(check?.suricata.args));
    const isFlowEvent = fact.event_type === 'flow';
    // Alert events carry counters as a snapshot at alert time: only flow events' keys apply.
    const keys = isFlowEvent ? Object.entries(check?.match ?? {}).filter(([k]) => EVALUABLE.has(k)) : [];
    const cands = flows.filter((f) => tupleMatch(f, fact.selector, isFlowEvent && fact.selector_direction === 'flow') !== null);
    const full = cands.filter((f) => keys.every(([k, v]) => fieldOf(f, k) === v) && fieldOf(f, fact.field) === fact.expected);
    const ok = isFlowEvent ? full.length === (fact.count ?? 1) : full.length >= 1;
    out.push({ fact, ok, got: cands.map((f) => fieldOf(f, fact.field)), key: factKey(fact) });
  }
  return out;
}

/**
 * Zeek and nDPI facts: per-direction packet and byte counters of a connection.
 *
 * Both tools cut connections differently from Suricata (Zeek starts a new connection after a
 * close and on its own timeouts, nDPI splits on idle and merges reused UDP tuples), and both
 * READMEs say to compare by (pcap, tuple). So the unit compared is the tuple: the sum over all
 * of that tool's rows for the tuple, per endpoint, against the sum over our flows for it. With
 * one row and one flow, this is the plain per-flow comparison. Each fact passes when the total
 * for its endpoint and metric agrees.
 */
interface Metric {
  /** Which endpoint of the fact's row sent what is counted: the row's src ('orig') or dest. */
  side: 'orig' | 'resp';
  /** Our per-direction counters: [to server, to client]. */
  ours: (f: EveFlow) => [number, number];
  name: string;
}

export const ZEEK_FIELDS: Record<string, Metric> = {
  'conn.orig_pkts': { side: 'orig', name: 'pkts', ours: (f) => [Number(f.flow.pkts_toserver), Number(f.flow.pkts_toclient)] },
  'conn.resp_pkts': { side: 'resp', name: 'pkts', ours: (f) => [Number(f.flow.pkts_toserver), Number(f.flow.pkts_toclient)] },
  'conn.orig_ip_bytes': { side: 'orig', name: 'ip_bytes', ours: (f) => [Number(f.flow.ip_bytes_toserver), Number(f.flow.ip_bytes_toclient)] },
  'conn.resp_ip_bytes': { side: 'resp', name: 'ip_bytes', ours: (f) => [Number(f.flow.ip_bytes_toserver), Number(f.flow.ip_bytes_toclient)] },
};

export const NDPI_FIELDS: Record<string, Metric> = {
  'ndpi.pkts_c2s': { side: 'orig', name: 'pkts', ours: (f) => [Number(f.flow.pkts_toserver), Number(f.flow.pkts_toclient)] },
  'ndpi.pkts_s2c': { side: 'resp', name: 'pkts', ours: (f) => [Number(f.flow.pkts_toserver), Number(f.flow.pkts_toclient)] },
  // nDPI adds pcap_pkthdr.len, the original wire length.
  'ndpi.bytes_c2s': { side: 'orig', name: 'wire_bytes', ours: (f) => f._wire },
  'ndpi.bytes_s2c': { side: 'resp', name: 'wire_bytes', ours: (f) => f._wire },
};

function endpoint(ip: unknown, port: unknown): string {
  return `${canonicalIp(String(ip))}|${port === undefined ? '' : String(port)}`;
}

function flowEndpoints(f: EveFlow, portless = false): [string, string] {
  const icmp = !hasPorts(flowProto(f)) || portless;
  return [endpoint(f.src_ip, icmp ? undefined : f.src_port), endpoint(f.dest_ip, icmp ? undefined : f.dest_port)];
}

export async function evaluateByTuple(facts: Fact[], metrics: Record<string, Metric>, engineConfig = ''): Promise<Outcome[]> {
  // Rows of the other tool: (pcap, tuple) -> row id -> field -> value.
  const rows = new Map<string, Map<string, Map<string, number>>>();
  const rowSel = new Map<string, Fact>();
  const tupleOf = (f: Fact): string => {
    const s = f.selector;
    const icmp = !hasPorts(protoOf(s.proto));
    const a = endpoint(s.src_ip, icmp ? undefined : s.src_port);
    const b = endpoint(s.dest_ip, icmp ? undefined : s.dest_port);
    // Rows are compared within one run of the other tool (one Zeek btest).
    return [f.pcap, f.test ?? '', protoOf(s.proto), ...[a, b].sort()].join(' ');
  };
  for (const f of facts) {
    const t = tupleOf(f);
    const rid = String(f.uid ?? f.flow_index ?? '');
    const byRow = rows.get(t) ?? new Map<string, Map<string, number>>();
    rows.set(t, byRow);
    const r = byRow.get(rid) ?? new Map<string, number>();
    byRow.set(rid, r);
    r.set(f.field, Number(f.expected));
    rowSel.set(`${t}#${rid}`, f);
  }
  const out: Outcome[] = [];
  for (const fact of facts) {
    const t = tupleOf(fact);
    const metric = metrics[fact.field];
    if (!metric) continue;
    const s = fact.selector;
    const icmp = !hasPorts(protoOf(s.proto));
    const sender = metric.side === 'orig' ? endpoint(s.src_ip, icmp ? undefined : s.src_port) : endpoint(s.dest_ip, icmp ? undefined : s.dest_port);
    // Their total: every row of this tuple, the metric as sent by `sender`.
    let theirs = 0;
    for (const [rid, r] of rows.get(t) ?? []) {
      const sel = rowSel.get(`${t}#${rid}`)?.selector ?? {};
      const rowOrig = endpoint(sel.src_ip, icmp ? undefined : sel.src_port);
      const origField = Object.keys(metrics).find((k) => metrics[k]?.name === metric.name && metrics[k]?.side === 'orig') ?? '';
      const respField = Object.keys(metrics).find((k) => metrics[k]?.name === metric.name && metrics[k]?.side === 'resp') ?? '';
      theirs += (rowOrig === sender ? r.get(origField) : r.get(respField)) ?? 0;
    }
    // Our total for the same endpoint.
    const flows = await flowsOf(fact.pcap as string, 0, engineConfig);
    let ours = 0;
    let matched = 0;
    for (const f of flows) {
      if (!tupleMatch(f, s, false)) continue;
      matched++;
      const [client] = flowEndpoints(f, zeekProto(s) === 'unknown');
      const [ts, tc] = metric.ours(f);
      ours += client === sender ? ts : tc;
    }
    out.push({ fact, ok: matched > 0 && ours === theirs, got: matched > 0 ? { ours, theirs } : 'no flow', key: factKey(fact) });
  }
  return out;
}

export function loadFacts(rel: string): Fact[] {
  return readJsonl<Fact>(path.join(CORPUS, rel));
}

export function loadChecks(): Map<string, Check> {
  return new Map(readJsonl<Check>(path.join(CORPUS, 'suricata-verify/checks.jsonl')).map((c) => [c.check_id, c]));
}
