/**
 * Per-flow evidence summaries keyed by community_id (SPEC section 5), and the evidence an alert
 * carries: what the session said about the client and the endpoint (SNI, JA3/JA4, HTTP host and
 * user agent, SSH banners, upload file types, ALPN) for the flows of the alert's group, plus the
 * passive-DNS names of its destination and whether the SNI matches them (runbook `000_…`
 * step 5: "an SNI that does not resolve back to the destination IP ... corroborates the
 * suspicion hypothesis").
 *
 * Lifetime: a summary lives while its flow is open, and after the flow record (its end) for as
 * long as a window that counted the flow can still close: the flow's last window ends at most
 * `window.length` after the flow's end and closes `window.grace` after that, both in packet time.
 * So an ended flow's entry is dropped once packet time passes end + length + grace. That packet
 * time is the replay's synced time (`advance`, called after the windows closed at that time were
 * judged), never an evidence event's or a flow record's own time: with several workers those run
 * ahead of the synced time (one shard's chunk is delivered before the other's), and sweeping on
 * them dropped a summary before the window that counted its flow was judged, so the verdict's
 * fingerprints depended on the worker count. The map is
 * also bounded (`max_flows`, least recently touched first); evicting a summary whose flow has not
 * ended (or whose windows may still close) counts `evicted_live` and logs loudly.
 */
import type { AlertEvidence, ExfilAlert, WindowAggregate } from '../verdict/types.js';
import type { GroupEvidence } from '../verdict/verdict.js';
import { normalizeName, type PassiveDns } from './passive-dns.js';
import { TimeHeap } from './time-heap.js';
import type { EvidenceEvent } from './types.js';

/** Items kept per list, per flow and per alert. */
export const EVIDENCE_LIST_CAP = 8;

export interface FlowEvidenceOptions {
  max_flows: number;
  window_length_seconds: number;
  window_grace_seconds: number;
}

export const FLOW_EVIDENCE_DEFAULTS: FlowEvidenceOptions = { max_flows: 200_000, window_length_seconds: 900, window_grace_seconds: 60 };

/** The list fields of `AlertEvidence` (SPEC section 5), each filled from the flows' EVE bodies. */
type ListKey = Exclude<keyof AlertEvidence, 'dns_names' | 'sni_dns_mismatch'>;
const LIST_KEYS: readonly ListKey[] = [
  'sni', 'tls_versions', 'ja3', 'ja3s', 'ja4', 'alpn', 'cert_subjects', 'cert_issuers',
  'http_hosts', 'http_methods', 'http_urls', 'http_user_agents', 'http_content_types', 'http_statuses',
  'dns_queries', 'ssh_client', 'ssh_server', 'file_types',
];
/** A flow's lists, each created on its first item (most flows fill two or three). */
type Lists = Partial<Record<ListKey, string[]>>;
const NONE: readonly string[] = Object.freeze([]);

export interface FlowSummary {
  community_id: string;
  dest_ip: string;
  lists: Lists;
  /** Packet time of the last evidence, and of the flow's end once its record was written. */
  last_ns: bigint;
  end_ns: bigint | null;
}

export interface FlowEvidenceStats {
  events: number;
  flows: number;
  dropped_after_end: number;
  evicted: number;
  evicted_live: number;
}

export interface FlowEvidenceLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

const NS = 1_000_000_000n;

function addTo(list: string[], v: unknown, cap = EVIDENCE_LIST_CAP): void {
  if (typeof v !== 'string' && typeof v !== 'number') return;
  const s = String(v).trim();
  if (s === '' || list.includes(s) || list.length >= cap) return;
  list.push(s);
}

