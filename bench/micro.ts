/**
 * Micro-benchmarks of the hot paths (issue 7): `npm run bench:micro [-- options]`.
 *
 * JS side, with tinybench, through the same N-API calls the agent makes (batches, never one
 * call per packet):
 * - engine.process on one chunk of a pcapgen capture (decode + flow hash + lookup/insert +
 *   update), fresh engine per iteration (flows created) and a warm engine (flows found), with
 *   windows off and on;
 * - CaptureReader.fill (record walk, shard hash: the main thread's part per chunk);
 * - decodeRecords (flow records -> JS objects on the main thread);
 * - communityId (one N-API call per flow, as EVE output makes it);
 * - msgpack encode of a real alert (bench/fixtures/alert.json) with msgpackr, JSON for scale;
 * - IOC lookup: skipped, IOC feeds are not implemented.
 * Native side: `native/core/examples/micro_core.rs` (decode alone, Community ID, engine per
 * packet, TLS ClientHello parse, JA3, JA4), built with cargo and run as a child; skipped with a
 * note when cargo is missing.
 *
 * Results: bench/results/micro.{json,md}.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Packr, pack } from 'msgpackr';
import { Bench } from 'tinybench';
import { native } from '../agent/native/index.js';
import { decodeRecords, INDEX_ENTRY_SIZE } from '../agent/native/layout.js';
import { BENCH_DIR, BenchError, buildC, gitInfo, hostInfo, jsonRound, log, RESULTS_DIR, ROOT, run, TOOLS_DIR } from './common.js';

const USAGE = `usage: npm run bench:micro -- [options]

  --capture FILE  capture to take packets from (default: pcapgen -s 0.01 -S 1 in the bench cache,
                  generated when missing)
  --time MS       tinybench time per task in ms (default 1000)
  --no-native     skip the Rust example (micro_core)
  --out DIR       results directory (default bench/results)
`;

interface Row {
  name: string;
  /** What one "op" is. */
  unit: string;
  ns_per_op: number | null;
  /** Relative margin of error of the mean, percent (tinybench), or min-max for native rows. */
  spread: string;
  samples: number | null;
  side: 'js (N-API)' | 'js' | 'native (Rust example)';
  note?: string;
}

function ensureCapture(): string {
  const file = path.join(BENCH_DIR, 'pcapgen-S1-s0.01.pcap');
  if (fs.existsSync(file)) return file;
  const pcapgen = buildC(path.join(TOOLS_DIR, 'pcapgen.c'), ['-lm']);
  log(`generating ${file}`);
  const r = run(pcapgen, ['-s', '0.01', '-S', '1', '-o', `${file}.tmp${process.pid}`]);
  if (r.code !== 0) throw new BenchError(`pcapgen failed: ${r.stderr}`);
  fs.renameSync(`${file}.tmp${process.pid}`, file);
  return file;
}

/** One chunk of packets as the replay hands it to a worker (1 shard). */
function loadChunk(file: string, chunkBytes: number) {
  const chunk = new Uint8Array(new SharedArrayBuffer(chunkBytes));
  const index = new Uint8Array(new SharedArrayBuffer(Math.ceil(chunkBytes / 64) * INDEX_ENTRY_SIZE));
  const counts = new Uint32Array(1);
  const reader = new native.CaptureReader(file, 1, 0x5eedn, true);
  const res = reader.fill(chunk, index, counts);
  if (res.error !== null || res.packets === 0) throw new BenchError(`${file}: no packets (${res.error ?? 'empty'})`);
  return { chunk: chunk.subarray(0, res.bytes), index: index.subarray(0, counts[0]! * INDEX_ENTRY_SIZE), count: counts[0]!, nowNs: res.maxTsNs, bytes: res.bytes };
}

