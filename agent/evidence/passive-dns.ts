/**
 * Passive DNS (SPEC section 5; runbook `000_…` step 5): address -> names learnt from the DNS
 * answers the sensor saw, so a later flow, window or alert to a resolved address carries the
 * name the client asked for.
 *
 * - Names: for every A/AAAA answer, the answer's owner name and every name whose CNAME chain (in
 *   the same response) leads to it, the queried name included. `dns.answers[].rdata` is the
 *   address or the CNAME target, as the EVE dns v3 body prints it.
 * - Expiry in packet time: an answer lives `clamp(ttl, ttl_floor, ttl_ceiling)` seconds from the
 *   response's packet time (a floor so TTL 0 answers still label the connection that follows them,
 *   a ceiling so a week-long TTL does not pin a stale name).
 * - Bounded: at most `max_entries` addresses (least recently learnt or read goes first) and
 *   `MAX_NAMES_PER_ADDRESS` names per address; evicting an address whose names are still live
 *   counts `evicted_live` and logs loudly.
 */
import { canonicalAddress } from './address.js';
import { TimeHeap } from './time-heap.js';
import type { EvidenceEvent } from './types.js';

export interface PassiveDnsOptions {
  max_entries: number;
  ttl_floor_seconds: number;
  ttl_ceiling_seconds: number;
}

export const PASSIVE_DNS_DEFAULTS: PassiveDnsOptions = { max_entries: 100_000, ttl_floor_seconds: 60, ttl_ceiling_seconds: 86_400 };
/** Names kept per address (the most recently answered win). */
export const MAX_NAMES_PER_ADDRESS = 16;
/** CNAME hops followed from an address record back to the queried name. */
const MAX_CHAIN = 16;

export interface PassiveDnsStats {
  responses: number;
  records: number;
  entries: number;
  evicted: number;
  /** Evicted while some name of the address was still live: the cache is too small. */
  evicted_live: number;
  expired: number;
}

interface Entry {
  /** lowercase name -> expiry (packet time, ns). */
  names: Map<string, bigint>;
  maxExpiry: bigint;
}

export interface PassiveDnsLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

const NS = 1_000_000_000n;

export function normalizeName(n: string): string {
  return n.trim().replace(/\.$/, '').toLowerCase();
}

export class PassiveDns {
  private readonly entries = new Map<string, Entry>();
  /**
   * (max expiry, address) as a min-heap, so `expire` visits only what it drops instead of every
   * address (the full scan every 10 s of packet time was a large share of a replay's main
   * thread). Entries whose address was dropped or answered again since are skipped; the heap is
   * rebuilt from the live entries when stale ones outnumber them.
   */
  private readonly heap = new TimeHeap<{ at: bigint; addr: string; e: Entry }>();
  readonly stats: PassiveDnsStats = { responses: 0, records: 0, entries: 0, evicted: 0, evicted_live: 0, expired: 0 };
  private readonly opts: PassiveDnsOptions;

  constructor(opts: Partial<PassiveDnsOptions> = {}, private readonly log?: PassiveDnsLog) {
    this.opts = { ...PASSIVE_DNS_DEFAULTS, ...opts };
    if (!(this.opts.max_entries >= 1)) throw Object.assign(new Error(`passive DNS max_entries must be >= 1, got ${this.opts.max_entries}`), { code: 'EVIDENCE_CONFIG' });
  }

  /** Learn from one EVE dns evidence event (responses only; requests carry no answers). */
  onEvent(e: EvidenceEvent): void {
    if (e.event_type !== 'dns') return;
    const body = e.body as { type?: string; queries?: { rrname?: string }[]; answers?: { rrname?: string; rrtype?: string; rdata?: string; ttl?: number }[] };
    if (!Array.isArray(body.answers) || body.answers.length === 0) return;
    this.stats.responses++;
    const queried = (body.queries ?? []).map((q) => normalizeName(String(q.rrname ?? ''))).filter((n) => n !== '');
    this.learn(e.ts_ns, queried, body.answers);
  }

