import { describe, expect, it } from 'vitest';
import { attachEvidence, EVIDENCE_LIST_CAP, FlowEvidence, sniDnsMismatch } from '../../../agent/evidence/flow-evidence.js';
import { PassiveDns } from '../../../agent/evidence/passive-dns.js';
import type { EvidenceEvent } from '../../../agent/evidence/types.js';
import type { ExfilAlert, WindowAggregate } from '../../../agent/verdict/types.js';

const S = 1_000_000_000n;

function ev(kind: EvidenceEvent['event_type'], cid: string, ts: bigint, body: Record<string, unknown>): EvidenceEvent {
  return { event_type: kind, ts_ns: ts, flow_id: 1n, community_id: cid, src_ip: '10.0.0.5', src_port: 40000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: kind, body };
}

function agg(ids: string[], largest: string): WindowAggregate {
  return {
    src_ip: '10.0.0.5', dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls',
    window_start: '', window_end: '', window_start_ns: 900n * S, window_end_ns: 1800n * S,
    flow_count: ids.length, unique_flows: ids.length, total_upload_bytes: 1, total_download_bytes: 1, upload_packets: 1, download_packets: 1,
    largest_flow: { src_ip: '10.0.0.5', src_port: 40000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls', community_id: largest, upload_bytes: 1 },
    community_ids: ids, community_ids_total: ids.length, lower_bound: false,
  };
}

describe('flow evidence', () => {
  it('collects per flow and builds deduplicated, capped alert evidence from the group', () => {
    const fe = new FlowEvidence();
    fe.onEvent(ev('tls', 'A', 1000n * S, { sni: 'upload.example.org', ja3: { hash: 'j3', string: 's' }, ja4: 't13d_x', client_alpns: ['h2', 'http/1.1'] }));
    fe.onEvent(ev('tls', 'B', 1001n * S, { sni: 'upload.example.org', ja4: 't13d_y' }));
    fe.onEvent(ev('http', 'C', 1002n * S, { hostname: 'h.example', http_user_agent: 'curl/8.0' }));
    fe.onEvent(ev('ssh', 'D', 1003n * S, { client: { software_version: 'OpenSSH_9.6' }, server: { software_version: 'dropbear' } }));
    fe.onEvent(ev('fileinfo', 'C', 1004n * S, { file_type: 'zip' }));
    for (let i = 0; i < 20; i++) fe.onEvent(ev('http', 'C', 1005n * S, { http_user_agent: `ua-${i}` }));
    const e = fe.alertEvidence(agg(['B', 'C', 'D'], 'A'), null);
    expect(e.sni).toEqual(['upload.example.org']);
    expect(e.ja4).toEqual(['t13d_x', 't13d_y']);
    expect(e.ja3).toEqual(['j3']);
    expect(e.alpn).toEqual(['h2', 'http/1.1']);
    expect(e.http_hosts).toEqual(['h.example']);
    expect(e.http_user_agents.length).toBe(EVIDENCE_LIST_CAP);
    expect(e.ssh_client).toEqual(['OpenSSH_9.6']);
    expect(e.ssh_server).toEqual(['dropbear']);
    expect(e.file_types).toEqual(['zip']);
    expect(e.dns_names).toEqual([]);
    expect(e.sni_dns_mismatch).toBe(false);
  });

  it('carries every SPEC section 5 field: TLS version, JA3S, certificate, HTTP method/URL/content type/status, DNS queries', () => {
    const fe = new FlowEvidence();
    fe.onEvent(ev('tls', 'A', 1000n * S, { sni: 's.example', version: 'TLS 1.2', ja3s: { hash: 'j3s', string: '771,49199,' }, subject: 'CN=s.example', issuerdn: 'CN=Example CA' }));
    fe.onEvent(ev('http', 'B', 1001n * S, { hostname: 'h.example', http_method: 'POST', url: '/upload?id=7', http_content_type: 'application/zip', status: 200 }));
    fe.onEvent(ev('dns', 'C', 1002n * S, { version: 3, type: 'request', queries: [{ rrname: 'aGVsbG8.t.example', rrtype: 'TXT' }, { rrname: 'd29ybGQ.t.example', rrtype: 'TXT' }] }));
    const e = fe.alertEvidence(agg(['B', 'C'], 'A'), null);
    expect(e).toMatchObject({
      tls_versions: ['TLS 1.2'],
      ja3s: ['j3s'],
      cert_subjects: ['CN=s.example'],
      cert_issuers: ['CN=Example CA'],
      http_methods: ['POST'],
      http_urls: ['/upload?id=7'],
      http_content_types: ['application/zip'],
      http_statuses: ['200'],
      dns_queries: ['aGVsbG8.t.example', 'd29ybGQ.t.example'],
    });
    // A flow with no evidence of a kind leaves that list empty, not missing.
    expect(e.ssh_client).toEqual([]);
    expect(e.file_types).toEqual([]);
  });

  it('keeps an ended flow until its last window can close (length + grace), then drops it', () => {
    const fe = new FlowEvidence({ window_length_seconds: 900, window_grace_seconds: 60 });
    fe.onEvent(ev('tls', 'A', 1000n * S, { sni: 'x.example' }));
    fe.onFlowEnd('A', 1100n * S);
    fe.advance((1100n + 960n) * S);
    expect(fe.get('A')).toBeDefined();
    fe.advance((1100n + 962n) * S);
    expect(fe.get('A')).toBeUndefined();
    expect(fe.stats.dropped_after_end).toBe(1);
  });

  it('only the synced time sweeps: events and flow ends of a shard running ahead drop nothing', () => {
    // Two workers: shard 0's records of a chunk reach the main thread before shard 1's, so an
    // event or flow end can be far ahead of the time every shard has reached (and of the windows
    // judged). Flow A ended at 1003 s; its window [900 s, 1800 s) closes after 1860 s.
    const fe = new FlowEvidence({ window_length_seconds: 900, window_grace_seconds: 60 });
    fe.onEvent(ev('tls', 'A', 1003n * S, { ja4: 't13d_a' }));
    fe.onFlowEnd('A', 1003n * S);
    fe.onEvent(ev('tls', 'B', (1003n + 970n) * S, { ja4: 't13d_b' }));
    fe.onFlowEnd('C', (1003n + 975n) * S);
    expect(fe.groupEvidence(agg([], 'A'))?.ja4).toBe('t13d_a');
    expect(fe.stats.dropped_after_end).toBe(0);
    fe.advance((1003n + 975n) * S);
    expect(fe.get('A')).toBeUndefined();
    expect(fe.get('B')).toBeDefined();
  });

  it('open flows are never dropped by time; the map is bounded with live evictions counted', () => {
    const warned: unknown[] = [];
    const fe = new FlowEvidence({ max_flows: 2 }, { warn: (o) => warned.push(o) });
    fe.onEvent(ev('tls', 'A', 0n, { sni: 'a' }));
    fe.advance(100_000n * S);
    expect(fe.get('A')).toBeDefined();
    fe.onEvent(ev('tls', 'B', 100_001n * S, { sni: 'b' }));
    fe.onEvent(ev('tls', 'C', 100_002n * S, { sni: 'c' }));
    expect(fe.size).toBe(2);
    expect(fe.get('A')).toBeUndefined();
    expect(fe.stats.evicted_live).toBe(1);
    expect(warned.length).toBe(1);
  });

  it('SNI that does not resolve back to the destination: rule and note, severity unchanged', () => {
    const pdns = new PassiveDns();
    pdns.learn(800n * S, ['files.corp.example'], [{ rrname: 'files.corp.example', rrtype: 'A', rdata: '203.0.113.9', ttl: 3600 }]);
    const fe = new FlowEvidence();
    fe.onEvent(ev('tls', 'A', 1000n * S, { sni: 'random-x1.top' }));
    const e = fe.alertEvidence(agg([], 'A'), pdns);
    expect(e.dns_names).toEqual(['files.corp.example']);
    expect(e.sni_dns_mismatch).toBe(true);
    const alert = { severity: 'high', rules_fired: ['ratio'], notes: [], aggregate: { dest_ip: '203.0.113.9' } } as unknown as ExfilAlert;
    attachEvidence(alert, e);
    expect(alert.severity).toBe('high');
    expect(alert.rules_fired).toEqual(['ratio', 'sni_dns_mismatch']);
    expect(alert.notes[0]).toMatch(/random-x1\.top.*files\.corp\.example/);
    expect(sniDnsMismatch(['Files.Corp.Example.'], ['files.corp.example'])).toBe(false);
    expect(sniDnsMismatch([], ['a'])).toBe(false);
    expect(sniDnsMismatch(['a'], [])).toBe(false);
  });
});
