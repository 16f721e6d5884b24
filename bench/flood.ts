/**
 * Flow-flood benchmark (SPEC section 11, issue 7): `npm run bench:flood [-- options]`.
 *
 * Makes a capture of millions of SYN-only flows (bench/tools/flood-gen.c: every 5-tuple distinct,
 * packet time increasing) and measures, with the flow memcap on:
 *
 * 1. in this process, one native FlowEngine fed through the N-API batch call exactly as a flow
 *    worker feeds it (CaptureReader.fill -> FlowEngine.process per chunk): after every chunk,
 *    the engine's counters (flows_active, flows_ended.memcap, emergency_entered, ...) and this
 *    process's VmRSS. That gives RSS against tracked flows, bytes per tracked flow and whether
 *    RSS stays flat once the memcap is reached;
 * 2. the real command, `exfil-sensor replay FILE --flows-only --workers 1 --memcap M`, as a child
 *    process whose VmRSS (and rchar: bytes read, which tells how far into the file it is) is
 *    polled from /proc every 50 ms; its final counters come from its `replay finished` line.
 *
 * Results: bench/results/flood.{json,md,svg}. Nothing is asserted; targets are printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { native } from '../agent/native/index.js';
import { INDEX_ENTRY_SIZE } from '../agent/native/layout.js';
import { parseSize } from '../agent/config/units.js';
import { BENCH_DIR, BenchError, buildC, fixed, gitInfo, hostInfo, jsonRound, linearFit, log, RESULTS_DIR, rcharBytes, ROOT, vmRssKib } from './common.js';
import { lineChart } from './svg.js';

const USAGE = `usage: npm run bench:flood -- [options]

  --flows N       SYN-only flows in the capture (default 2000000)
  --memcap SIZE   flow memcap per engine (default "64 MiB"; the engine budgets 200 bytes a flow)
  --no-cli        skip the whole-process run (in-process engine only)
  --out DIR       results directory (default bench/results)
`;

const RECORD_BYTES = 16 + 54;
const TARGET_BYTES_PER_FLOW = 200;
/** RSS counts as flat after the memcap when it grows less than this from there to the end. */
const FLAT_TOLERANCE = 0.05;

interface Point {
  /** Seconds since the first chunk. */
  t_s: number;
  packets: number;
  flows_active: number;
  flows_created: number;
  evicted_memcap: number;
  emergency_entered: number;
  rss_mib: number;
}

function ensureFlood(flows: number): string {
  const gen = buildC(path.join(ROOT, 'bench', 'tools', 'flood-gen.c'));
  const file = path.join(BENCH_DIR, `flood-${flows}.pcap`);
  const want = 24 + flows * RECORD_BYTES;
  if (fs.existsSync(file) && fs.statSync(file).size === want) return file;
  log(`generating ${file}: flood-gen -n ${flows}`);
  const tmp = `${file}.tmp${process.pid}`;
  const r = spawnSyncChecked(gen, ['-n', String(flows), '-o', tmp]);
  if (r !== 0) throw new BenchError(`flood-gen failed (${r})`);
  fs.renameSync(tmp, file);
  return file;
}

function spawnSyncChecked(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new BenchError(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

function warm(file: string): void {
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
      // page-cache warm-up
    }
  } finally {
    fs.closeSync(fd);
  }
}

function counterMap(engine: InstanceType<typeof native.FlowEngine>): (name: string) => number {
  const names = engine.counterNames().split('\n');
  const values = new BigUint64Array(names.length);
  return (name: string) => {
    engine.counters(values);
    const i = names.indexOf(name);
    if (i < 0) throw new BenchError(`engine has no counter '${name}'`);
    return Number(values[i]);
  };
}

interface InProcess {
  memcap_bytes: number;
  flows_max: number;
  engine_bytes_per_flow: number;
  rss_before_engine_mib: number;
  rss_after_engine_mib: number;
  points: Point[];
  /** First point where the table held flows_max flows or evicted/entered emergency. */
  memcap_reached_at_packets: number | null;
  rss_at_memcap_mib: number | null;
  rss_end_mib: number;
  rss_peak_mib: number;
  /** (RSS when the memcap was reached - RSS before the engine existed) / flows then tracked. */
  bytes_per_flow_total: number | null;
  /** Slope of RSS against flows_active while the table filled (marginal cost of one flow). */
  bytes_per_flow_slope: number | null;
  slope_r2: number | null;
  growth_after_memcap: number | null;
  flat: boolean | null;
  counters_end: Record<string, number>;
  seconds: number;
  /** Packets/s while the table filled and after the memcap was reached (every packet a new flow). */
  pps_filling: number | null;
  pps_after_memcap: number | null;
}

