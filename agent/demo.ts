/**
 * `exfil-sensor demo` (npm start): the main job on embedded defaults. It builds the project's
 * deterministic traffic generator (../shared/tools/pcapgen.c) and makes a 5-minute enterprise
 * capture with two exfiltration flows (about 240 MB, cached in the temp folder; far too large
 * to ship in the repository), replays it through the whole pipeline (workers, windows, verdict)
 * and prints the alerts. The collector joins here when it lands.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type SensorConfig } from './config/load.js';
import { evidenceLine } from './evidence/flow-evidence.js';
import { alertSignature } from './output/alert-events.js';
import { runReplay } from './sensor.js';
import { ErrorCodes, SensorError } from './errors.js';

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
  // The demo's own settings: the embedded defaults, plus pcapgen's IPv6 site prefix as home-net.
  const cfg: SensorConfig = {
    ...DEFAULT_CONFIG,
    sensor_id: 'demo-sensor',
    workers,
    home_net: [...DEFAULT_CONFIG.home_net, '2001:db8:1000::/48'],
  };
  const t0 = performance.now();
  const run = await runReplay([pcap], cfg, { eveWindows: 'none' });
  const secs = (performance.now() - t0) / 1000;
  const s = run.summary;
  log(
    `replayed ${s.packets.toLocaleString('en-US')} packets in ${secs.toFixed(2)} s with ${workers} worker(s): ` +
      `${s.flows.toLocaleString('en-US')} flows, ${s.windows.toLocaleString('en-US')} group windows, ${run.alerts.length} alert(s)`,
  );
  log('');
  for (const a of run.alerts) {
    const g = a.aggregate;
    log(`[${a.severity.toUpperCase()}] ${alertSignature(a)}`);
    log(`    ${g.src_ip} -> ${g.dest_ip}:${g.dest_port} ${g.proto}, window ${g.window_start} .. ${g.window_end}`);
    log(
      `    up ${mib(g.total_upload_bytes)} MiB, down ${mib(g.total_download_bytes)} MiB, ${g.flow_count} flow(s); ` +
        `confidence ${a.confidence.toFixed(2)}, risk ${a.risk.composite_score.toFixed(2)} (${a.risk.risk_level}); rules: ${a.rules_fired.join(', ')}`,
    );
    const ev = evidenceLine(a.evidence);
    if (ev) log(`    evidence: ${ev}`);
    for (const n of a.notes) log(`    note: ${n}`);
    log(`    alert id ${a.id}, community_id ${g.largest_flow.community_id}`);
  }
}
