/**
 * The native engine's counters that mean a bounded table or buffer was full: at the end of a run
 * each one that is non-zero is logged as a warning naming the config key that raises the cap, so a
 * hit cap is never only a number inside the "replay finished" line.
 */
import type { Logger } from 'pino';

interface CapCounter {
  /** What was lost or degraded when the cap was hit. */
  effect: string;
  /** The config key that raises the cap, when there is one. */
  key: string | null;
}

export const CAP_COUNTERS: Readonly<Record<string, CapCounter>> = {
  emergency_entered: { effect: 'the flow table reached its memcap: emergency timeouts applied and the oldest flows were evicted (reason memcap)', key: 'flow.memcap' },
  frag_table_full: { effect: 'the IP fragment table was full: fragments of new datagrams were not reassembled', key: null },
  window_memcap_hits: { effect: 'window aggregates reached their memcap: bytes of new groups were not attributed to a window', key: 'window.memcap' },
  window_groups_dropped: { effect: 'window aggregates reached max_groups: new groups were not tracked', key: 'window.max_groups' },
  app_memcap_hits: { effect: 'the app layer reached its memcap: new sessions were not inspected (no app_proto, no evidence)', key: 'app_layer.memcap' },
  app_evidence_truncated: { effect: 'evidence records were cut at their size bound', key: null },
  app_http_pending_evicted: { effect: 'HTTP requests waiting for their response were dropped (pipelining beyond the bound)', key: null },
  app_ftp_expect_evicted: { effect: 'FTP data-connection expectations were evicted (table full): those transfers show as failed, not ftp-data', key: null },
};

/** Warn once per non-zero cap counter; returns the names warned about. */
export function warnCapsHit(log: Logger, counters: Readonly<Record<string, number>>): string[] {
  const hit: string[] = [];
  for (const [name, cap] of Object.entries(CAP_COUNTERS)) {
    const n = counters[name] ?? 0;
    if (n <= 0) continue;
    hit.push(name);
    log.warn({ code: 'CAP_HIT', counter: name, count: n, config_key: cap.key }, `${name}=${n}: ${cap.effect}${cap.key ? `; raise ${cap.key}` : ''}`);
  }
  return hit;
}
