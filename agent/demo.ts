/**
 * `exfil-sensor demo` (npm start): the main job on embedded defaults. It builds the project's
 * deterministic traffic generator (../shared/tools/pcapgen.c) and makes a 5-minute enterprise
 * capture with two exfiltration flows (about 240 MB, cached in the temp folder; far too large
 * to ship in the repository), replays it through the whole pipeline and prints what the sensor
 * saw: the flows that uploaded the most. Later stages (windows and alerts, the collector) hook
 * in here as they land.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayFiles } from './capture/replay.js';
import { ErrorCodes, SensorError } from './errors.js';
import type { FlowRecord } from './native/layout.js';
import { formatIp, protoName } from './output/net-format.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

/** Where the shared tools are: EXFIL_SHARED_DIR, else ../shared beside the checkout. */
function sharedDir(): string {
  return process.env.EXFIL_SHARED_DIR ?? path.resolve(repo, '../shared');
}

export function demoCapture(log: (s: string) => void): string {
  const src = path.join(sharedDir(), 'tools', 'pcapgen.c');
  if (!existsSync(src)) {
    throw new SensorError(ErrorCodes.CAPTURE_OPEN, `demo needs the traffic generator at ${src} (set EXFIL_SHARED_DIR to the folder holding tools/pcapgen.c)`);
  }
  const dir = path.join(os.tmpdir(), 'exfil-sensor-demo');
  mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'pcapgen');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    log(`building ${src}`);
    execFileSync('cc', ['-O2', '-o', bin, src, '-lm'], { stdio: 'inherit' });
  }
  const pcap = path.join(dir, 'demo.pcap');
  const stamp = path.join(dir, 'demo.done');
  if (!existsSync(stamp) || !existsSync(pcap) || readFileSync(stamp, 'utf8') !== String(statSync(pcap).size)) {
    log(`generating the demo capture (pcapgen -s 0.002 -d 300 -S 1) into ${pcap}`);
    execFileSync(bin, ['-s', '0.002', '-d', '300', '-S', '1', '-o', pcap, '-t', path.join(dir, 'demo.truth.csv')], { stdio: 'ignore' });
    writeFileSync(stamp, String(statSync(pcap).size));
  }
  return pcap;
}

function mib(n: number): string {
  return (n / 1_048_576).toFixed(1);
}

export async function demo(workers: number): Promise<void> {
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
  const pcap = demoCapture(log);
  const flows: FlowRecord[] = [];
  const t0 = performance.now();
  const summary = await replayFiles([pcap], { workers }, (r) => {
    flows.push(r);
  });
  const secs = (performance.now() - t0) / 1000;
  log(`replayed ${summary.packets.toLocaleString('en-US')} packets in ${secs.toFixed(2)} s with ${workers} worker(s): ${summary.flows.toLocaleString('en-US')} flows`);
  log('');
  log('largest uploads (client -> server):');
  const top = [...flows].sort((a, b) => b.bytesToServer - a.bytesToServer).slice(0, 8);
  for (const r of top) {
    const ratio = r.bytesToClient > 0 ? (r.bytesToServer / r.bytesToClient).toFixed(1) : 'inf';
    log(
      `  ${formatIp(r.src)}:${r.srcPort} -> ${formatIp(r.dst)}:${r.dstPort} ${protoName(r.proto)}  ` +
        `up ${mib(r.bytesToServer)} MiB, down ${mib(r.bytesToClient)} MiB, ratio ${ratio}`,
    );
  }
}
