/**
 * exfil-sensor command line (SPEC section 9). Exit codes: 0 ok, 2 bad usage or config,
 * 1 runtime failure (including a damaged capture file, after everything before the damage was
 * processed and written).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { replayFiles } from './capture/replay.js';
import { demo } from './demo.js';
import { parseSize } from './config/units.js';
import { SensorError, UsageError } from './errors.js';
import { logger } from './obs/logger.js';
import { ProgressLine } from './obs/progress.js';
import { flowEvent, LineWriter } from './output/eve.js';

const USAGE = `usage:
  exfil-sensor demo                   replay a generated enterprise capture with two exfiltrations
  exfil-sensor replay FILE... [--eve OUT] [--workers N] [--memcap SIZE]
                              [--community-id-seed N] [--community-id-hex] [--no-progress]

  --eve OUT              write EVE JSON lines (flow events) to OUT; '-' is stdout
  --workers N            flow worker threads (default: number of cores, ${os.availableParallelism()})
  --memcap SIZE          flow table memory cap per worker (default "128 MiB")
  --community-id-seed N  Community ID v1 seed, 0..65535 (default 0)
  --community-id-hex     print Community IDs in hex instead of base64
`;

function intOption(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return n;
}

async function replayCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        eve: { type: 'string' },
        workers: { type: 'string' },
        memcap: { type: 'string' },
        'community-id-seed': { type: 'string' },
        'community-id-hex': { type: 'boolean', default: false },
        'no-progress': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (files.length === 0) throw new UsageError('replay needs at least one capture file');
  const workers = intOption('workers', values.workers, 1, 64, os.availableParallelism());
  const seed = intOption('community-id-seed', values['community-id-seed'], 0, 65535, 0);
  let memcap = 128 * 1024 * 1024;
  if (values.memcap !== undefined) {
    try {
      memcap = parseSize(values.memcap);
    } catch (e) {
      throw new UsageError(`--memcap: ${(e as Error).message}`);
    }
  }
  const engineConfig = [`community_id_seed=${seed}`, `memcap_bytes=${memcap}`].join('\n');
  const cid = { base64: !values['community-id-hex'] };
  const eve = values.eve !== undefined ? new LineWriter(values.eve) : null;
  const progress = new ProgressLine(!values['no-progress'] && process.stderr.isTTY === true);
  const log = logger('replay');
  const started = performance.now();
  const summary = await replayFiles(
    files,
    { workers, engineConfig, onProgress: (p) => progress.update(p) },
    (rec) => eve?.write(flowEvent(rec, cid)),
  );
  progress.done();
  await eve?.close();
  const secs = (performance.now() - started) / 1000;
  const nonzero = Object.fromEntries(Object.entries(summary.counters).filter(([, v]) => v !== 0));
  log.info(
    { packets: summary.packets, file_bytes: summary.fileBytes, flows: summary.flows, seconds: Number(secs.toFixed(3)), counters: nonzero },
    'replay finished',
  );
  for (const err of summary.fileErrors) {
    log.error({ code: err.code, file: err.file, offset: err.offset, reason: err.reason }, err.message);
    process.stderr.write(`exfil-sensor: ${err.message}\n`);
  }
  return summary.fileErrors.length > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'replay':
        return await replayCommand(rest);
      case 'demo':
        await demo(os.availableParallelism());
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof SensorError) {
      process.stderr.write(`exfil-sensor: ${e.message}\n`);
      if (e instanceof UsageError) process.stderr.write(USAGE);
      return e.exitCode;
    }
    process.stderr.write(`exfil-sensor: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
