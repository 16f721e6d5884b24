/**
 * Where the time goes (issue 7: a profile for every missed target): `npm run bench:profile`.
 *
 * 1. JS side: `node --cpu-prof` on `exfil-sensor replay FILE --workers 1` (full pipeline and
 *    flows only). Node writes one .cpuprofile per thread (main thread and the flow worker); each is
 *    summarised here by self time per function (sum of the sample intervals that landed in it).
 * 2. Native side: `perf record -e cpu-clock -g` on `native/core/examples/core_replay.rs` (the
 *    engine alone, no N-API, no workers), summarised with `perf report --no-children`. Without
 *    perf, callgrind (valgrind) on a smaller capture; without either, skipped with a note.
 *
 * Results: bench/results/profile.{md,json}. The raw profiles stay in the bench cache directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, BenchError, buildC, gitInfo, hostInfo, jsonRound, log, RESULTS_DIR, ROOT, run, TOOLS_DIR } from './common.js';

const USAGE = `usage: npm run bench:profile -- [options]

  --scale S    pcapgen capture to profile (default 0.05; generated into the bench cache if missing)
  --top N      functions listed per thread (default 15)
  --out DIR    results directory (default bench/results)
`;

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  self_ms: number;
  pct: number;
}

/** Self time per function of one .cpuprofile, largest first; idle time is reported apart. */
export function summariseCpuProfile(p: CpuProfile, top: number): { total_ms: number; idle_ms: number; busy_ms: number; rows: SelfTime[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: attribute it to sample i.
    const dt = Math.max(0, p.timeDeltas[i] ?? 0);
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    total += dt;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url ? `${url.startsWith(ROOT) ? path.relative(ROOT, url) : url.replace(/^.*node_modules\//, 'node_modules/')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    const e = selfUs.get(key) ?? { fn: name, where, us: 0 };
    e.us += dt;
    selfUs.set(key, e);
  }
  const busy = total - idle;
  const rows = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ fn: e.fn, where: e.where, self_ms: e.us / 1000, pct: busy > 0 ? (e.us / busy) * 100 : 0 }));
  return { total_ms: total / 1000, idle_ms: idle / 1000, busy_ms: busy / 1000, rows };
}

function ensureCapture(scale: number): string {
  const file = path.join(BENCH_DIR, `pcapgen-S1-s${scale}.pcap`);
  if (fs.existsSync(file)) return file;
  const pcapgen = buildC(path.join(TOOLS_DIR, 'pcapgen.c'), ['-lm']);
  log(`generating ${file}`);
  const r = run(pcapgen, ['-s', String(scale), '-S', '1', '-o', `${file}.tmp${process.pid}`]);
  if (r.code !== 0) throw new BenchError(`pcapgen failed: ${r.stderr}`);
  fs.renameSync(`${file}.tmp${process.pid}`, file);
  return file;
}

interface JsProfile {
  mode: string;
  command: string;
  wall_s: number;
  threads: { file: string; thread: string; total_ms: number; idle_ms: number; busy_ms: number; rows: SelfTime[] }[];
}

function jsProfile(file: string, mode: 'full pipeline' | 'flows only', top: number): JsProfile {
  const dir = path.join(BENCH_DIR, 'cpuprof', mode.replace(' ', '-'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--cpu-prof', '--cpu-prof-dir', dir, path.join(ROOT, 'bin', 'exfil-sensor.js'), 'replay', file, '--workers', '1', '--no-progress', ...(mode === 'flows only' ? ['--flows-only'] : [])];
  log(`node ${args.join(' ')}`);
  const t0 = performance.now();
  const r = run(process.execPath, args, { cwd: ROOT });
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new BenchError(`profiled replay failed (${r.code}): ${r.stderr.slice(-500)}`);
  const threads = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => {
      const p = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
      const tid = f.split('.')[4];
      return { file: path.join(dir, f), thread: tid === '0' ? 'main thread' : `worker thread ${tid}`, ...summariseCpuProfile(p, top) };
    })
    .sort((a, b) => b.busy_ms - a.busy_ms);
  return { mode, command: `node --cpu-prof bin/exfil-sensor.js replay ${path.basename(file)} --workers 1${mode === 'flows only' ? ' --flows-only' : ''}`, wall_s: wall, threads };
}

interface NativeProfile {
  tool: string;
  command: string;
  summary: string | null;
  rows: { pct: number; symbol: string; object: string }[];
  note?: string;
}

function nativeProfile(file: string, top: number): NativeProfile {
  const cargo = [path.join(process.env.HOME ?? '', '.cargo', 'bin', 'cargo'), 'cargo'].find((c) => c === 'cargo' || fs.existsSync(c))!;
  const b = run(cargo, ['build', '--release', '-q', '-p', 'sensor_core', '--example', 'core_replay'], { cwd: ROOT });
  if (b.code !== 0) return { tool: 'none', command: '', summary: null, rows: [], note: `cargo build failed: ${b.stderr.slice(-300)}` };
  const exe = path.join(ROOT, 'target', 'release', 'examples', 'core_replay');
  const perf = run('sh', ['-c', 'command -v perf']).stdout.trim();
  if (perf) {
    const data = path.join(BENCH_DIR, 'core_replay.perf.data');
    const rec = run(perf, ['record', '-q', '-F', '999', '-e', 'cpu-clock', '-g', '-o', data, '--', exe, file]);
    if (rec.code === 0) {
      const rep = run(perf, ['report', '-i', data, '--stdio', '--no-children', '--sort', 'symbol,dso', '-g', 'none', '--percent-limit', '0.5']);
      const rows: NativeProfile['rows'] = [];
      for (const line of rep.stdout.split('\n')) {
        // "    20.70%  [k] symbol    object    -": columns separated by 2+ spaces.
        const m = /^\s+([\d.]+)%\s+\[[.k]\]\s+(.+)$/.exec(line);
        if (!m) continue;
        const cols = m[2]!.trim().split(/\s{2,}/);
        rows.push({ pct: Number(m[1]), symbol: cols[0] ?? '', object: cols[1] ?? '' });
      }
      return { tool: 'perf (cpu-clock, 999 Hz)', command: `perf record -F 999 -e cpu-clock -g -- core_replay ${path.basename(file)}`, summary: rec.stdout.trim().split('\n').pop() ?? null, rows: rows.slice(0, top) };
    }
    log(`perf record failed (${rec.stderr.trim().split('\n').pop()}); trying callgrind`);
  }
  const vg = run('sh', ['-c', 'command -v valgrind']).stdout.trim();
  if (!vg) return { tool: 'none', command: '', summary: null, rows: [], note: 'neither perf nor valgrind is installed: native profile skipped' };
  const out = path.join(BENCH_DIR, 'core_replay.callgrind.out');
  const small = ensureCapture(0.01);
  const cg = run(vg, ['--tool=callgrind', `--callgrind-out-file=${out}`, exe, small]);
  if (cg.code !== 0) return { tool: 'callgrind', command: '', summary: null, rows: [], note: `callgrind failed: ${cg.stderr.slice(-300)}` };
  const ann = run('callgrind_annotate', ['--inclusive=no', out]);
  const rows: NativeProfile['rows'] = [];
  let total = 0;
  for (const line of ann.stdout.split('\n')) {
    const t = /^([\d,]+) \(100.0%\)\s+PROGRAM TOTALS/.exec(line);
    if (t) total = Number(t[1]!.replace(/,/g, ''));
    const m = /^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.+?):(.+?)(?: \[(.+)\])?$/.exec(line);
    if (m && !line.includes('PROGRAM TOTALS')) rows.push({ pct: Number(m[2]), symbol: m[4]!, object: m[5] ?? m[3]! });
  }
  return { tool: 'callgrind (instructions)', command: `valgrind --tool=callgrind core_replay ${path.basename(small)}`, summary: `${total} instructions`, rows: rows.slice(0, top) };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string', default: '0.05' },
      top: { type: 'string', default: '15' },
      out: { type: 'string', default: RESULTS_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const scale = Number(values.scale);
  const top = Number(values.top);
  if (!(scale > 0) || !(top > 0)) throw new BenchError('--scale and --top must be positive numbers');
  const file = ensureCapture(scale);
  const started = new Date().toISOString();
  const js = [jsProfile(file, 'full pipeline', top), jsProfile(file, 'flows only', top)];
  log('native profile of core_replay');
  const nat = nativeProfile(file, top);
  const rep = { schema: 'exfil-sensor/bench-profile/1', started, git: gitInfo(), host: hostInfo(), capture: file, js, native: nat };

  const md: string[] = [
    '# Where the time goes',
    '',
    `${started} · commit ${rep.git.commit?.slice(0, 12) ?? 'unknown'}${rep.git.dirty ? ' (dirty tree)' : ''} · ${rep.host.cpu}, ${rep.host.cpus} CPUs, Node ${rep.host.node}, load ${rep.host.loadavg.join('/')} · capture ${path.basename(file)}`,
    '',
  ];
  for (const p of js) {
    md.push(`## JS: ${p.mode}, 1 worker (\`${p.command}\`, ${p.wall_s.toFixed(2)} s wall with the profiler)`, '');
    for (const t of p.threads) {
      md.push(`### ${t.thread}: ${(t.busy_ms / 1000).toFixed(2)} s busy, ${(t.idle_ms / 1000).toFixed(2)} s idle`, '', '| self ms | % of busy | function | where |', '|---:|---:|---|---|');
      for (const r of t.rows) md.push(`| ${r.self_ms.toFixed(0)} | ${r.pct.toFixed(1)} | \`${r.fn}\` | ${r.where} |`);
      md.push('');
    }
  }
  md.push(`## Native: core_replay (engine alone, no N-API, no workers) with ${nat.tool}`, '');
  if (nat.note) md.push(nat.note, '');
  if (nat.rows.length > 0) {
    md.push(`\`${nat.command}\`${nat.summary ? ` — ${nat.summary}` : ''}`, '', '| self % | symbol | object |', '|---:|---|---|');
    for (const r of nat.rows) md.push(`| ${r.pct.toFixed(2)} | \`${r.symbol.replace(/\|/g, '\\|')}\` | ${r.object} |`);
    md.push('');
  }
  md.push('Reproduce: `npm run bench:profile` (bench/README.md). Self time: sampled time in the function itself, callees excluded; `(garbage collector)` and `(program)` are V8\'s own.', '');
  fs.mkdirSync(values.out, { recursive: true });
  const base = path.join(values.out, 'profile');
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(rep, jsonRound, 1)}\n`);
  fs.writeFileSync(`${base}.md`, md.join('\n'));
  process.stdout.write(`${md.join('\n')}\nwrote ${base}.{json,md}\n`);
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
