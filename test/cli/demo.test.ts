/**
 * `exfil-sensor demo` (npm start) with real processes (compiled programs: `npm run build` first):
 * the demo starts a local collector, replays a generated capture into it, prints the alerts, what
 * the collector stored and the page URL. The capture is the demo's own generator with a 60 s span
 * (`--duration 60`, cached in the temp folder) so the test stays quick.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCapture } from '../../agent/demo.js';
import { REPO } from '../helpers/corpus.js';
import { HAVE_TOOLS } from '../helpers/pcapgen.js';

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

interface Demo {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout matches. */
  waitFor: (re: RegExp) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function startDemo(args: string[]): Demo {
  const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'exfil-sensor.js'), 'demo', '--duration', '60', '--workers', '2', ...args], {
    env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = re.exec(out);
        if (m) return resolve(m);
        waiters.push({ re, resolve });
        void exited.then((code) => reject(new Error(`demo exited (${code}) before printing ${re}:\n${out}\n${err}`)));
      }),
  };
}

/** The ids of the alerts the demo printed ("alert id <hex>, community_id ..."). */
function printedIds(stdout: string): string[] {
  return [...stdout.matchAll(/^ {4}alert id ([0-9a-f]{64}),/gm)].map((m) => m[1]!);
}

async function refused(url: string): Promise<boolean> {
  try {
    await request(`${url}/api/v1/alerts`, { headersTimeout: 2000 });
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ECONNREFUSED';
  }
}

describe.skipIf(!HAVE_TOOLS)('exfil-sensor demo into a local collector', () => {
  beforeAll(() => {
    // Generate (or reuse) the 60 s capture outside the timed runs.
    demoCapture(() => undefined, 60);
  }, 300_000);

  it('--exit: prints the alerts, the stored count read back from the collector, the page URL, then stops the collector; a taken port falls back to a free one', async () => {
    // Hold a port so the demo's first choice is taken.
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const d = startDemo(['--exit', '--port', String(taken)]);
      const code = await d.exited;
      const out = d.stdout();
      expect(code, `${out}\n${d.stderr()}`).toBe(0);
      expect(out).toContain(`port ${taken} is not available`);
      const ids = printedIds(out);
      expect(ids.length).toBeGreaterThan(0);
      expect(out).toMatch(/^\[(CRITICAL|HIGH|MEDIUM|LOW)\] Data exfiltration/m);
      const summary = /^collector: sent (\d+) alert\(s\), stored (\d+) \(every sent id found\), duplicates (\d+),/m.exec(out);
      expect(summary, out).not.toBeNull();
      expect(Number(summary![1])).toBe(ids.length);
      expect(Number(summary![2])).toBe(ids.length);
      expect(Number(summary![3])).toBe(0);
      const page = /^web page: (http:\/\/127\.0\.0\.1:(\d+))\/#token=(\S+)$/m.exec(out);
      expect(page, out).not.toBeNull();
      expect(Number(page![2])).not.toBe(taken);
      expect(out).toMatch(/^collector stopped$/m);
      // The collector child is gone.
      expect(await refused(page![1]!)).toBe(true);
    } finally {
      blocker.close();
    }
  }, 300_000);

  it('--keep: the collector serves the page and the stored alerts until SIGINT, which stops it cleanly', async () => {
    const d = startDemo(['--keep', '--port', '0']);
    const page = await d.waitFor(/^web page: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)$/m);
    await d.waitFor(/Ctrl-C stops it/);
    const [url, token] = [page[1]!, page[2]!];
    const ids = printedIds(d.stdout());
    expect(ids.length).toBeGreaterThan(0);

    // Ask the collector ourselves: exactly the printed alerts are stored.
    const r = await request(`${url}/api/v1/alerts?page=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.statusCode).toBe(200);
    const body = (await r.body.json()) as { total: number; alerts: { id: string; sensor_id: string }[] };
    expect(body.total).toBe(ids.length);
    expect(body.alerts.map((a) => a.id).sort()).toEqual([...ids].sort());
    const html = await request(`${url}/`);
    expect(html.statusCode).toBe(200);
    expect(await html.body.text()).toMatch(/<html/i);

    d.proc.kill('SIGINT');
    expect(await d.exited, d.stderr()).toBe(0);
    expect(d.stdout()).toMatch(/^collector stopped$/m);
    expect(await refused(url)).toBe(true);
  }, 300_000);

  it('SIGTERM while the collector child is still starting stops that child too', async () => {
    const d = startDemo(['--exit', '--port', '0']);
    // The collector child appears (parent = the demo) before it prints that it is ready; signal
    // the demo as soon as the child exists. (A child still starting would usually also die of
    // EPIPE once it prints into the dead demo's pipe; the demo now stops it explicitly, which
    // also covers a child that printed everything just before the signal.)
    const childOf = (ppid: number): number | null => {
      for (const e of readdirSync('/proc')) {
        if (!/^\d+$/.test(e)) continue;
        try {
          const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
          if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('exfil-collector.js')) return Number(e);
        } catch {
          // gone meanwhile
        }
      }
      return null;
    };
    let child: number | null = null;
    for (let i = 0; i < 20_000 && child === null && d.proc.exitCode === null; i++) {
      child = childOf(d.proc.pid!);
      if (child === null) await new Promise((r) => setTimeout(r, 2));
    }
    expect(child).not.toBeNull();
    d.proc.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(130);
    const alive = (): boolean => existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z ');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(), `collector child ${child} still running after the demo got SIGTERM`).toBe(false);
  }, 300_000);

  it('SIGTERM during the replay stops the collector, removes the demo folder and exits 130', async () => {
    const d = startDemo(['--exit', '--port', '0']);
    const started = await d.waitFor(/^local collector (http:\/\/\S+) \(pid \d+, SQLite in (\S+)\/collector\)$/m);
    d.proc.kill('SIGTERM');
    expect(await d.exited, d.stderr()).toBe(130);
    expect(d.stdout()).not.toMatch(/^web page:/m);
    expect(existsSync(started[2]!)).toBe(false);
    // The collector child stops on its own SIGTERM; give it the moment it takes to close.
    for (let i = 0; i < 50 && !(await refused(started[1]!)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await refused(started[1]!)).toBe(true);
  }, 300_000);
});
