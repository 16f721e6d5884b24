/** Run the real CLI (compiled agent) as a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './corpus.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'exfil-sensor.js'), ...args], {
    encoding: 'utf8',
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
