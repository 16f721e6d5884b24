/**
 * The N-API boundary contract, through `agent/native` (the only importer of the addon): layout
 * version, misuse thrown with stable codes, data problems never thrown, batches processed from
 * JS-owned buffers.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { native } from '../../agent/native/index.js';
import {
  decodeRecords,
  FLOW_RECORD_SIZE,
  INDEX_ENTRY_SIZE,
  LAYOUT_VERSION,
  WINDOW_RECORD_MIN,
  type FlowRecord,
} from '../../agent/native/layout.js';
import type { WindowAggregate } from '../../agent/verdict/types.js';

/** An Ethernet/IPv4/UDP frame from 10.0.0.1:1000 to 192.0.2.9:53 with `payload` bytes. */
function udpFrame(payload: number, reverse = false): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, 20 + 8 + payload);
  f[22] = 64;
  f[23] = 17;
  const a = [10, 0, 0, 1];
  const b = [192, 0, 2, 9];
  f.set(reverse ? b : a, 26);
  f.set(reverse ? a : b, 30);
  dv.setUint16(34, reverse ? 53 : 1000);
  dv.setUint16(36, reverse ? 1000 : 53);
  dv.setUint16(38, 8 + payload);
  return f;
}

function batch(frames: Uint8Array[], t0 = 1_700_000_000_000_000_000n): { chunk: Uint8Array; index: Uint8Array } {
  const total = frames.reduce((n, f) => n + f.length, 0);
  const chunk = new Uint8Array(total);
  const index = new Uint8Array(frames.length * INDEX_ENTRY_SIZE);
  const dv = new DataView(index.buffer);
  let off = 0;
  frames.forEach((f, i) => {
    chunk.set(f, off);
    const e = i * INDEX_ENTRY_SIZE;
    dv.setBigUint64(e, t0 + BigInt(i) * 1_000_000n, true);
    dv.setUint32(e + 8, off, true);
    dv.setUint32(e + 12, f.length, true);
    dv.setUint32(e + 16, f.length, true);
    dv.setUint16(e + 20, 1, true);
    off += f.length;
  });
  return { chunk, index };
}

function drain(engine: InstanceType<typeof native.FlowEngine>, windows: WindowAggregate[] = []): FlowRecord[] {
  const out = new Uint8Array(engine.pendingBytes());
  const n = engine.drain(out);
  expect(n).toBe(out.length);
  const recs: FlowRecord[] = [];
  decodeRecords(out.buffer, n, (r) => recs.push(r), (w) => windows.push(w));
  return recs;
}