function add(lists: Lists, k: ListKey, v: unknown): void {
  if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '') return;
  addTo((lists[k] ??= []), v);
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** What one evidence event adds to its flow's lists (EVE body field names, Suricata 8). */
export function collect(e: EvidenceEvent, lists: Lists): void {
  const b = e.body;
  switch (e.event_type) {
    case 'tls':
    case 'quic':
      add(lists, 'sni', get(b, 'sni'));
      // The negotiated version comes with the ServerHello: a partial record (ClientHello only)
      // would list the hello's legacy 1.2 next to the 1.3 agreed on.
      if (!e.partial) add(lists, 'tls_versions', get(b, 'version'));
      add(lists, 'ja3', get(b, 'ja3', 'hash'));
      add(lists, 'ja3s', get(b, 'ja3s', 'hash'));
      add(lists, 'ja4', get(b, 'ja4'));
      for (const a of [get(b, 'client_alpns'), get(b, 'alpn')].flat()) add(lists, 'alpn', a);
      // Certificates are visible up to TLS 1.2 (Suricata's `subject` / `issuerdn`).
      add(lists, 'cert_subjects', get(b, 'subject'));
      add(lists, 'cert_issuers', get(b, 'issuerdn'));
      break;
    case 'http':
      add(lists, 'http_hosts', get(b, 'hostname'));
      add(lists, 'http_methods', get(b, 'http_method'));
      add(lists, 'http_urls', get(b, 'url'));
      add(lists, 'http_user_agents', get(b, 'http_user_agent'));
      add(lists, 'http_content_types', get(b, 'http_content_type'));
      add(lists, 'http_statuses', get(b, 'status'));
      break;
    case 'dns': {
      // The names a DNS flow asked for: for DNS tunnelling the query names are the payload.
      const queries = get(b, 'queries');
      if (Array.isArray(queries)) for (const q of queries) add(lists, 'dns_queries', get(q, 'rrname'));
      break;
    }
    case 'ssh':
      add(lists, 'ssh_client', get(b, 'client', 'software_version'));
      add(lists, 'ssh_server', get(b, 'server', 'software_version'));
      break;
    case 'fileinfo':
      // Our file type from the upload's first bytes; Suricata spells its libmagic text `magic`.
      add(lists, 'file_types', get(b, 'file_type') ?? get(b, 'type') ?? get(b, 'magic') ?? get(b, 'mimetype'));
      break;
    default:
      break;
  }
}

const listOf = (lists: Lists, k: ListKey): readonly string[] => lists[k] ?? NONE;

export class FlowEvidence {
  private readonly flows = new Map<string, FlowSummary>();
  readonly stats: FlowEvidenceStats = { events: 0, flows: 0, dropped_after_end: 0, evicted: 0, evicted_live: 0 };
  private readonly opts: FlowEvidenceOptions;
  private readonly retainNs: bigint;
  /** Latest packet time seen in events, flow ends and syncs (eviction's liveness check only). */
  private nowNs = 0n;
  /** Latest synced time passed to `advance`: the only clock the sweep follows. */
  private syncedNs = 0n;
  private lastSweepNs = 0n;
  /**
   * Ended flows as a min-heap by end time, so a sweep visits only what it drops instead of every
   * summary (the full scan once per packet-time second was the main thread's largest cost on a
   * replay). An entry whose summary was re-opened, re-ended or dropped since is skipped.
   */
  private readonly ended = new TimeHeap<{ at: bigint; s: FlowSummary }>();

  constructor(opts: Partial<FlowEvidenceOptions> = {}, private readonly log?: FlowEvidenceLog) {
    this.opts = { ...FLOW_EVIDENCE_DEFAULTS, ...opts };
    if (!(this.opts.max_flows >= 1)) throw Object.assign(new Error(`flow evidence max_flows must be >= 1, got ${this.opts.max_flows}`), { code: 'EVIDENCE_CONFIG' });
    // +1 s: window bounds are whole seconds and the collector closes strictly after end + grace.
    this.retainNs = BigInt(Math.ceil(this.opts.window_length_seconds + this.opts.window_grace_seconds + 1)) * NS;
  }

