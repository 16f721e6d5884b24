/**
 * Whole-process replay benchmark (SPEC section 11): `npm run bench:replay [-- options]`.
 *
 * In one run, on one pcapgen capture held in the page cache, it times as child processes:
 * the near-physical floor (`shared/tools/floor.c`, mmap and read() variants), our
 * `exfil-sensor replay` with no output files (EVE off) on 1 and 2 workers, and the Debian
 * peers that happen to be installed. Each child is timed for wall clock, user+sys CPU and peak
 * RSS (GNU time when present). Results go to bench/results/replay-<scale>.{json,md}.
 *
 * Nothing here is asserted: a MISS on the target line is a number to report, not a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeReport } from './report.js';

const USAGE = `usage: npm run bench:replay -- [options]
       node dist/bench/replay.js [options]

  --report          the full report (what \`npm run bench\` runs): scales 0.01,0.05,0.2 unless
                    --scale says otherwise, the issue's targets with PASS/MISS, cost against
                    capture size, charts; writes bench/results/report.{md,json,svg}
  --report-only     rebuild the report from the replay-<scale>.json files already in --out
                    (no measuring; e.g. after a run was cut short)
  --large           add scale 1 (about 15 GB of capture, 20 M packets) to the scales
  --scale LIST      pcapgen -s values, comma-separated (default 0.05, with --report 0.01,0.05,0.2)
  --seed N          pcapgen -S seed (default 1; the tools/README table is for seed 1)
  --runs N          timed runs of every tool (default 3); runs are interleaved across tools
  --workers LIST    worker counts for exfil-sensor replay (default 1,2)
  --floor-ref REF   floor variant the ratio column and targets use: read | mmap | fastest
                    (default read: the issue's targets are ratios to floor(read))
  --quiet-wait S    before each timed run, wait up to S seconds (default 30) for other processes
                    to use under 0.2 of a core for 1 s; 0 disables (default 5 with --report).
                    Other processes' CPU use is recorded per run either way.
  --slow S          a peer whose first run takes longer than S seconds (default 20) is not
                    repeated at that scale
  --timeout S       kill a run after S seconds (default 120); the tool is then reported as
                    slower than that and not run again, nor at larger scales
                    (tshark needs ~2 minutes at 0.05)
  --replay-args S   extra arguments for every exfil-sensor replay run (space-separated),
                    e.g. a config that turns windows and verdicts off
  --no-peers        do not look for tcpdump, tshark, softflowd, nfpcapd, argus, pmacctd, ndpiReader
  --out DIR         where replay-<scale>.json/.md go (default bench/results)
  -h, --help

environment:
  EXFIL_BENCH_DIR   cache for the compiled tools and captures (default $TMPDIR/exfil-sensor-bench)
  EXFIL_TOOLS_DIR   pcapgen.c and floor.c (default ../shared/tools next to the repository)
  CC                C compiler (default cc)
  EXFIL_BENCH_NO_GNU_TIME=1  force the fallback timer (wall and CPU only, no peak RSS)
`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOOLS_DIR = path.resolve(process.env.EXFIL_TOOLS_DIR ?? path.join(ROOT, '..', 'shared', 'tools'));
const BENCH_DIR = path.resolve(process.env.EXFIL_BENCH_DIR ?? path.join(os.tmpdir(), 'exfil-sensor-bench'));

/** The seed-1 captures documented in shared/tools/README.md. */
const KNOWN_CAPTURES: Record<string, { packets: number; frameBytes: number; fileBytes: number; md5: string }> = {
  '0.05': { packets: 975_574, frameBytes: 723_581_502, fileBytes: 739_190_710, md5: '7480bcf347437df68662a1b31bae8a2c' },
  '1.39': {
    packets: 19_462_078,
    frameBytes: 12_209_554_902,
    fileBytes: 12_520_948_174,
    md5: 'e7d520b2f5df41ea13ac2e5275ebe8a0',
  },
};

const TARGET_FRACTION = 1 / 3;
const TARGET_TEXT = 'target: flows-only replay on 1 worker >= 1/3 of floor packets/s';

// ---------------------------------------------------------------------------------------------
// small helpers

class BenchError extends Error {}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}

function scaleKey(scale: number): string {
  return String(scale);
}

/** An executable by name: PATH first, then the sbin directories a non-root PATH may lack. */
function which(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 64 << 20 });
  if (r.error) throw new BenchError(`${cmd}: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------
// tools and captures

/** Compiles a tool with `cc -O2` into the cache, keyed by the source's hash; reuses it after. */
function buildTool(name: string, libs: string[]): string {
  const src = path.join(TOOLS_DIR, `${name}.c`);
  if (!fs.existsSync(src)) throw new BenchError(`${src} not found (set EXFIL_TOOLS_DIR)`);
  const hash = sha256File(src).slice(0, 12);
  const bin = path.join(BENCH_DIR, 'bin', `${name}-${hash}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const tmp = `${bin}.tmp${process.pid}`;
  log(`building ${name}: ${cc} -O2 -o ${bin} ${src} ${libs.join(' ')}`.trimEnd());
  const r = run(cc, ['-O2', '-o', tmp, src, ...libs]);
  if (r.code !== 0) throw new BenchError(`${cc} failed on ${src}:\n${r.stderr}`);
  fs.renameSync(tmp, bin);
  return bin;
}

