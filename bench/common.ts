/**
 * Helpers shared by the benchmark scripts that came after replay.ts (flood, micro, profile,
 * the report): paths, the tool cache, statistics. Nothing here measures anything.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from dist/bench/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_DIR = path.resolve(process.env.EXFIL_TOOLS_DIR ?? path.join(ROOT, '..', 'shared', 'tools'));
export const BENCH_DIR = path.resolve(process.env.EXFIL_BENCH_DIR ?? path.join(os.tmpdir(), 'exfil-sensor-bench'));
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

export class BenchError extends Error {}

export function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}

/** Least-squares line y = a + b x. */
export function linearFit(xs: number[], ys: number[]): { intercept: number; slope: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const r2 = sxx === 0 || syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { intercept: my - slope * mx, slope, r2 };
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env, maxBuffer: 256 << 20 });
  if (r.error) throw new BenchError(`${cmd}: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Compiles a C file with `cc -O2` into the cache, keyed by the source's hash; reuses it after. */
export function buildC(src: string, libs: string[] = []): string {
  if (!fs.existsSync(src)) throw new BenchError(`${src} not found`);
  const name = path.basename(src, '.c');
  const bin = path.join(BENCH_DIR, 'bin', `${name}-${sha256File(src).slice(0, 12)}`);
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

export function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const c = run('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    const s = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT });
    return { commit: c.code === 0 ? c.stdout.trim() : null, dirty: s.code === 0 ? s.stdout.trim().length > 0 : null };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function hostInfo(): { cpu: string; cpus: number; mem_gib: number; kernel: string; node: string; loadavg: number[] } {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    mem_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Rounds floats for JSON output. */
export function jsonRound(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v;
}

/** VmRSS of a process in KiB from /proc, or null when it is gone. */
export function vmRssKib(pid: number | 'self'): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `rchar` (bytes read through read()/pread() and friends) of a process, or null. */
export function rcharBytes(pid: number): number | null {
  try {
    const m = /rchar:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
