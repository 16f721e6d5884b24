/**
 * A real process appends to a spool and is SIGKILLed mid-write; reopening the spool finds the
 * torn last record, drops it with a log line, and loses nothing that was appended before.
 * Runs the compiled spool (dist/, `npm run build:ts`) in a child process.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, Spool } from '../../agent/transport/spool.js';
import { captureLog, tempDir } from './helpers.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SIZE = 16 * 1024;
const SEGMENT = 64 * 1024 * 1024;

function payload(seq: number): Buffer {
  const b = Buffer.alloc(SIZE, seq % 251);
  b.writeUInt32LE(seq, 0);
  return b;
}

const CHILD = `
import { Spool } from ${JSON.stringify(path.join(REPO, 'dist/agent/transport/spool.js'))};
const dir = process.argv[2];
const s = Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: ${SEGMENT}, writeChunkBytes: 16 });
const b = Buffer.alloc(${SIZE});
for (let seq = s.nextSeq; ; seq++) {
  b.fill(seq % 251);
  b.writeUInt32LE(seq, 0);
  const [got] = s.append([b]);
  if (got % 10 === 0) process.stdout.write(got + '\\n');
}
`;

interface KillRun {
  dir: string;
  /** Highest seq the parent saw reported as appended before the kill (a lower bound). */
  reported: number;
  sizeAtKill: number;
}

async function runAndKill(script: string, after: number): Promise<KillRun> {
  const dir = tempDir('exfil-spool-kill-');
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let reported = 0;
  let killing = false;
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} ${signal}`))));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) reported = Math.max(reported, Number(l));
      // Not at once: the child is between two records right after it reports one. A few ms
      // later it is somewhere in its write loop.
      if (reported >= after && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), 2 + Math.random() * 10);
      }
    });
  });
  const seg = readdirSync(dir).find((f) => f.endsWith('.spool'));
  return { dir, reported, sizeAtKill: seg ? statSync(path.join(dir, seg)).size : 0 };
}

describe('spool writer SIGKILLed mid-write', () => {
  it('reopens with the torn last record detected and dropped, nothing appended before it lost', async () => {
    const script = path.join(tempDir('exfil-spool-child-'), 'writer.mjs');
    writeFileSync(script, CHILD);
    const rec = RECORD_HEADER_BYTES + SIZE;
    let tornSeen = 0;
    let attemptsUsed = 0;
    // Most of the child's time is spent inside a record's 1024 chunked writes, so a kill nearly
    // always tears one; a kill that lands exactly between two records is tried again.
    for (let attempt = 0; attempt < 8 && tornSeen === 0; attempt++) {
      attemptsUsed++;
      const run = await runAndKill(script, 20);
      const torn = run.sizeAtKill % rec !== 0;
      const cap = captureLog();
      const s = Spool.open({ dir: run.dir, maxBytes: 1 << 30, segmentBytes: SEGMENT, log: cap.log });
      const whole = Math.floor(run.sizeAtKill / rec);
      // Every record the child was told about is there; the reopened spool holds exactly the
      // whole records that were on disk.
      expect(whole).toBeGreaterThanOrEqual(run.reported);
      expect(s.recovery.records).toBe(whole);
      expect(s.recovery.truncated).toHaveLength(torn ? 1 : 0);
      const got = s.read(10_000, 1 << 30);
      expect(got.map((r) => r.seq)).toEqual(Array.from({ length: whole }, (_, i) => i + 1));
      for (const r of got) expect(r.payload.equals(payload(r.seq))).toBe(true);
      if (torn) {
        tornSeen++;
        expect(s.recovery.truncated[0]).toMatchObject({ offset: whole * rec, bytes: run.sizeAtKill - whole * rec });
        expect(cap.messages('warn').some((m) => m.includes('torn or corrupt record dropped'))).toBe(true);
        const seg = readdirSync(run.dir).find((f) => f.endsWith('.spool')) as string;
        expect(statSync(path.join(run.dir, seg)).size).toBe(whole * rec);
      }
      // The writer can go on where the good records end.
      expect(s.append([payload(whole + 1)])).toEqual([whole + 1]);
      s.close();
    }
    expect(tornSeen, `no torn record in ${attemptsUsed} kills`).toBe(1);
  });
});