export interface CaptureInfo {
  path: string;
  scale: number;
  seed: number;
  file_bytes: number;
  md5: string;
  /** Matches the tools/README table (documented scales) or its own generation record. */
  verified: boolean;
  verified_against: 'tools/README.md' | 'generation record' | 'none';
  generated: boolean;
  warm_read_s: number;
}

interface CaptureMeta {
  scale: number;
  seed: number;
  pcapgen_sha256: string;
  file_bytes: number;
  md5: string;
}

/** Reads the whole file once (this is the page-cache warm-up) and returns its md5. */
async function warmAndHash(file: string): Promise<{ md5: string; bytes: number; seconds: number }> {
  const t0 = performance.now();
  const h = createHash('md5');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { md5: h.digest('hex'), bytes, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Reads the file once more right before a timed run. Needed: the kernel may reclaim page cache
 * between runs (on the VM this was written on, DAMON reclaim had evicted half the capture after
 * a few idle minutes), and every tool must read from memory.
 */
function rewarm(file: string): number {
  const t0 = performance.now();
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
      // discard
    }
  } finally {
    fs.closeSync(fd);
  }
  return (performance.now() - t0) / 1000;
}

async function ensureCapture(pcapgen: string, scale: number, seed: number): Promise<CaptureInfo> {
  const known = seed === 1 ? KNOWN_CAPTURES[scaleKey(scale)] : undefined;
  const base = path.join(BENCH_DIR, `pcapgen-S${seed}-s${scaleKey(scale)}`);
  const file = `${base}.pcap`;
  const metaFile = `${base}.meta.json`;
  const pcapgenSha = sha256File(path.join(TOOLS_DIR, 'pcapgen.c'));

  const check = (md5: string, bytes: number): CaptureInfo['verified_against'] => {
    if (known) return bytes === known.fileBytes && md5 === known.md5 ? 'tools/README.md' : 'none';
    try {
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CaptureMeta;
      const ok = meta.pcapgen_sha256 === pcapgenSha && meta.md5 === md5 && meta.file_bytes === bytes;
      return ok ? 'generation record' : 'none';
    } catch {
      return 'none';
    }
  };

  if (fs.existsSync(file)) {
    const size = fs.statSync(file).size;
    // A size mismatch against the table needs no hashing to reject.
    if (!known || size === known.fileBytes) {
      log(`reading ${file} (warm-up, md5)`);
      const w = await warmAndHash(file);
      const against = check(w.md5, w.bytes);
      if (against !== 'none') {
        return { path: file, scale, seed, file_bytes: w.bytes, md5: w.md5, verified: true, verified_against: against, generated: false, warm_read_s: w.seconds };
      }
      log(`cached ${path.basename(file)} does not match (md5 ${w.md5}); regenerating`);
    } else {
      log(`cached ${path.basename(file)} has ${size} bytes, expected ${known.fileBytes}; regenerating`);
    }
  }

  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const free = os.freemem();
  if (known && known.fileBytes > free) log(`warning: ${known.fileBytes} byte capture, ${free} bytes of memory free: it may not stay cached`);
  const tmp = `${file}.tmp${process.pid}`;
  log(`generating ${file}: pcapgen -s ${scale} -S ${seed}`);
  const t0 = performance.now();
  const r = run(pcapgen, ['-s', String(scale), '-S', String(seed), '-o', tmp]);
  if (r.code !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new BenchError(`pcapgen failed (${r.code}):\n${r.stderr}`);
  }
  fs.renameSync(tmp, file);
  log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s; reading it back (warm-up, md5)`);
  const w = await warmAndHash(file);
  const meta: CaptureMeta = { scale, seed, pcapgen_sha256: pcapgenSha, file_bytes: w.bytes, md5: w.md5 };
  fs.writeFileSync(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  let against = check(w.md5, w.bytes);
  if (known && against === 'none') {
    log(
      `WARNING: ${path.basename(file)} (${w.bytes} bytes, md5 ${w.md5}) differs from the tools/README table ` +
        `(${known.fileBytes} bytes, md5 ${known.md5}): the numbers below are for a different capture`,
    );
  }
  if (!known) against = 'generation record';
  return {
    path: file,
    scale,
    seed,
    file_bytes: w.bytes,
    md5: w.md5,
    verified: against !== 'none',
    verified_against: against,
    generated: true,
    warm_read_s: w.seconds,
  };
}

// ---------------------------------------------------------------------------------------------
// timing one child process

export type Timer = 'gnu-time' | 'proc-cutime';

export interface Sample {
  wall_s: number;
  user_s: number | null;
  sys_s: number | null;
  cpu_s: number | null;
  max_rss_kib: number | null;
  /**
   * CPU seconds the rest of the machine used during this run: all CPUs' busy time (/proc/stat,
   * 1/CLK_TCK resolution) minus the child's and this script's own.
   */
  others_cpu_s: number | null;
  /** Seconds spent waiting for the machine to go quiet before the run. */
  quiet_wait_s: number;
  /** Seconds the page-cache re-read of the capture took just before the run. */
  rewarm_s?: number;
  exit_code: number;
  /** Killed after --timeout seconds. */
  timed_out?: boolean;
  /** What the tool says about itself (floor: packets, bytes, seconds; replay: its log line). */
  reported: Reported;
  /** Only when the run failed. */
  stderr_tail?: string;
}

export interface Reported {
  packets?: number;
  frame_bytes?: number;
  flows?: number;
  /** Replay only: window records and alerts it produced (work beyond flows). */
  windows?: number;
  alerts?: number;
  seconds?: number;
}

function detectTimer(): { timer: Timer; note: string | null } {
  if (process.env.EXFIL_BENCH_NO_GNU_TIME === '1') {
    return { timer: 'proc-cutime', note: 'EXFIL_BENCH_NO_GNU_TIME=1: CPU from /proc/self/stat, no peak RSS' };
  }
  if (fs.existsSync('/usr/bin/time')) {
    const r = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8' });
    if (`${r.stdout}${r.stderr}`.includes('GNU')) return { timer: 'gnu-time', note: null };
  }
  return {
    timer: 'proc-cutime',
    note: 'GNU time (/usr/bin/time) not found: CPU from /proc/self/stat of the waiting parent, peak RSS not measured',
  };
}

/** User and system CPU seconds of this process's waited-for children (Linux), or null. */
function childrenCpu(): { user: number; sys: number } | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after "(comm)": state is field 3 -> index 0; cutime is field 16, cstime 17.
    const cut = Number(fields[13]);
    const cst = Number(fields[14]);
    return { user: cut / CLK_TCK, sys: cst / CLK_TCK };
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine since boot (all CPUs), from /proc/stat. */
function machineBusy(): number | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / CLK_TCK;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until the machine's other work has used under 0.2 of a core for two 0.5 s probes in a
 * row, at most maxS seconds.
 */
async function waitQuiet(maxS: number): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  while (quiet < 2 && (performance.now() - t0) / 1000 < maxS) {
    const a = machineBusy();
    await sleep(500);
    const b = machineBusy();
    if (a === null || b === null) break;
    quiet = (b - a) / 0.5 < 0.2 ? quiet + 1 : 0;
  }
  return (performance.now() - t0) / 1000;
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

const KEEP = 64 << 10;

function timeChild(
  quietWait: number,
  timeoutS: number,
  timer: Timer,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  parse: (out: string, err: string) => Reported,
): Promise<Sample> {
  const timeFile = path.join(BENCH_DIR, `time-${process.pid}.txt`);
  const [exe, argv] =
    timer === 'gnu-time' ? ['/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, '--', cmd, ...args]] : [cmd, args];
  const before = timer === 'proc-cutime' ? childrenCpu() : null;
  const busy0 = machineBusy();
  const self0 = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // Its own process group, so a timeout kills the tool and the time wrapper together.
    const child = spawn(exe, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    const timer_ = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutS * 1000);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < KEEP) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.length > 4 * KEEP) err = err.slice(-KEEP);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer_);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const busy1 = machineBusy();
      const selfCpu = process.cpuUsage(self0);
      const selfS = (selfCpu.user + selfCpu.system) / 1e6;
      let user: number | null = null;
      let sys: number | null = null;
      let rss: number | null = null;
      if (timer === 'gnu-time') {
        try {
          const line = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
          const [, u, s, m] = line.split(/\s+/).map(Number);
          if (Number.isFinite(u) && Number.isFinite(s)) {
            user = u!;
            sys = s!;
          }
          if (Number.isFinite(m)) rss = m!;
        } catch {
          // the tool was killed before time could write: leave n/a
        }
      } else {
        const after = childrenCpu();
        if (before && after) {
          user = after.user - before.user;
          sys = after.sys - before.sys;
        }
      }
      const sample: Sample = {
        wall_s: wall,
        user_s: user,
        sys_s: sys,
        cpu_s: user !== null && sys !== null ? user + sys : null,
        max_rss_kib: rss,
        others_cpu_s:
          busy0 !== null && busy1 !== null && user !== null && sys !== null ? Math.max(0, busy1 - busy0 - user - sys - selfS) : null,
        quiet_wait_s: quietWait,
        exit_code: code ?? 1,
        reported: parse(out, err),
      };
      if (timedOut) {
        sample.timed_out = true;
        sample.exit_code = sample.exit_code === 0 ? 1 : sample.exit_code;
      }
      if (sample.exit_code !== 0) sample.stderr_tail = err.slice(-2000);
      resolve(sample);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// the tools under test

interface ToolSpec {
  id: string;
  label: string;
  kind: 'floor' | 'replay' | 'peer';
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Run before every timed run (e.g. empty an output directory). */
  prepare?: () => void;
  parse: (stdout: string, stderr: string) => Reported;
}

const noReport = (): Reported => ({});

function parseFloor(stdout: string): Reported {
  const m = /packets=(\d+) bytes=(\d+) flows=(\d+).*?seconds=([\d.]+)/.exec(stdout);
  if (!m) return {};
  return { packets: Number(m[1]), frame_bytes: Number(m[2]), flows: Number(m[3]), seconds: Number(m[4]) };
}

/** The replay's pino line `replay finished` on stderr. */
function parseReplay(_stdout: string, stderr: string): Reported {
  for (const line of stderr.split('\n').reverse()) {
    if (!line.includes('replay finished')) continue;
    try {
      const j = JSON.parse(line) as { packets?: number; flows?: number; windows?: number; alerts?: number; seconds?: number };
      const r: Reported = {};
      if (typeof j.packets === 'number') r.packets = j.packets;
      if (typeof j.flows === 'number') r.flows = j.flows;
      if (typeof j.windows === 'number') r.windows = j.windows;
      if (typeof j.alerts === 'number') r.alerts = j.alerts;
      if (typeof j.seconds === 'number') r.seconds = j.seconds;
      return r;
    } catch {
      return {};
    }
  }
  return {};
}

function floorTools(floor: string, file: string): ToolSpec[] {
  return [
    { id: 'floor-mmap', label: 'floor (mmap)', kind: 'floor', cmd: floor, args: [file], parse: parseFloor },
    { id: 'floor-read', label: 'floor -r (read)', kind: 'floor', cmd: floor, args: ['-r', file], parse: parseFloor },
  ];
}

function replayTools(file: string, workers: number[], extra: string[]): ToolSpec[] {
  const bin = path.join(ROOT, 'bin', 'exfil-sensor.js');
  const compiled = path.join(ROOT, 'dist', 'agent', 'main.js');
  if (!fs.existsSync(compiled)) throw new BenchError(`${compiled} is missing: run 'npm run build' first`);
  // Flows only (`--flows-only`: the stage the foundation target is about), then the full
  // pipeline (windows and verdict) with the same worker counts.
  const modes = [
    { id: 'replay', label: 'flows only', args: ['--flows-only'] },
    { id: 'pipeline', label: 'full pipeline', args: [] as string[] },
  ];
  return modes.flatMap((m) =>
    workers.map((w) => ({
      id: `${m.id}-w${w}`,
      label: `exfil-sensor replay, ${m.label}, ${w} worker${w === 1 ? '' : 's'}`,
      kind: 'replay' as const,
      cmd: process.execPath,
      args: [bin, 'replay', file, '--workers', String(w), '--no-progress', ...m.args, ...extra],
      env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'info' },
      parse: parseReplay,
    })),
  );
}

/**
 * Peers from Debian, each run the cheapest way that still reads every packet. They are only
 * timed when installed; this script never installs anything.
 */
function peerTools(file: string): { tools: ToolSpec[]; skipped: { tool: string; reason: string }[] } {
  const outDir = path.join(BENCH_DIR, 'peer-out');
  const fresh = (name: string) => () => {
    const d = path.join(outDir, name);
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  };
  const candidates: { exe: string; label: string; args: string[]; prepare?: () => void }[] = [
    { exe: 'tcpdump', label: 'tcpdump -r -w /dev/null', args: ['-r', file, '-w', '/dev/null'] },
    { exe: 'tshark', label: 'tshark -z conv', args: ['-n', '-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'] },
    { exe: 'softflowd', label: 'softflowd -r', args: ['-r', file, '-n', '127.0.0.1:9'] },
    {
      exe: 'nfpcapd',
      label: 'nfpcapd -r',
      args: ['-r', file, '-w', path.join(outDir, 'nfpcapd')],
      prepare: fresh('nfpcapd'),
    },
    { exe: 'argus', label: 'argus -r', args: ['-r', file, '-w', '/dev/null'] },
    // -r 1: print refresh 1 s (the default 60 s makes it idle ~20 s after the file's end).
    { exe: 'pmacctd', label: 'pmacctd -I (print)', args: ['-I', file, '-P', 'print', '-c', 'src_host,dst_host,src_port,dst_port,proto', '-O', 'csv', '-r', '1'] },
    { exe: 'ndpiReader', label: 'ndpiReader -i', args: ['-i', file, '-q'] },
  ];
  const tools: ToolSpec[] = [];
  const skipped: { tool: string; reason: string }[] = [];
  for (const c of candidates) {
    const p = which(c.exe);
    if (!p) {
      skipped.push({ tool: c.exe, reason: 'not installed' });
      continue;
    }
    const spec: ToolSpec = { id: `peer-${c.exe}`, label: c.label, kind: 'peer', cmd: p, args: c.args, parse: noReport };
    if (c.prepare) spec.prepare = c.prepare;
    tools.push(spec);
  }
  return { tools, skipped };
}

// ---------------------------------------------------------------------------------------------
// one scale

export interface ToolResult {
  id: string;
  label: string;
  kind: ToolSpec['kind'];
  command: string[];
  ok: boolean;
  error?: string;
  runs: number;
  samples: Sample[];
  wall_median_s: number | null;
  wall_min_s: number | null;
  wall_max_s: number | null;
  cpu_median_s: number | null;
  peak_rss_mib: number | null;
  /** The tool's own timing (floor: its loop; replay: the `replay finished` seconds), median. */
  self_median_s: number | null;
  packets_per_s: number | null;
  gbit_per_s: number | null;
  /** median wall / reference floor median wall. */
  x_floor: number | null;
}

export interface ScaleReport {
  schema: 'exfil-sensor/bench-replay/1';
  started: string;
  finished: string;
  host: {
    hostname: string;
    cpu: string;
    cpus: number;
    mem_gib: number;
    kernel: string;
    node: string;
    loadavg_start: number[];
    loadavg_end: number[];
  };
  git: { commit: string | null; dirty: boolean | null };
  build: ReturnType<typeof buildInfo>;
  capture: CaptureInfo & { packets: number; frame_bytes: number; flows_floor: number | null };
  settings: {
    runs: number;
    workers: number[];
    floor_ref: string;
    quiet_wait_s: number;
    timeout_s: number;
    timer: Timer;
    timer_note: string | null;
  };
  results: ToolResult[];
  floor_ref_id: string;
  target: {
    text: string;
    status: 'PASS' | 'MISS' | 'n/a';
    replay_packets_per_s: number | null;
    floor_packets_per_s: number | null;
    fraction_of_floor: number | null;
    /** replay pps / target pps: >= 1 passes. */
    ratio_to_target: number | null;
    line: string;
  };
  skipped: { tool: string; reason: string }[];
  notes: string[];
}

/** The native addon and compiled agent that were measured (other work may rebuild them). */
function buildInfo(): { addon: string; addon_sha256: string | null; addon_mtime: string | null } {
  const addon = path.join(ROOT, 'agent', 'native', 'sensor.linux-x64-gnu.node');
  try {
    return { addon, addon_sha256: sha256File(addon).slice(0, 16), addon_mtime: fs.statSync(addon).mtime.toISOString() };
  } catch {
    return { addon, addon_sha256: null, addon_mtime: null };
  }
}

function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const c = run('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    const s = run('git', ['status', '--porcelain'], { cwd: ROOT });
    return { commit: c.code === 0 ? c.stdout.trim() : null, dirty: s.code === 0 ? s.stdout.trim().length > 0 : null };
  } catch {
    return { commit: null, dirty: null };
  }
}

export interface Options {
  scales: number[];
  report: boolean;
  reportOnly: boolean;
  slow: number;
  seed: number;
  runs: number;
  workers: number[];
  floorRef: 'fastest' | 'mmap' | 'read';
  peers: boolean;
  quietWait: number;
  timeout: number;
  replayArgs: string[];
  out: string;
}

async function benchScale(
  opts: Options,
  scale: number,
  floorBin: string,
  pcapgenBin: string,
  timer: Timer,
  timerNote: string | null,
  /** Peers that timed out at a smaller scale: not run again (id -> why). */
  tooSlow: Map<string, string>,
): Promise<ScaleReport> {
  const started = new Date();
  const loadStart = os.loadavg();
  const buildStart = buildInfo();
  const capture = await ensureCapture(pcapgenBin, scale, opts.seed);
  log(`capture ${capture.path}: ${capture.file_bytes} bytes, md5 ${capture.md5} (${capture.verified ? `verified against ${capture.verified_against}` : 'NOT verified'}); warm read ${capture.warm_read_s.toFixed(2)} s`);

  const notes: string[] = [];
  if (timerNote) notes.push(timerNote);

  const tools = [...floorTools(floorBin, capture.path), ...replayTools(capture.path, opts.workers, opts.replayArgs)];
  let skipped: { tool: string; reason: string }[] = [];
  if (opts.peers) {
    const p = peerTools(capture.path);
    tools.push(...p.tools);
    skipped = p.skipped;
    for (const s of skipped) log(`peer ${s.tool}: skipped (${s.reason})`);
  } else {
    skipped.push({ tool: 'peers', reason: '--no-peers' });
  }
  for (const [id, why] of tooSlow) {
    const i = tools.findIndex((t) => t.id === id);
    if (i < 0) continue;
    skipped.push({ tool: tools[i]!.label, reason: why });
    log(`peer ${tools[i]!.label}: skipped (${why})`);
    tools.splice(i, 1);
  }
  const once = new Set<string>();

  const samples = new Map<string, Sample[]>(tools.map((t) => [t.id, []]));
  const failed = new Map<string, string>();
  // Interleave: run 1 of every tool, then run 2 of every tool, so drift hits all alike.
  for (let r = 1; r <= opts.runs; r++) {
    for (const t of tools) {
      if (failed.has(t.id) || once.has(t.id)) continue;
      t.prepare?.();
      const waited = opts.quietWait > 0 ? await waitQuiet(opts.quietWait) : 0;
      const warm = rewarm(capture.path);
      const s = await timeChild(waited, opts.timeout, timer, t.cmd, t.args, t.env ?? process.env, t.parse);
      s.rewarm_s = warm;
      samples.get(t.id)!.push(s);
      const extra = s.cpu_s !== null ? `, cpu ${s.cpu_s.toFixed(2)} s` : '';
      const rss = s.max_rss_kib !== null ? `, rss ${(s.max_rss_kib / 1024).toFixed(0)} MiB` : '';
      const others = s.others_cpu_s !== null && s.others_cpu_s >= 0.05 ? `, others used ${s.others_cpu_s.toFixed(2)} CPU s` : '';
      log(`run ${r}/${opts.runs} ${t.label}: ${s.wall_s.toFixed(3)} s${extra}${rss}${others}${s.timed_out ? ' TIMED OUT' : s.exit_code !== 0 ? ` EXIT ${s.exit_code}` : ''}`);
      if (t.kind === 'peer' && r === 1 && s.wall_s > opts.slow && opts.runs > 1) {
        once.add(t.id);
        notes.push(`${t.label}: first run took ${s.wall_s.toFixed(1)} s (> --slow ${opts.slow} s), not repeated`);
      }
      if (s.timed_out) {
        tooSlow.set(t.id, `timed out after ${opts.timeout} s at scale ${scale}`);
        failed.set(t.id, `timed out after ${opts.timeout} s`);
      } else if (s.exit_code !== 0) {
        failed.set(t.id, `exit code ${s.exit_code}: ${(s.stderr_tail ?? '').trim().split('\n').slice(-3).join(' | ')}`);
      }
    }
  }

  // Totals: the floor reports packets and caplen bytes itself; check them against the table.
  const floorSample = [...(samples.get('floor-mmap') ?? []), ...(samples.get('floor-read') ?? [])].find(
    (s) => s.exit_code === 0 && s.reported.packets !== undefined,
  );
  if (!floorSample) throw new BenchError(`floor did not run: ${[...failed.values()].join('; ') || 'no output'}`);
  const packets = floorSample.reported.packets!;
  const frameBytes = floorSample.reported.frame_bytes!;
  const known = opts.seed === 1 ? KNOWN_CAPTURES[scaleKey(scale)] : undefined;
  if (known && (packets !== known.packets || frameBytes !== known.frameBytes)) {
    notes.push(`floor counted ${packets} packets / ${frameBytes} frame bytes; tools/README says ${known.packets} / ${known.frameBytes}`);
  }
  // Every replay run must have seen every packet, or its time means nothing.
  for (const t of tools) {
    if (t.kind !== 'replay' || failed.has(t.id)) continue;
    const bad = samples.get(t.id)!.find((s) => s.reported.packets !== packets);
    if (bad) failed.set(t.id, `replay reported ${bad.reported.packets ?? 'no'} packets, floor ${packets}`);
  }

  const results: ToolResult[] = tools.map((t) => {
    const ss = samples.get(t.id)!;
    const err = failed.get(t.id);
    const walls = ss.map((s) => s.wall_s);
    const cpus = ss.map((s) => s.cpu_s).filter((x): x is number => x !== null);
    const rss = ss.map((s) => s.max_rss_kib).filter((x): x is number => x !== null);
    const selfs = ss.map((s) => s.reported.seconds).filter((x): x is number => x !== undefined);
    const ok = err === undefined && ss.length > 0;
    const wallMed = ok ? median(walls) : null;
    const res: ToolResult = {
      id: t.id,
      label: t.label,
      kind: t.kind,
      command: [t.cmd, ...t.args],
      ok,
      runs: ss.length,
      samples: ss,
      wall_median_s: wallMed,
      wall_min_s: ok ? Math.min(...walls) : null,
      wall_max_s: ok ? Math.max(...walls) : null,
      cpu_median_s: ok && cpus.length === ss.length ? median(cpus) : null,
      peak_rss_mib: ok && rss.length > 0 ? Math.max(...rss) / 1024 : null,
      self_median_s: ok && selfs.length > 0 ? median(selfs) : null,
      packets_per_s: wallMed ? packets / wallMed : null,
      gbit_per_s: wallMed ? (frameBytes * 8) / wallMed / 1e9 : null,
      x_floor: null,
    };
    if (err !== undefined) res.error = err;
    return res;
  });

  // Other processes' CPU during the timed runs: more than 5% of a run's wall x cores is worth a note.
  const cores = os.availableParallelism();
  for (const r of results) {
    // /proc/stat ticks are 10 ms: ignore less than 3 ticks.
    const noisy = r.samples.filter((s) => s.others_cpu_s !== null && s.others_cpu_s > Math.max(0.03, 0.05 * s.wall_s * cores));
    if (noisy.length > 0) {
      const worst = Math.max(...noisy.map((s) => s.others_cpu_s! / s.wall_s));
      notes.push(`${r.label}: ${noisy.length} of ${r.samples.length} runs shared the machine (other processes used up to ${worst.toFixed(2)} cores)`);
    }
  }

  const beyond = results.find((r) => r.id.startsWith('replay-') && r.samples.some((s) => (s.reported.windows ?? 0) > 0));
  if (beyond) {
    const s = beyond.samples.find((x) => x.reported.windows !== undefined)!;
    notes.push(
      `replay is not flows-only: it also made ${s.reported.windows} window records and ${s.reported.alerts ?? 0} alerts ` +
        '(--flows-only did not turn that off), so a flows-only replay is at least as fast as shown',
    );
  }
  for (const [id, e] of failed) notes.push(`${tools.find((t) => t.id === id)?.label ?? id} failed: ${e}`);
  const buildEnd = buildInfo();
  if (buildEnd.addon_sha256 !== buildStart.addon_sha256) {
    notes.push(`the native addon changed during the run (${buildStart.addon_sha256} -> ${buildEnd.addon_sha256}): replay runs mix two builds`);
  }
  for (const r of results) {
    if (r.kind !== 'replay' || !r.ok) continue;
    const flows = new Set(r.samples.map((s) => s.reported.flows));
    if (flows.size > 1) notes.push(`${r.label}: flow count differs between runs (${[...flows].join(', ')})`);
  }

  const fm = results.find((r) => r.id === 'floor-mmap');
  const fr = results.find((r) => r.id === 'floor-read');
  let ref: ToolResult | undefined;
  if (opts.floorRef === 'mmap') ref = fm;
  else if (opts.floorRef === 'read') ref = fr;
  else ref = [fm, fr].filter((r): r is ToolResult => !!r && r.ok).sort((a, b) => a.wall_median_s! - b.wall_median_s!)[0];
  if (!ref?.ok || ref.wall_median_s === null) throw new BenchError(`reference floor (${opts.floorRef}) failed: ${ref?.error ?? 'no result'}`);
  for (const r of results) if (r.wall_median_s !== null) r.x_floor = r.wall_median_s / ref.wall_median_s;

  const w1 = results.find((r) => r.id === 'replay-w1');
  const target: ScaleReport['target'] = {
    text: TARGET_TEXT,
    status: 'n/a',
    replay_packets_per_s: w1?.packets_per_s ?? null,
    floor_packets_per_s: ref.packets_per_s,
    fraction_of_floor: null,
    ratio_to_target: null,
    line: '',
  };
  if (w1?.packets_per_s && ref.packets_per_s) {
    const frac = w1.packets_per_s / ref.packets_per_s;
    const ratio = frac / TARGET_FRACTION;
    target.fraction_of_floor = frac;
    target.ratio_to_target = ratio;
    target.status = ratio >= 1 ? 'PASS' : 'MISS';
    const mpps = (x: number) => `${(x / 1e6).toFixed(3)} M`;
    const how =
      ratio >= 1
        ? `${(ratio * 100 - 100).toFixed(0)}% above the target`
        : `${(100 - ratio * 100).toFixed(0)}% below the target: needs ${(1 / ratio).toFixed(2)}x the speed, ${mpps(ref.packets_per_s * TARGET_FRACTION - w1.packets_per_s)} packets/s more`;
    target.line =
      `${TARGET_TEXT}: ${target.status} — ${mpps(w1.packets_per_s)} vs ${mpps(ref.packets_per_s)} packets/s ` +
      `(${ref.label}) = ${frac.toFixed(3)} of floor (target 0.333), ${how}`;
  } else {
    target.line = `${TARGET_TEXT}: n/a (${w1 ? `1-worker replay failed: ${w1.error ?? ''}` : '1 worker not measured'})`;
  }

  return {
    schema: 'exfil-sensor/bench-replay/1',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    host: {
      hostname: os.hostname(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.availableParallelism(),
      mem_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      kernel: os.release(),
      node: process.version,
      loadavg_start: loadStart,
      loadavg_end: os.loadavg(),
    },
    git: gitInfo(),
    build: buildStart,
    capture: { ...capture, packets, frame_bytes: frameBytes, flows_floor: floorSample.reported.flows ?? null },
    settings: { runs: opts.runs, workers: opts.workers, floor_ref: opts.floorRef, quiet_wait_s: opts.quietWait, timeout_s: opts.timeout, timer, timer_note: timerNote },
    results,
    floor_ref_id: ref.id,
    target,
    skipped,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// output

const COLUMNS = ['tool', 'runs', 'wall s (median)', 'spread s (min-max)', 'CPU s', 'peak RSS MiB', 'packets/s', 'Gbit/s', 'x floor', 'self s'];

function rows(rep: ScaleReport): string[][] {
  return rep.results.map((r) => {
    const timedOut = r.samples.some((s) => s.timed_out);
    if (timedOut) {
      const t = rep.settings.timeout_s;
      return [r.label, String(r.runs), `> ${t}`, 'timed out', '', '', `< ${(rep.capture.packets / t / 1e6).toFixed(3)} M`, '', '', ''];
    }
    if (!r.ok) {
      const e = r.error ?? '';
      return [r.label, String(r.runs), 'FAILED', e.length > 48 ? `${e.slice(0, 47)}…` : e, '', '', '', '', '', ''];
    }
    return [
      r.id === rep.floor_ref_id ? `${r.label} [ref]` : r.label,
      String(r.runs),
      fixed(r.wall_median_s, 3),
      `${fixed(r.wall_min_s, 3)}-${fixed(r.wall_max_s, 3)}`,
      fixed(r.cpu_median_s, 2),
      fixed(r.peak_rss_mib, 0),
      r.packets_per_s === null ? 'n/a' : `${(r.packets_per_s / 1e6).toFixed(3)} M`,
      fixed(r.gbit_per_s, 2),
      r.x_floor === null ? 'n/a' : `${r.x_floor.toFixed(2)}x`,
      fixed(r.self_median_s, 3),
    ];
  });
}

function textTable(rep: ScaleReport): string {
  const all = [COLUMNS, ...rows(rep)];
  const widths = COLUMNS.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(rep).map(line)].join('\n');
}

function captureLine(rep: ScaleReport): string {
  const c = rep.capture;
  return (
    `capture: pcapgen -s ${c.scale} -S ${c.seed}, ${c.packets.toLocaleString('en-US')} packets, ` +
    `${c.frame_bytes.toLocaleString('en-US')} frame bytes, ${c.file_bytes.toLocaleString('en-US')} file bytes, md5 ${c.md5}` +
    ` (${c.verified ? `matches ${c.verified_against}` : 'NOT verified'}), page-cache warm`
  );
}

function hostLine(rep: ScaleReport): string {
  const h = rep.host;
  return `host: ${h.cpu}, ${h.cpus} CPUs, ${h.mem_gib} GiB, Linux ${h.kernel}, Node ${h.node}; load ${h.loadavg_start.map((l) => l.toFixed(2)).join('/')} at start`;
}

function markdown(rep: ScaleReport): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const head = `| ${COLUMNS.join(' | ')} |`;
  const align = `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  const body = rows(rep).map((r) => `| ${r.map(esc).join(' | ')} |`);
  const lines = [
    `# Replay benchmark, scale ${rep.capture.scale}`,
    '',
    `${rep.started} · commit ${rep.git.commit?.slice(0, 12) ?? 'unknown'}${rep.git.dirty ? ' (dirty tree)' : ''} · ${rep.settings.runs} runs each, interleaved · timer: ${rep.settings.timer}`,
    '',
    `- ${hostLine(rep)}`,
    `- ${captureLine(rep)}`,
    `- reference floor: ${rep.results.find((r) => r.id === rep.floor_ref_id)?.label} (--floor-ref ${rep.settings.floor_ref})`,
    '',
    head,
    align,
    ...body,
    '',
    `**${rep.target.line}**`,
    '',
  ];
  if (rep.skipped.length > 0) lines.push(`Skipped: ${rep.skipped.map((s) => `${s.tool} (${s.reason})`).join(', ')}.`, '');
  if (rep.notes.length > 0) lines.push('Notes:', '', ...rep.notes.map((n) => `- ${n}`), '');
  lines.push('Columns: see bench/README.md. Raw samples: the .json file next to this one.', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// main

function parseList(name: string, v: string, check: (n: number) => boolean): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !check(x))) throw new BenchError(`--${name}: bad value '${v}'`);
  return xs;
}

