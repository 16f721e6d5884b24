/**
 * Window accounting on a pcapgen capture, end to end through the worker pools: every byte of
 * every grouped flow (client in home-net, server outside: RFC 1918 by default) lands in exactly
 * one window record, and the window records do not depend on the number of workers.
 */
import { describe, expect, it } from 'vitest';
import { replayFiles, type ReplaySummary } from '../../agent/capture/replay.js';
import { formatIp } from '../../agent/output/net-format.js';
import type { WindowAggregate } from '../../agent/verdict/types.js';
import { HAVE_TOOLS, pcapgen } from '../helpers/pcapgen.js';

const rfc1918 = (ip: string): boolean => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);

async function run(pcap: string, workers: number): Promise<{ s: ReplaySummary; groupedFlowBytes: number; windows: WindowAggregate[] }> {
  let groupedFlowBytes = 0;
  const windows: WindowAggregate[] = [];
  const s = await replayFiles(
    [pcap],
    { workers },
    (f) => {
      if (rfc1918(formatIp(f.src)) && !rfc1918(formatIp(f.dst))) groupedFlowBytes += f.bytesToServer + f.bytesToClient;
    },
    (w) => {
      windows.push(w);
    },
  );
  return { s, groupedFlowBytes, windows };
}

const canon = (w: WindowAggregate): string => JSON.stringify(w, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

describe.skipIf(!HAVE_TOOLS)('pcapgen windows (-s 0.01, seed 1)', () => {
  it('conserves every grouped byte and agrees across worker counts', async () => {
    const { pcap } = pcapgen(0.01, 1);
    const one = await run(pcap, 1);
    const two = await run(pcap, 2);
    for (const r of [one, two]) {
      const inWindows = r.windows.reduce((n, w) => n + w.total_upload_bytes + w.total_download_bytes, 0);
      const lost = (r.s.counters.window_late_bytes ?? 0) + (r.s.counters.window_dropped_bytes ?? 0);
      expect(r.windows.length).toBe(r.s.windows);
      expect(r.windows.length).toBeGreaterThan(1000);
      expect(inWindows + lost).toBe(r.groupedFlowBytes);
      for (const w of r.windows) {
        expect(w.window_end_ns - w.window_start_ns).toBe(900_000_000_000n);
        expect(w.window_start_ns % 900_000_000_000n).toBe(0n);
        expect(w.unique_flows).toBeLessThanOrEqual(w.flow_count);
        expect(w.largest_flow.upload_bytes).toBeLessThanOrEqual(w.total_upload_bytes);
      }
    }
    expect(two.windows.map(canon).sort()).toEqual(one.windows.map(canon).sort());
  }, 120_000);
});