  /**
   * Every shard has processed the capture up to `syncedNs` and the windows closed by then were
   * judged: drop what no window still open can reference. Only this sweeps.
   */
  advance(syncedNs: bigint): void {
    this.see(syncedNs);
    if (syncedNs > this.syncedNs) this.syncedNs = syncedNs;
    // Sweep at most once per packet-time second.
    if (this.syncedNs - this.lastSweepNs >= NS) {
      this.lastSweepNs = this.syncedNs;
      this.sweep();
    }
  }

  private see(ts: bigint): void {
    if (ts > this.nowNs) this.nowNs = ts;
  }

  onEvent(e: EvidenceEvent): void {
    this.stats.events++;
    this.see(e.ts_ns);
    const s = this.touch(e.community_id, e.dest_ip);
    s.last_ns = e.ts_ns > s.last_ns ? e.ts_ns : s.last_ns;
    collect(e, s.lists);
  }

  /** The flow's record was written (it ended): its summary now lives until its windows closed. */
  onFlowEnd(communityId: string, endNs: bigint): void {
    this.see(endNs);
    const s = this.flows.get(communityId);
    if (s) {
      s.end_ns = endNs;
      this.ended.push({ at: endNs, s });
    }
  }

  get(communityId: string): FlowSummary | undefined {
    return this.flows.get(communityId);
  }

  get size(): number {
    return this.flows.size;
  }

  private touch(cid: string, destIp: string): FlowSummary {
    let s = this.flows.get(cid);
    if (s) {
      this.flows.delete(cid);
      // A reused tuple after the old flow ended is a new flow with the same community_id.
      if (s.end_ns !== null) s.end_ns = null;
    } else {
      s = { community_id: cid, dest_ip: destIp, lists: {}, last_ns: 0n, end_ns: null };
    }
    this.flows.set(cid, s);
    while (this.flows.size > this.opts.max_flows) {
      const [oldCid, old] = this.flows.entries().next().value as [string, FlowSummary];
      this.flows.delete(oldCid);
      this.stats.evicted++;
      if (old.end_ns === null || old.end_ns + this.retainNs >= this.nowNs) {
        this.stats.evicted_live++;
        if ((this.stats.evicted_live & (this.stats.evicted_live - 1)) === 0) {
          this.log?.warn(
            { code: 'FLOW_EVIDENCE_FULL', max_flows: this.opts.max_flows, evicted_live: this.stats.evicted_live, community_id: oldCid },
            'flow evidence map full: evicting summaries a window or alert may still need (raise evidence.max_flows)',
          );
        }
      }
    }
    this.stats.flows = this.flows.size;
    return s;
  }

  /** Drop the summaries of flows that ended before every window counting them could close. */
  sweep(): number {
    let n = 0;
    for (let at = this.ended.peekAt(); at !== null && at + this.retainNs < this.syncedNs; at = this.ended.peekAt()) {
      const { at: end, s } = this.ended.pop()!;
      if (s.end_ns === end && this.flows.get(s.community_id) === s) {
        this.flows.delete(s.community_id);
        n++;
      }
    }
    this.stats.dropped_after_end += n;
    this.stats.flows = this.flows.size;
    return n;
  }

  /** The flows of a group: its listed community_ids and its largest flow. */
  private groupFlows(agg: WindowAggregate): FlowSummary[] {
    const ids = new Set([agg.largest_flow.community_id, ...agg.community_ids]);
    const out: FlowSummary[] = [];
    for (const id of ids) {
      const s = this.flows.get(id);
      if (s) out.push(s);
    }
    return out;
  }

  /** The verdict's view of a group (`VerdictDeps.evidence`): first SNI, JA4, JA3, user agent. */
  groupEvidence(agg: WindowAggregate): GroupEvidence | null {
    const flows = this.groupFlows(agg);
    if (flows.length === 0) return null;
    const first = (k: ListKey): string | null => flows.find((f) => listOf(f.lists, k).length > 0)?.lists[k]?.[0] ?? null;
    return { sni: first('sni'), ja4: first('ja4'), ja3: first('ja3'), user_agent: first('http_user_agents') };
  }