describe('native binding', () => {
  it('reports the layout version the agent was built for, and its capabilities', () => {
    expect(native.layoutVersion()).toBe(LAYOUT_VERSION);
    expect(native.capabilities()).toContain('flows');
    expect(native.capabilities()).toContain('windows');
  });

  it('processes a batch from JS-owned buffers and drains fixed-layout records', () => {
    const engine = new native.FlowEngine('community_id_seed=0');
    const { chunk, index } = batch([udpFrame(10), udpFrame(20, true), udpFrame(30)]);
    engine.process(chunk, index, 3, 1_700_000_000_100_000_000n);
    expect(engine.pending()).toBe(0);
    engine.flushAll();
    const [r] = drain(engine);
    expect(r).toMatchObject({ proto: 17, srcPort: 1000, dstPort: 53, pktsToServer: 2, pktsToClient: 1, reason: 'shutdown', state: 'established' });
    expect(r!.bytesToServer).toBe(2 * 42 + 40);
    expect(r!.ipBytesToServer).toBe(2 * 28 + 40);
    expect(Array.from(r!.src)).toEqual([10, 0, 0, 1]);
  });

  it('emits window records, interleaved with flows, only when asked to', () => {
    // 2023-11-14T22:13:20Z; the 900 s window holding it starts at 22:00:00.
    const t0 = 1_700_000_000_000_000_000n;
    const frames = [udpFrame(10), udpFrame(20, true), udpFrame(30)];
    const off = new native.FlowEngine('community_id_seed=0');
    const a = batch(frames, t0);
    off.process(a.chunk, a.index, 3, t0);
    off.flushAll();
    expect(off.pendingBytes()).toBe(FLOW_RECORD_SIZE);

    const engine = new native.FlowEngine('emit_windows=true\nwindow_grace_seconds=0');
    const b = batch(frames, t0);
    engine.process(b.chunk, b.index, 3, t0 + 1_000_000_000n);
    expect(engine.pending()).toBe(0);
    // The clock passes the window's end: it closes while the flow lives on (UDP "new" times out
    // after 30 s, so the flow ends here too, first).
    engine.advance(t0 + 900_000_000_000n);
    expect(engine.pendingBytes()).toBe(FLOW_RECORD_SIZE + WINDOW_RECORD_MIN + 20);
    const windows: WindowAggregate[] = [];
    const [flow] = drain(engine, windows);
    expect(windows).toHaveLength(1);
    const w = windows[0]!;
    expect(w).toMatchObject({
      src_ip: '10.0.0.1',
      dest_ip: '192.0.2.9',
      dest_port: 53,
      proto: 'UDP',
      // Zero-filled payloads are no protocol: like Suricata, a UDP flow whose first payload no
      // probe claims is "failed" (app_proto is read when the window segment is flushed).
      app_proto: 'failed',
      window_start: '2023-11-14T22:00:00.000000+0000',
      window_end: '2023-11-14T22:15:00.000000+0000',
      window_start_ns: 1_699_999_200_000_000_000n,
      window_end_ns: 1_700_000_100_000_000_000n,
      flow_count: 1,
      unique_flows: 1,
      total_upload_bytes: flow!.bytesToServer,
      total_download_bytes: flow!.bytesToClient,
      upload_packets: 2,
      download_packets: 1,
      community_ids_total: 1,
      lower_bound: false,
    });
    expect(w.largest_flow).toMatchObject({ src_ip: '10.0.0.1', src_port: 1000, dest_ip: '192.0.2.9', dest_port: 53, proto: 'UDP', app_proto: 'failed' });
    expect(w.largest_flow.upload_bytes).toBe(flow!.bytesToServer);
    const cid = native.communityId(Uint8Array.from([10, 0, 0, 1]), Uint8Array.from([192, 0, 2, 9]), 17, 1000, 53, 0, true);
    expect(w.largest_flow.community_id).toBe(cid);
    expect(w.community_ids).toEqual([cid]);
    expect(() => new native.FlowEngine('window_seconds=1')).toThrow(/window_seconds must be 5\.\.604800/);
  });

  it('counts garbage instead of throwing, and counts index entries outside the chunk', () => {
    const engine = new native.FlowEngine();
    const { chunk, index } = batch([new Uint8Array([1, 2, 3]), udpFrame(5)]);
    new DataView(index.buffer).setUint32(INDEX_ENTRY_SIZE + 8, 1_000_000, true); // points past the chunk
    engine.process(chunk, index, 2, 0n);
    const names = engine.counterNames().split('\n');
    const values = new BigUint64Array(names.length);
    engine.counters(values);
    const c = Object.fromEntries(names.map((n, i) => [n, Number(values[i])]));
    expect(c.packets).toBe(1);
    expect(c['decode_stop.truncated.link']).toBe(1);
    expect(c.bad_index_entries).toBe(1);
  });

  it('throws TypeError with a stable code on misuse, naming the argument', () => {
    const engine = new native.FlowEngine();
    const call = (f: () => void): { code?: string; message: string; name: string } => {
      try {
        f();
      } catch (e) {
        return e as { code?: string; message: string; name: string };
      }
      throw new Error('did not throw');
    };
    const a = call(() => engine.process(new Uint8Array(4), new Uint8Array(4), 1, 0n));
    expect(a).toMatchObject({ name: 'TypeError', code: 'SENSOR_ERR_NATIVE_INVALID_ARG' });
    expect(a.message).toMatch(/count 1 exceeds the index/);
    expect(call(() => engine.process(new Uint8Array(4), new Uint8Array(24), 1, 5 as unknown as bigint)).message).toMatch(/nowNs must be a bigint/);
    expect(call(() => engine.drain(new Uint32Array(4) as unknown as Uint8Array)).message).toMatch(/out has the wrong element type/);
    expect(call(() => new native.FlowEngine('no_such_key=1')).message).toMatch(/engine config: line 1: unknown key 'no_such_key'/);
    // A method called with the wrong `this` is refused (by V8's receiver check, and behind it our
    // type tag), never misread as another native type.
    const reader = Object.create(native.CaptureReader.prototype) as { fill: (...a: unknown[]) => unknown };
    expect(call(() => (engine.drain as unknown as (...a: unknown[]) => unknown).call(reader, new Uint8Array(8))).message).toMatch(
      /Illegal invocation|not a FlowEngine/,
    );
  });

  it.skipIf(!HAVE_CORPUS)('refuses overlapping chunk and index buffers', () => {
    const reader = new native.CaptureReader(path.join(CORPUS, 'suricata-verify/pcaps/app-layer-template.pcap'), 1, 0n, true);
    const mem = new Uint8Array(4096);
    expect(() => reader.fill(mem.subarray(0, 2048), mem.subarray(1024, 4096), new Uint32Array(1))).toThrow(/must not share memory/);
    const res = reader.fill(new Uint8Array(4096), new Uint8Array(4096), new Uint32Array(1));
    expect(res).toMatchObject({ packets: 10, finished: true, error: null });
  });

  it('names files it cannot open, with a stable code', () => {
    const err = (() => {
      try {
        new native.CaptureReader('/nonexistent/x.pcap', 1, 0n, true);
      } catch (e) {
        return e as { code?: string; message: string };
      }
      return null;
    })();
    expect(err?.code).toBe('SENSOR_ERR_CAPTURE_OPEN');
    expect(err?.message).toContain('/nonexistent/x.pcap');
  });

  it('computes Community IDs for tuples (spec example)', () => {
    const id = native.communityId(Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([5, 6, 7, 8]), 6, 1122, 3344, 0, true);
    expect(id).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
  });
});