function options(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string' },
      report: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      large: { type: 'boolean', default: false },
      slow: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string', default: '1,2' },
      'floor-ref': { type: 'string', default: 'read' },
      'no-peers': { type: 'boolean', default: false },
      'quiet-wait': { type: 'string' },
      timeout: { type: 'string', default: '120' },
      'replay-args': { type: 'string', default: '' },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'results') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new BenchError(`--runs: bad value '${values.runs}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new BenchError(`--seed: bad value '${values.seed}'`);
  const quietWait = Number(values['quiet-wait'] ?? (values.report ? '5' : '30'));
  const slow = Number(values.slow);
  if (!Number.isFinite(slow) || slow <= 0) throw new BenchError(`--slow: bad value '${values.slow}'`);
  const scales = parseList('scale', values.scale ?? (values.report || values['report-only'] ? '0.01,0.05,0.2' : '0.05'), (x) => Number.isFinite(x) && x > 0 && x <= 10);
  if (values.large && !scales.includes(1)) scales.push(1);
  if (!Number.isFinite(quietWait) || quietWait < 0) throw new BenchError(`--quiet-wait: bad value '${values['quiet-wait']}'`);
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new BenchError(`--timeout: bad value '${values.timeout}'`);
  const floorRef = values['floor-ref'];
  if (floorRef !== 'fastest' && floorRef !== 'mmap' && floorRef !== 'read') {
    throw new BenchError(`--floor-ref: expected fastest, mmap or read, got '${floorRef}'`);
  }
  return {
    scales,
    report: values.report || values['report-only'],
    reportOnly: values['report-only'],
    slow,
    seed,
    runs,
    workers: parseList('workers', values.workers, (x) => Number.isInteger(x) && x >= 1 && x <= 64),
    floorRef,
    peers: !values['no-peers'],
    quietWait,
    timeout,
    replayArgs: values['replay-args'].split(/\s+/).filter((a) => a.length > 0),
    out: path.resolve(values.out),
  };
}

async function main(argv: string[]): Promise<number> {
  let opts: Options | null;
  try {
    opts = options(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.reportOnly) {
    const reports: ScaleReport[] = [];
    for (const scale of opts.scales) {
      const f = path.join(opts.out, `replay-${scaleKey(scale)}.json`);
      if (!fs.existsSync(f)) {
        log(`${f} not found: scale ${scale} left out of the report`);
        continue;
      }
      reports.push(JSON.parse(fs.readFileSync(f, 'utf8')) as ScaleReport);
    }
    if (reports.length === 0) {
      process.stderr.write('bench: no replay-<scale>.json to build a report from\n');
      return 1;
    }
    const { files } = writeReport(reports, reports.map(markdown), opts.out);
    process.stdout.write(`wrote ${files.join(', ')}\n`);
    return 0;
  }
  try {
    fs.mkdirSync(BENCH_DIR, { recursive: true });
    const floorBin = buildTool('floor', []);
    const pcapgenBin = buildTool('pcapgen', ['-lm']);
    const { timer, note } = detectTimer();
    if (note) log(note);
    fs.mkdirSync(opts.out, { recursive: true });
    const tooSlow = new Map<string, string>();
    const reports: ScaleReport[] = [];
    const perScaleMd: string[] = [];
    for (const scale of opts.scales) {
      const rep = await benchScale(opts, scale, floorBin, pcapgenBin, timer, note, tooSlow);
      reports.push(rep);
      perScaleMd.push(markdown(rep));
      const base = path.join(opts.out, `replay-${scaleKey(scale)}`);
      const round = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v);
      fs.writeFileSync(`${base}.json`, `${JSON.stringify(rep, round, 2)}\n`);
      fs.writeFileSync(`${base}.md`, markdown(rep));
      process.stdout.write(
        [
          '',
          `replay benchmark, scale ${scale}, ${opts.runs} runs each`,
          hostLine(rep),
          captureLine(rep),
          '',
          textTable(rep),
          '',
          rep.target.line,
          ...rep.skipped.map((s) => `skipped: ${s.tool} (${s.reason})`),
          ...rep.notes.map((n) => `note: ${n}`),
          `wrote ${base}.json and ${base}.md`,
          '',
        ].join('\n'),
      );
    }
    if (opts.report) {
      const { files } = writeReport(reports, perScaleMd, opts.out);
      const t = JSON.parse(fs.readFileSync(path.join(opts.out, 'report.json'), 'utf8')) as { targets: { scale: number | null; target: string; status: string; measured: string; by: string }[] };
      process.stdout.write(
        [
          '',
          'targets (issue 7):',
          ...t.targets.map((x) => `  ${x.status.padEnd(4)}  ${x.scale !== null ? `-s ${x.scale}: ` : ''}${x.target}: ${x.measured}${x.by ? `; ${x.by}` : ''}`),
          `wrote ${files.join(', ')}`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof BenchError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    fs.rmSync(path.join(BENCH_DIR, `time-${process.pid}.txt`), { force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