function inProcess(file: string, memcap: number): InProcess {
  if (typeof global.gc === 'function') global.gc();
  const rss0 = vmRssKib('self')! / 1024;
  const engine = new native.FlowEngine(`memcap_bytes=${memcap}`);
  const counter = counterMap(engine);
  const chunkBytes = 2 << 20;
  const chunk = new Uint8Array(new SharedArrayBuffer(chunkBytes));
  const index = new Uint8Array(new SharedArrayBuffer(Math.ceil(chunkBytes / 64) * INDEX_ENTRY_SIZE));
  const counts = new Uint32Array(1);
  let drainBuf = new Uint8Array(1 << 20);
  const reader = new native.CaptureReader(file, 1, 0x5eedn, true);
  const rss1 = vmRssKib('self')! / 1024;
  const flowsMax = counter('flows_max');
  const points: Point[] = [];
  let packets = 0;
  let nowNs = 0n;
  const t0 = performance.now();
  const sample = () => {
    points.push({
      t_s: (performance.now() - t0) / 1000,
      packets,
      flows_active: counter('flows_active'),
      flows_created: counter('flows_created'),
      evicted_memcap: counter('flows_ended.memcap'),
      emergency_entered: counter('emergency_entered'),
      rss_mib: vmRssKib('self')! / 1024,
    });
  };
  sample();
  for (;;) {
    const res = reader.fill(chunk, index, counts);
    if (res.error !== null) throw new BenchError(`${file}: ${res.error}`);
    if (res.maxTsNs > nowNs) nowNs = res.maxTsNs;
    if (res.packets > 0) engine.process(chunk.subarray(0, res.bytes), index, counts[0]!, nowNs);
    packets += res.packets;
    const need = engine.pendingBytes();
    if (need > drainBuf.length) drainBuf = new Uint8Array(need);
    if (need > 0) engine.drain(drainBuf);
    sample();
    if (res.finished) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const names = engine.counterNames().split('\n');
  const values = new BigUint64Array(names.length);
  engine.counters(values);
  const countersEnd: Record<string, number> = {};
  names.forEach((n, i) => {
    if (values[i] !== 0n) countersEnd[n] = Number(values[i]);
  });

  const reachedIdx = points.findIndex((p) => p.flows_active >= flowsMax || p.evicted_memcap > 0 || p.emergency_entered > 0);
  const reached = reachedIdx >= 0 ? points[reachedIdx]! : null;
  const filling = points.filter((p, i) => (reachedIdx < 0 || i <= reachedIdx) && p.flows_active > 0);
  const fit = filling.length >= 3 ? linearFit(filling.map((p) => p.flows_active), filling.map((p) => p.rss_mib * 1048576)) : null;
  const end = points[points.length - 1]!;
  const after = reached ? points.slice(reachedIdx) : [];
  const peak = Math.max(...points.map((p) => p.rss_mib));
  const growth = reached ? (Math.max(...after.map((p) => p.rss_mib)) - reached.rss_mib) / reached.rss_mib : null;
  return {
    memcap_bytes: memcap,
    flows_max: flowsMax,
    engine_bytes_per_flow: counter('bytes_per_flow'),
    rss_before_engine_mib: rss0,
    rss_after_engine_mib: rss1,
    points,
    memcap_reached_at_packets: reached?.packets ?? null,
    rss_at_memcap_mib: reached?.rss_mib ?? null,
    rss_end_mib: end.rss_mib,
    rss_peak_mib: peak,
    bytes_per_flow_total: reached && reached.flows_active > 0 ? ((reached.rss_mib - rss0) * 1048576) / reached.flows_active : null,
    bytes_per_flow_slope: fit?.slope ?? null,
    slope_r2: fit?.r2 ?? null,
    growth_after_memcap: growth,
    flat: growth === null ? null : growth < FLAT_TOLERANCE,
    counters_end: countersEnd,
    seconds,
    pps_filling: reached && reached.t_s > 0 ? reached.packets / reached.t_s : null,
    pps_after_memcap: reached && end.t_s > reached.t_s ? (end.packets - reached.packets) / (end.t_s - reached.t_s) : null,
  };
}

interface CliRun {
  command: string[];
  exit_code: number;
  wall_s: number;
  /** [seconds since start, VmRSS MiB, approximate packets read (rchar / record size)] */
  samples: [number, number, number][];
  rss_peak_mib: number;
  rss_at_half_mib: number | null;
  growth_second_half: number | null;
  flat: boolean | null;
  summary: Record<string, unknown> | null;
}

function cliRun(file: string, memcap: number): Promise<CliRun> {
  const args = [path.join(ROOT, 'bin', 'exfil-sensor.js'), 'replay', file, '--flows-only', '--workers', '1', '--memcap', String(memcap), '--no-progress'];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'info' } });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-(256 << 10));
    });
    const samples: [number, number, number][] = [];
    let rchar0: number | null = null;
    const poll = setInterval(() => {
      const pid = child.pid;
      if (pid === undefined) return;
      const rss = vmRssKib(pid);
      const rc = rcharBytes(pid);
      if (rss === null || rc === null) return;
      rchar0 ??= rc;
      samples.push([(performance.now() - t0) / 1000, rss / 1024, Math.max(0, Math.round((rc - rchar0) / RECORD_BYTES))]);
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const wall = (performance.now() - t0) / 1000;
      let summary: Record<string, unknown> | null = null;
      for (const line of err.split('\n').reverse()) {
        if (!line.includes('replay finished')) continue;
        try {
          summary = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        break;
      }
      const peak = samples.length > 0 ? Math.max(...samples.map((s) => s[1])) : 0;
      const half = samples.filter((s) => s[0] >= wall / 2);
      const atHalf = half[0]?.[1] ?? null;
      const growth = atHalf !== null ? (Math.max(...half.map((s) => s[1])) - atHalf) / atHalf : null;
      resolve({
        command: ['node', ...args.map((a) => (a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a))],
        exit_code: code ?? 1,
        wall_s: wall,
        samples,
        rss_peak_mib: peak,
        rss_at_half_mib: atHalf,
        growth_second_half: growth,
        flat: growth === null ? null : growth < FLAT_TOLERANCE,
        summary,
      });
    });
  });
}

