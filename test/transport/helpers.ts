/** Shared bits of the transport tests: temp dirs, a log capture, deterministic payloads. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export function tempDir(prefix = 'exfil-transport-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface LogCapture {
  log: Logger;
  lines: Record<string, unknown>[];
  messages(level?: string): string[];
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export function captureLog(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return {
    log,
    lines,
    messages: (level) => lines.filter((l) => level === undefined || LEVELS[l.level as number] === level).map((l) => String(l.msg)),
  };
}

/** A payload whose bytes are a function of (seq, size): checkable after a crash. */
export function payloadFor(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 31 + i * 7) & 0xff;
  return b;
}
