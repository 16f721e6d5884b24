/**
 * Builds ../shared/tools/pcapgen.c once and generates deterministic captures into a cache
 * folder outside the repo (EXFIL_TEST_CACHE, default <tmpdir>/exfil-sensor-test), reusing a
 * capture whose size matches what pcapgen reports for the same arguments.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED } from './corpus.js';

export const CACHE = process.env.EXFIL_TEST_CACHE ?? path.join(os.tmpdir(), 'exfil-sensor-test');
export const HAVE_TOOLS = existsSync(path.join(SHARED, 'tools', 'pcapgen.c'));

function buildTool(name: string, extra: string[] = []): string {
  mkdirSync(CACHE, { recursive: true });
  const bin = path.join(CACHE, name);
  const src = path.join(SHARED, 'tools', `${name}.c`);
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', bin, src, ...extra], { stdio: 'inherit' });
  }
  return bin;
}

export interface Capture {
  pcap: string;
  truth: string;
}

/** `pcapgen -s <scale> -S <seed>`: returns the capture and its truth CSV. */
export function pcapgen(scale: number, seed = 1): Capture {
  const bin = buildTool('pcapgen', ['-lm']);
  const base = path.join(CACHE, `pcapgen-s${scale}-S${seed}`);
  const pcap = `${base}.pcap`;
  const truth = `${base}.truth.csv`;
  const stamp = `${base}.done`;
  if (!existsSync(stamp) || !existsSync(pcap) || Number(readFileSync(stamp, 'utf8')) !== statSync(pcap).size) {
    execFileSync(bin, ['-s', String(scale), '-S', String(seed), '-o', pcap, '-t', truth], { stdio: 'ignore' });
    writeFileSync(stamp, String(statSync(pcap).size));
  }
  return { pcap, truth };
}

export interface TruthFlow {
  id: number;
  kind: string;
  proto: number;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  vlan: number;
  first_ts: number;
  last_ts: number;
  pkts_toserver: number;
  bytes_toserver_l2: number;
  bytes_toserver_l3: number;
  pkts_toclient: number;
  bytes_toclient_l2: number;
  bytes_toclient_l3: number;
  end: string;
  server_name: string;
}

export function readTruth(file: string): TruthFlow[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = (header ?? '').split(',');
  return lines.map((line) => {
    const v = line.split(',');
    const row: Record<string, string | number> = {};
    cols.forEach((c, i) => {
      const x = v[i] ?? '';
      row[c] = ['kind', 'src_ip', 'dest_ip', 'end', 'server_name'].includes(c) ? x : Number(x);
    });
    return row as unknown as TruthFlow;
  });
}