function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!);
  out.push(xs[xs.length - 1]!);
  return out;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

function markdown(rep: { flows: number; file: string; inproc: InProcess; cli: CliRun | null; started: string; git: ReturnType<typeof gitInfo>; host: ReturnType<typeof hostInfo> }): string {
  const p = rep.inproc;
  const bpf = p.bytes_per_flow_total;
  const bpfStatus = bpf === null ? 'n/a' : bpf <= TARGET_BYTES_PER_FLOW ? 'PASS' : 'MISS';
  const flatStatus = p.flat === null ? 'n/a (memcap never reached)' : p.flat ? 'PASS' : 'MISS';
  const lines = [
    '# Flow-flood benchmark',
    '',
    `${rep.started} · commit ${rep.git.commit?.slice(0, 12) ?? 'unknown'}${rep.git.dirty ? ' (dirty tree)' : ''} · ${rep.host.cpu}, ${rep.host.cpus} CPUs, Node ${rep.host.node}, load ${rep.host.loadavg.join('/')}`,
    '',
    `Capture: ${rep.flows.toLocaleString('en-US')} SYN-only TCP flows, one 54-byte packet each, all tuples distinct, 1 µs apart (bench/tools/flood-gen.c).`,
    `Memcap ${(p.memcap_bytes / 1048576).toFixed(0)} MiB per engine; the engine budgets ${p.engine_bytes_per_flow} bytes a flow, so it tracks at most ${p.flows_max.toLocaleString('en-US')} flows.`,
    '',
    '## One engine in-process (N-API batch calls, as a flow worker runs it)',
    '',
    '| measure | value |',
    '|---|---:|',
    `| RSS before the engine / after creating it | ${fixed(p.rss_before_engine_mib, 1)} / ${fixed(p.rss_after_engine_mib, 1)} MiB |`,
    `| memcap reached after | ${p.memcap_reached_at_packets?.toLocaleString('en-US') ?? 'never'} packets |`,
    `| RSS when reached / peak / at the end | ${fixed(p.rss_at_memcap_mib, 1)} / ${fixed(p.rss_peak_mib, 1)} / ${fixed(p.rss_end_mib, 1)} MiB |`,
    `| bytes per tracked flow (RSS growth from before the engine to the memcap / flows tracked) | ${fixed(bpf, 0)} |`,
    `| marginal bytes per flow (slope of RSS against flows_active while filling, r² ${fixed(p.slope_r2, 3)}) | ${fixed(p.bytes_per_flow_slope, 0)} |`,
    `| RSS growth from the memcap to the end | ${pct(p.growth_after_memcap)} |`,
    `| flows created / evicted by memcap / still active at the end | ${(p.counters_end['flows_created'] ?? 0).toLocaleString('en-US')} / ${(p.counters_end['flows_ended.memcap'] ?? 0).toLocaleString('en-US')} / ${(p.counters_end['flows_active'] ?? 0).toLocaleString('en-US')} |`,
    `| emergency mode entered / exited | ${p.counters_end['emergency_entered'] ?? 0} / ${p.counters_end['emergency_exited'] ?? 0} |`,
    `| time (in-process, ${rep.flows.toLocaleString('en-US')} packets) | ${p.seconds.toFixed(2)} s (${((rep.flows / p.seconds) / 1e6).toFixed(2)} M packets/s) |`,
    `| new flows/s while filling / after the memcap (each packet a new flow) | ${fixed(p.pps_filling === null ? null : p.pps_filling / 1e6, 3)} M / ${fixed(p.pps_after_memcap === null ? null : p.pps_after_memcap / 1e6, 3)} M |`,
    '',
    `**target: <= ${TARGET_BYTES_PER_FLOW} bytes per tracked flow: ${bpfStatus}** — ${fixed(bpf, 0)} bytes${bpf !== null && bpf > TARGET_BYTES_PER_FLOW ? ` (${(bpf / TARGET_BYTES_PER_FLOW).toFixed(2)}x the target, ${(bpf - TARGET_BYTES_PER_FLOW).toFixed(0)} bytes over)` : ''}`,
    '',
    `**target: RSS flat once the memcap is reached (< ${FLAT_TOLERANCE * 100}% growth after it): ${flatStatus}** — ${pct(p.growth_after_memcap)}`,
    '',
  ];
  if (rep.cli) {
    const c = rep.cli;
    const s = (c.summary ?? {}) as { seconds?: number; flows?: number; counters?: Record<string, number> };
    lines.push(
      '## The command as a process',
      '',
      `\`${c.command.join(' ')}\` (VmRSS polled every 50 ms)`,
      '',
      `- exit ${c.exit_code}, wall ${c.wall_s.toFixed(2)} s (replay's own ${s.seconds ?? 'n/a'} s), ${c.samples.length} samples`,
      `- peak RSS ${c.rss_peak_mib.toFixed(1)} MiB; RSS at half time ${fixed(c.rss_at_half_mib, 1)} MiB, growth over the second half ${pct(c.growth_second_half)} (${c.flat === null ? 'n/a' : c.flat ? 'flat' : 'NOT flat'})`,
      `- flows ${s.flows ?? 'n/a'}; memcap evictions ${s.counters?.['flows_ended.memcap'] ?? 0}; emergency entered ${s.counters?.['emergency_entered'] ?? 0}`,
      '',
    );
  }
  lines.push('![RSS against packets](flood.svg)', '', 'Raw series: flood.json. Reproduce: `npm run bench:flood` (see bench/README.md).', '');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      flows: { type: 'string', default: '2000000' },
      memcap: { type: 'string', default: '64 MiB' },
      'no-cli': { type: 'boolean', default: false },
      out: { type: 'string', default: RESULTS_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const flows = Number(values.flows);
  if (!Number.isInteger(flows) || flows < 1000 || flows > 100_000_000) throw new BenchError(`--flows: bad value '${values.flows}'`);
  const memcap = parseSize(values.memcap);
  const started = new Date().toISOString();
  const file = ensureFlood(flows);
  warm(file);
  log(`in-process engine on ${file}, memcap ${memcap} bytes`);
  const inproc = inProcess(file, memcap);
  log(`in-process: ${inproc.seconds.toFixed(2)} s, peak RSS ${inproc.rss_peak_mib.toFixed(1)} MiB, bytes/flow ${fixed(inproc.bytes_per_flow_total, 0)}`);
  let cli: CliRun | null = null;
  if (!values['no-cli']) {
    warm(file);
    log('whole-process replay with --memcap');
    cli = await cliRun(file, memcap);
    log(`cli: exit ${cli.exit_code}, ${cli.wall_s.toFixed(2)} s, peak RSS ${cli.rss_peak_mib.toFixed(1)} MiB`);
  }
  const rep = { schema: 'exfil-sensor/bench-flood/1', started, git: gitInfo(), host: hostInfo(), flows, file, inproc, cli };
  fs.mkdirSync(values.out, { recursive: true });
  const base = path.join(values.out, 'flood');
  const pts = thin(inproc.points, 200);
  const svg = lineChart({
    title: `Flow flood: ${flows.toLocaleString('en-US')} SYN-only flows, memcap ${(memcap / 1048576).toFixed(0)} MiB`,
    xLabel: 'packets (= new flows) processed',
    yLabel: 'RSS MiB',
    yRightLabel: 'flows tracked / evicted',
    series: [
      { label: 'RSS, in-process engine', points: pts.map((p) => [p.packets, p.rss_mib]) },
      ...(cli ? [{ label: 'RSS, exfil-sensor replay (approx. packets from rchar)', points: thin(cli.samples, 200).map((s) => [Math.min(s[2], flows), s[1]] as [number, number]) }] : []),
      { label: 'flows_active', points: pts.map((p) => [p.packets, p.flows_active]), right: true },
      { label: 'memcap evictions', points: pts.map((p) => [p.packets, p.evicted_memcap]), right: true },
    ],
  });
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(rep, jsonRound, 1)}\n`);
  fs.writeFileSync(`${base}.svg`, svg);
  const md = markdown(rep);
  fs.writeFileSync(`${base}.md`, md);
  process.stdout.write(`${md}\nwrote ${base}.{json,md,svg}\n`);
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