  /**
   * Learn one response: `answers` as the EVE dns v3 body prints them. Exposed for callers that
   * parse DNS themselves (tests, other capture paths).
   */
  learn(tsNs: bigint, queried: string[], answers: { rrname?: string; rrtype?: string; rdata?: string; ttl?: number }[]): void {
    // CNAME target -> owners, to walk back from an address record's owner to the queried name.
    const owners = new Map<string, string[]>();
    for (const a of answers) {
      if (a.rrtype !== 'CNAME' || typeof a.rdata !== 'string' || typeof a.rrname !== 'string') continue;
      const target = normalizeName(a.rdata);
      const list = owners.get(target) ?? [];
      list.push(normalizeName(a.rrname));
      owners.set(target, list);
    }
    for (const a of answers) {
      if ((a.rrtype !== 'A' && a.rrtype !== 'AAAA') || typeof a.rdata !== 'string' || typeof a.rrname !== 'string') continue;
      const addr = canonicalAddress(a.rdata);
      if (addr === null) continue;
      const names = new Set<string>([normalizeName(a.rrname)]);
      let frontier = [normalizeName(a.rrname)];
      for (let hop = 0; hop < MAX_CHAIN && frontier.length > 0; hop++) {
        const next: string[] = [];
        for (const n of frontier) for (const o of owners.get(n) ?? []) if (!names.has(o)) (names.add(o), next.push(o));
        frontier = next;
      }
      // A single-question response whose chain did not reach the question (answers for a name
      // the server added on its own): still label with the question, which is what the client
      // will connect for.
      if (queried.length === 1 && !names.has(queried[0]!) && names.size > 0 && owners.size > 0) names.add(queried[0]!);
      const ttl = Math.min(Math.max(Number(a.ttl ?? 0) || 0, this.opts.ttl_floor_seconds), this.opts.ttl_ceiling_seconds);
      const expiry = tsNs + BigInt(Math.round(ttl)) * NS;
      for (const n of names) if (n !== '') this.put(addr, n, expiry, tsNs);
      this.stats.records++;
    }
  }

  private put(addr: string, name: string, expiry: bigint, nowNs: bigint): void {
    let e = this.entries.get(addr);
    if (e) this.entries.delete(addr);
    else e = { names: new Map(), maxExpiry: 0n };
    this.entries.set(addr, e); // most recently used last
    const old = e.names.get(name);
    e.names.delete(name);
    e.names.set(name, old !== undefined && old > expiry ? old : expiry);
    while (e.names.size > MAX_NAMES_PER_ADDRESS) {
      const first = e.names.keys().next().value as string;
      e.names.delete(first);
    }
    if (expiry > e.maxExpiry) {
      e.maxExpiry = expiry;
      this.push({ at: expiry, addr, e });
    }
    while (this.entries.size > this.opts.max_entries) {
      const [oldAddr, oldEntry] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldAddr);
      this.stats.evicted++;
      if (oldEntry.maxExpiry > nowNs) {
        this.stats.evicted_live++;
        // Loud, but not one line per eviction: the first, then at each power of two.
        if (this.stats.evicted_live === 1 || (this.stats.evicted_live & (this.stats.evicted_live - 1)) === 0) {
          this.log?.warn(
            { code: 'PASSIVE_DNS_FULL', max_entries: this.opts.max_entries, evicted_live: this.stats.evicted_live, address: oldAddr },
            'passive DNS cache full: evicting addresses whose names are still live (raise evidence.passive_dns.max_entries)',
          );
        }
      }
    }
    this.stats.entries = this.entries.size;
  }

  /** Live names of `ip` at packet time `nowNs`, most recently answered first (empty if none). */
  lookup(ip: string, nowNs?: bigint): string[] {
    const addr = canonicalAddress(ip);
    if (addr === null) return [];
    const e = this.entries.get(addr);
    if (!e) return [];
    const out: string[] = [];
    for (const [n, exp] of e.names) if (nowNs === undefined || exp >= nowNs) out.push(n);
    if (out.length === 0 && nowNs !== undefined && e.maxExpiry < nowNs) {
      this.entries.delete(addr);
      this.stats.expired++;
      this.stats.entries = this.entries.size;
    }
    return out.reverse();
  }

  /** Drop every address whose names all expired before `nowNs` (call now and then). */
  expire(nowNs: bigint): number {
    let n = 0;
    for (let at = this.heap.peekAt(); at !== null && at < nowNs; at = this.heap.peekAt()) {
      const { at: exp, addr, e } = this.heap.pop()!;
      if (e.maxExpiry === exp && this.entries.get(addr) === e) {
        this.entries.delete(addr);
        n++;
      }
    }
    this.stats.expired += n;
    this.stats.entries = this.entries.size;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  private push(item: { at: bigint; addr: string; e: Entry }): void {
    if (this.heap.size >= 2 * this.entries.size + 1024) {
      // Mostly stale: keep one entry per live address.
      this.heap.clear();
      for (const [addr, e] of this.entries) if (e !== item.e) this.heap.push({ at: e.maxExpiry, addr, e });
    }
    this.heap.push(item);
  }
}
