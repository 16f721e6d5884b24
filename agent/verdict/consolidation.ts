/**
 * Destination consolidation (SPEC section 4): within one window, aggregate a source's groups per
 * destination entity (SNI / DNS registered domain, else GeoIP org) so an upload spread over
 * rotating cloud IPs adds up. The result is a synthetic `WindowAggregate` scored like a group.
 */
import { groupKey } from './alert-id.js';
import type { DestEntity } from './blast-radius.js';
import type { WindowAggregate } from './types.js';

/** Most community_ids a synthetic aggregate lists (the total is still counted). */
export const MAX_SYNTHETIC_COMMUNITY_IDS = 256;

function compareAgg(a: WindowAggregate, b: WindowAggregate): number {
  if (a.window_start_ns !== b.window_start_ns) return a.window_start_ns < b.window_start_ns ? -1 : 1;
  const ka = groupKey(a);
  const kb = groupKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The member whose largest flow uploaded the most (ties: earliest window, then group key). */
export function largestMember(members: readonly WindowAggregate[]): WindowAggregate {
  let best: WindowAggregate | undefined;
  for (const m of [...members].sort(compareAgg)) {
    if (!best || m.largest_flow.upload_bytes > best.largest_flow.upload_bytes) best = m;
  }
  if (!best) throw new Error('largestMember of no aggregates');
  return best;
}

/**
 * Sums aggregates into one synthetic aggregate: byte, packet and flow counts add up; the window
 * spans the members' earliest start to latest end; the key fields (dest IP, port, proto,
 * app_proto) and `largest_flow` come from the largest member; community_ids are the members'
 * union (first {@link MAX_SYNTHETIC_COMMUNITY_IDS}); `lower_bound` if any member's is.
 */
export function sumAggregates(members: readonly WindowAggregate[]): WindowAggregate {
  const sorted = [...members].sort(compareAgg);
  const big = largestMember(sorted);
  const first = sorted[0] ?? big;
  let start = first;
  let end = first;
  const ids = new Set<string>();
  let flowCount = 0;
  let uniqueFlows = 0;
  let up = 0;
  let down = 0;
  let upPk = 0;
  let downPk = 0;
  let cidTotal = 0;
  let lowerBound = false;
  for (const m of sorted) {
    if (m.window_start_ns < start.window_start_ns) start = m;
    if (m.window_end_ns > end.window_end_ns) end = m;
    flowCount += m.flow_count;
    uniqueFlows += m.unique_flows;
    up += m.total_upload_bytes;
    down += m.total_download_bytes;
    upPk += m.upload_packets;
    downPk += m.download_packets;
    cidTotal += m.community_ids_total;
    lowerBound ||= m.lower_bound;
    for (const id of m.community_ids) if (ids.size < MAX_SYNTHETIC_COMMUNITY_IDS) ids.add(id);
  }
  return {
    src_ip: big.src_ip,
    dest_ip: big.dest_ip,
    dest_port: big.dest_port,
    proto: big.proto,
    app_proto: big.app_proto,
    window_start: start.window_start,
    window_end: end.window_end,
    window_start_ns: start.window_start_ns,
    window_end_ns: end.window_end_ns,
    flow_count: flowCount,
    unique_flows: uniqueFlows,
    total_upload_bytes: up,
    total_download_bytes: down,
    upload_packets: upPk,
    download_packets: downPk,
    largest_flow: { ...big.largest_flow },
    community_ids: [...ids],
    community_ids_total: Math.max(cidTotal, ids.size),
    lower_bound: lowerBound,
  };
}

export interface ConsolidationInput {
  aggregate: WindowAggregate;
  entity: DestEntity | null;
}

export interface ConsolidatedGroup {
  /** `src|entity` */
  key: string;
  src: string;
  entity: DestEntity;
  members: WindowAggregate[];
  /** Distinct destination IPs, sorted. */
  destIps: string[];
  aggregate: WindowAggregate;
}

/**
 * Groups one window's aggregates per (src, entity) and returns those that span at least two
 * destination IPs (with one IP the per-group verdict already covers it), sorted by key.
 */
export function consolidate(items: readonly ConsolidationInput[]): ConsolidatedGroup[] {
  const byKey = new Map<string, { src: string; entity: DestEntity; members: WindowAggregate[] }>();
  for (const it of items) {
    if (!it.entity) continue;
    const key = `${it.aggregate.src_ip}|${it.entity}`;
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { src: it.aggregate.src_ip, entity: it.entity, members: [] }));
    g.members.push(it.aggregate);
  }
  const out: ConsolidatedGroup[] = [];
  for (const [key, g] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const destIps = [...new Set(g.members.map((m) => m.dest_ip))].sort();
    if (destIps.length < 2) continue;
    out.push({ key, src: g.src, entity: g.entity, members: g.members, destIps, aggregate: sumAggregates(g.members) });
  }
  return out;
}
