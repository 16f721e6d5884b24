/**
 * Flow workers hand records back in reused buffers, and the end-of-replay flush comes back in
 * several bounded rounds (flow-worker.ts). A SYN flood with a small memcap exercises both: many
 * memcap evictions while packets flow, then tens of thousands of "shutdown" records at the end,
 * more than one round holds. Every flow must arrive exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayFiles } from '../../agent/capture/replay.js';

const FLOWS = 120_000;

/** A pcap of `n` TCP SYNs, each from a distinct (source address, source port), 1 µs apart. */
function synFlood(n: number): Buffer {
  const frame = 14 + 20 + 20;
  const buf = Buffer.alloc(24 + n * (16 + frame));
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(65535, 16);
  buf.writeUInt32LE(1, 20);
  for (let i = 0; i < n; i++) {
    let o = 24 + i * (16 + frame);
    const t = 1_700_000_000_000_000 + i;
    buf.writeUInt32LE(Math.floor(t / 1e6), o);
    buf.writeUInt32LE(t % 1e6, o + 4);
    buf.writeUInt32LE(frame, o + 8);
    buf.writeUInt32LE(frame, o + 12);
    o += 16;
    buf.writeUInt16BE(0x0800, o + 12);
    const ip = o + 14;
    buf.writeUInt8(0x45, ip);
    buf.writeUInt16BE(40, ip + 2);
    buf.writeUInt8(64, ip + 8);
    buf.writeUInt8(6, ip + 9);
    buf.writeUInt32BE((10 << 24) | (i >>> 8), ip + 12);
    buf.writeUInt32BE(0xc0a80001, ip + 16);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += buf.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    buf.writeUInt16BE(~sum & 0xffff, ip + 10);
    const tcp = ip + 20;
    buf.writeUInt16BE(1024 + (i & 0xff), tcp);
    buf.writeUInt16BE(80, tcp + 2);
    buf.writeUInt8(0x50, tcp + 12);
    buf.writeUInt8(0x02, tcp + 13);
    buf.writeUInt16BE(1024, tcp + 14);
  }
  return buf;
}

const dir = mkdtempSync(path.join(tmpdir(), 'record-buffers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay record buffers', () => {
  it('delivers every flow of a SYN flood exactly once, through evictions and a multi-round flush', async () => {
    const file = path.join(dir, 'flood.pcap');
    writeFileSync(file, synFlood(FLOWS));
    const seen = new Uint8Array(FLOWS);
    let dup = 0;
    // 200 bytes a flow: room for 80 000 flows (~13 MB of records at the end, two rounds), so the rest are evicted for memcap on the way.
    const s = await replayFiles([file], { workers: 1, engineConfig: 'memcap_bytes=16000000', chunkBytes: 1 << 20 }, (r) => {
      const i = ((r.src[1]! << 16) | (r.src[2]! << 8) | r.src[3]!) * 256 + (r.srcPort - 1024);
      if (seen[i]) dup += 1;
      seen[i] = 1;
    });
    expect(dup).toBe(0);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(FLOWS);
    expect(s.flows).toBe(FLOWS);
    expect(s.counters['flows_ended.memcap']).toBeGreaterThan(0);
    expect(s.counters['flows_ended.shutdown']).toBeGreaterThan(0);
    expect((s.counters['flows_ended.memcap'] ?? 0) + (s.counters['flows_ended.shutdown'] ?? 0)).toBe(FLOWS);
    expect(s.counters.record_buffers_over_cap).toBe(0);
  });
});