  /** The evidence an alert carries (largest flow's first, then the group's other flows). */
  alertEvidence(agg: WindowAggregate, pdns: PassiveDns | null, nowNs?: bigint): AlertEvidence {
    const flows = this.groupFlows(agg);
    const lists = Object.fromEntries(LIST_KEYS.map((k) => [k, [] as string[]])) as Record<ListKey, string[]>;
    for (const f of flows) for (const k of LIST_KEYS) for (const v of listOf(f.lists, k)) addTo(lists[k], v);
    const dnsNames = (pdns?.lookup(agg.dest_ip, nowNs ?? agg.window_end_ns) ?? []).slice(0, EVIDENCE_LIST_CAP);
    return { ...lists, dns_names: dnsNames, sni_dns_mismatch: sniDnsMismatch(lists.sni, dnsNames) };
  }
}

/**
 * The SNI does not resolve back to the destination: both are known and no SNI equals a name
 * the sensor saw resolve to the destination address (case and trailing dot ignored). Unknown
 * (no SNI, or no DNS seen for the address) is not a mismatch.
 */
export function sniDnsMismatch(snis: string[], dnsNames: string[]): boolean {
  if (snis.length === 0 || dnsNames.length === 0) return false;
  const names = new Set(dnsNames.map(normalizeName));
  return !snis.some((s) => names.has(normalizeName(s)));
}

/** Rule name and note the verdict output carries when the SNI contradicts passive DNS. */
export const SNI_DNS_MISMATCH_RULE = 'sni_dns_mismatch';

/**
 * Attach `evidence` to an alert; an SNI/DNS mismatch adds the rule and a note (runbook step 5
 * makes it corroborating evidence for the suspicion hypothesis, not a severity change).
 */
export function attachEvidence(a: ExfilAlert, ev: AlertEvidence): ExfilAlert {
  a.evidence = ev;
  if (ev.sni_dns_mismatch) {
    if (!a.rules_fired.includes(SNI_DNS_MISMATCH_RULE)) a.rules_fired.push(SNI_DNS_MISMATCH_RULE);
    a.notes.push(
      `TLS SNI ${ev.sni.slice(0, 3).join(', ')} does not match the names ${a.aggregate.dest_ip} resolved to (${ev.dns_names.slice(0, 3).join(', ')}): ` +
        'corroborates the suspicion hypothesis (runbook step 5)',
    );
  }
  return a;
}

/** One line of evidence for human output ('' when there is none). */
export function evidenceLine(ev: AlertEvidence | undefined): string {
  if (!ev) return '';
  const parts: string[] = [];
  const show = (label: string, v: string[]): void => {
    if (v.length > 0) parts.push(`${label} ${v.join(', ')}`);
  };
  show('sni', ev.sni);
  show('dns', ev.dns_names);
  show('tls', ev.tls_versions ?? []);
  show('alpn', ev.alpn);
  show('ja3', ev.ja3);
  show('ja3s', ev.ja3s ?? []);
  show('ja4', ev.ja4);
  show('cert subject', ev.cert_subjects ?? []);
  show('cert issuer', ev.cert_issuers ?? []);
  show('http host', ev.http_hosts);
  show('http method', ev.http_methods ?? []);
  show('url', ev.http_urls ?? []);
  show('user agent', ev.http_user_agents);
  show('content type', ev.http_content_types ?? []);
  show('status', ev.http_statuses ?? []);
  show('dns queries', ev.dns_queries ?? []);
  show('ssh client', ev.ssh_client);
  show('ssh server', ev.ssh_server);
  show('file type', ev.file_types);
  if (ev.sni_dns_mismatch) parts.push('SNI DOES NOT MATCH RESOLVED NAME');
  return parts.join('; ');
}