function nativeRows(file: string): { rows: Row[]; note: string | null } {
  const cargo = [process.env.CARGO, path.join(process.env.HOME ?? '', '.cargo', 'bin', 'cargo'), 'cargo'].find(
    (c) => c && (c === 'cargo' || fs.existsSync(c)),
  )!;
  const b = run(cargo, ['build', '--release', '-q', '-p', 'sensor_core', '--example', 'micro_core'], { cwd: ROOT });
  if (b.code !== 0) return { rows: [], note: `native micro-benchmarks skipped: cargo build failed: ${b.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const exe = path.join(ROOT, 'target', 'release', 'examples', 'micro_core');
  const r = run(exe, [file, '200000', '5']);
  if (r.code !== 0) return { rows: [], note: `micro_core failed: ${r.stderr.trim()}` };
  const units: Record<string, string> = {
    decode: 'packet',
    community_id_v1: 'tuple (SHA-1)',
    engine_packet_windows_off: 'packet (decode + flow + drain)',
    engine_packet_windows_on: 'packet (decode + flow + window + drain)',
    tls_client_hello_parse: 'ClientHello record (~500 B)',
    ja3: 'ClientHello (string + MD5)',
    ja4: 'ClientHello (strings + 2 SHA-256)',
  };
  const rows: Row[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as { op: string; ns_per_op: number; min: number; max: number; rounds: number };
    rows.push({
      name: `native ${j.op}`,
      unit: units[j.op] ?? 'op',
      ns_per_op: j.ns_per_op,
      spread: `${j.min.toFixed(0)}-${j.max.toFixed(0)} ns`,
      samples: j.rounds,
      side: 'native (Rust example)',
    });
  }
  const fp = /ja3 (\S+) ja4 (\S+)/.exec(r.stderr);
  return { rows, note: fp ? `native JA3/JA4 of the synthetic browser ClientHello: ${fp[1]} / ${fp[2]}` : null };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      capture: { type: 'string' },
      time: { type: 'string', default: '1000' },
      'no-native': { type: 'boolean', default: false },
      out: { type: 'string', default: RESULTS_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const time = Number(values.time);
  if (!(time > 0)) throw new BenchError(`--time: bad value '${values.time}'`);
  const file = values.capture ?? ensureCapture();
  const started = new Date().toISOString();
  const batch = loadChunk(file, 8 << 20);
  log(`batch: ${batch.count} packets, ${batch.bytes} bytes from ${file}`);

  // Records for decodeRecords: everything one engine emits for the batch, flushed.
  const e0 = new native.FlowEngine('');
  e0.process(batch.chunk, batch.index, batch.count, batch.nowNs);
  e0.flushAll();
  const recBuf = new ArrayBuffer(e0.pendingBytes());
  const recLen = e0.drain(new Uint8Array(recBuf));
  let recCount = 0;
  decodeRecords(recBuf, recLen, () => {
    recCount += 1;
  });

  const alert = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'fixtures', 'alert.json'), 'utf8')) as Record<string, unknown>;
  const packr = new Packr({ useRecords: true });
  const drainBuf = new Uint8Array(8 << 20);
  const warmOff = new native.FlowEngine('');
  const warmOn = new native.FlowEngine('emit_windows=true');
  const src4 = Uint8Array.of(10, 11, 10, 21);
  const dst4 = Uint8Array.of(183, 172, 74, 209);

  const fillChunk = new Uint8Array(8 << 20);
  const fillIndex = new Uint8Array(Math.ceil((8 << 20) / 64) * INDEX_ENTRY_SIZE * 2);
  const fillCounts = new Uint32Array(2);

  const bench = new Bench({ time, warmupIterations: 5 });
  const perPacket = batch.count;
  const defs: { name: string; unit: string; per: number; fn: () => void; side: Row['side'] }[] = [
    {
      name: 'engine.process batch, fresh engine, windows off',
      unit: `packet (batch of ${perPacket}; flows created, flushed, drained)`,
      per: perPacket,
      side: 'js (N-API)',
      fn: () => {
        const e = new native.FlowEngine('');
        e.process(batch.chunk, batch.index, batch.count, batch.nowNs);
        e.flushAll();
        e.drain(drainBuf);
      },
    },
    {
      name: 'engine.process batch, fresh engine, windows on',
      unit: `packet (batch of ${perPacket}; + window accounting)`,
      per: perPacket,
      side: 'js (N-API)',
      fn: () => {
        const e = new native.FlowEngine('emit_windows=true');
        e.process(batch.chunk, batch.index, batch.count, batch.nowNs);
        e.flushAll();
        e.drain(drainBuf);
      },
    },
    {
      name: 'engine.process batch, warm engine (flow lookup hits), windows off',
      unit: `packet (batch of ${perPacket})`,
      per: perPacket,
      side: 'js (N-API)',
      fn: () => {
        warmOff.process(batch.chunk, batch.index, batch.count, batch.nowNs);
        if (warmOff.pendingBytes() > 0) warmOff.drain(drainBuf);
      },
    },
    {
      name: 'engine.process batch, warm engine (flow lookup hits), windows on',
      unit: `packet (batch of ${perPacket})`,
      per: perPacket,
      side: 'js (N-API)',
      fn: () => {
        warmOn.process(batch.chunk, batch.index, batch.count, batch.nowNs);
        if (warmOn.pendingBytes() > 0) warmOn.drain(drainBuf);
      },
    },
    {
      name: 'CaptureReader.fill (record walk + shard hash), 2 shards',
      unit: 'packet (8 MiB chunk: open + pread copy + walk)',
      per: perPacket,
      side: 'js (N-API)',
      fn: () => {
        // A new reader each time starts at the file's first chunk again (open + one pread copy).
        new native.CaptureReader(file, 2, 0x5eedn, true).fill(fillChunk, fillIndex, fillCounts);
      },
    },
    {
      name: 'decodeRecords (flow records -> JS objects)',
      unit: `record (${recCount} per call)`,
      per: recCount,
      side: 'js',
      fn: () => {
        let n = 0;
        decodeRecords(recBuf, recLen, () => {
          n += 1;
        });
        if (n !== recCount) throw new Error('record count changed');
      },
    },
    {
      name: 'communityId (N-API, base64)',
      unit: 'flow',
      per: 1,
      side: 'js (N-API)',
      fn: () => {
        native.communityId(src4, dst4, 6, 59536, 443, 0, true);
      },
    },
    { name: 'msgpackr pack(alert)', unit: `alert (${pack(alert).length} B packed)`, per: 1, side: 'js', fn: () => void pack(alert) },
    {
      name: 'msgpackr Packr({useRecords}).pack(alert)',
      unit: `alert (${packr.pack(alert).length} B packed)`,
      per: 1,
      side: 'js',
      fn: () => void packr.pack(alert),
    },
    { name: 'JSON.stringify(alert) (for scale)', unit: `alert (${JSON.stringify(alert).length} B)`, per: 1, side: 'js', fn: () => void JSON.stringify(alert) },
  ];
  for (const d of defs) bench.add(d.name, d.fn);
  log(`running ${defs.length} tinybench tasks, ${time} ms each`);
  await bench.run();
  const rows: Row[] = bench.tasks.map((t, i) => {
    const d = defs[i]!;
    const r = t.result;
    const meanMs = r?.latency?.mean;
    return {
      name: d.name,
      unit: d.unit,
      ns_per_op: meanMs === undefined || r?.error ? null : (meanMs * 1e6) / d.per,
      spread: r?.latency ? `±${r.latency.rme.toFixed(1)}%` : 'n/a',
      samples: r?.latency?.samples.length ?? null,
      side: d.side,
      ...(r?.error ? { note: String(r.error) } : {}),
    };
  });
  rows.push({ name: 'IOC lookup', unit: 'lookup', ns_per_op: null, spread: '', samples: null, side: 'js', note: 'skipped: IOC feeds not implemented' });

  const notes: string[] = [];
  if (!values['no-native']) {
    log('native micro-benchmarks (cargo build + micro_core)');
    const n = nativeRows(file);
    rows.push(...n.rows);
    if (n.note) notes.push(n.note);
  } else {
    notes.push('native micro-benchmarks skipped (--no-native)');
  }
  notes.push('alert fixture: a real window alert from `replay` on pcapgen -s 0.01 (bench/fixtures/alert.json); no evidence object in it yet');

  const rep = { schema: 'exfil-sensor/bench-micro/1', started, git: gitInfo(), host: hostInfo(), capture: file, batch_packets: batch.count, rows, notes };
  const md = [
    '# Micro-benchmarks',
    '',
    `${started} · commit ${rep.git.commit?.slice(0, 12) ?? 'unknown'}${rep.git.dirty ? ' (dirty tree)' : ''} · ${rep.host.cpu}, ${rep.host.cpus} CPUs, Node ${rep.host.node}, load ${rep.host.loadavg.join('/')} · tinybench ${time} ms per task`,
    '',
    '| hot path | side | ns per op | op | spread | samples |',
    '|---|---|---:|---|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.side} | ${r.ns_per_op === null ? (r.note ?? 'n/a') : r.ns_per_op.toFixed(1)} | ${r.unit} | ${r.spread} | ${r.samples ?? ''} |`),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    'JS rows: tinybench mean latency of one call divided by the ops in it (± is the relative margin of error). Native rows: median of 5 rounds, min-max.',
    '',
  ].join('\n');
  fs.mkdirSync(values.out, { recursive: true });
  const base = path.join(values.out, 'micro');
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(rep, jsonRound, 1)}\n`);
  fs.writeFileSync(`${base}.md`, md);
  process.stdout.write(`${md}\nwrote ${base}.{json,md}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof BenchError) {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
