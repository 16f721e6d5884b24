import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../agent/config/load.js';
import { SessionEvidence } from '../../../agent/evidence/session-evidence.js';
import type { EvidenceEvent } from '../../../agent/evidence/types.js';
import type { WindowAggregate } from '../../../agent/verdict/types.js';

const S = 1_000_000_000n;

function tls(cid: string, ts: bigint, ja4: string): EvidenceEvent {
  return { event_type: 'tls', ts_ns: ts, flow_id: 1n, community_id: cid, src_ip: '10.0.0.5', src_port: 40000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls', body: { ja4 } };
}

function agg(cid: string, startS: bigint): WindowAggregate {
  return {
    src_ip: '10.0.0.5', dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls',
    window_start: '', window_end: '', window_start_ns: startS * S, window_end_ns: (startS + 900n) * S,
    flow_count: 1, unique_flows: 1, total_upload_bytes: 1, total_download_bytes: 1, upload_packets: 1, download_packets: 1,
    largest_flow: { src_ip: '10.0.0.5', src_port: 40000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls', community_id: cid, upload_bytes: 1 },
    community_ids: [cid], community_ids_total: 1, lower_bound: false,
  };
}

describe('session evidence', () => {
  it('a window judged at the sync that ends its flows’ retention still sees their evidence', () => {
    // The replay syncs at chunk boundaries, so window [900 s, 1800 s) (grace 60) may first close
    // at a sync well past 1861 s, the retention of a flow that ended at 903 s. The sensor calls
    // sync(now), judges the windows closed at now, then windowsJudged(now).
    const se = new SessionEvidence({ ...DEFAULT_CONFIG, window: { ...DEFAULT_CONFIG.window, length_seconds: 900, grace_seconds: 60 } });
    se.onEvidence(tls('A', 903n * S, 't13d_a'));
    se.onFlow('A', '203.0.113.9', 902n * S, 903n * S);
    const now = 1865n * S;
    se.sync(now);
    expect(se.groupEvidence(agg('A', 900n))?.ja4).toBe('t13d_a');
    se.windowsJudged(now);
    expect(se.groupEvidence(agg('A', 900n))).toBeNull();
    expect(se.stats.flows.dropped_after_end).toBe(1);
  });
});
