/**
 * Shared test helpers: where the shared corpus lives, JSONL reading, address normalisation and
 * replaying a capture through the real pipeline (native reader, worker pool, engine) into EVE
 * flow events.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayFiles, type ReplaySummary } from '../../agent/capture/replay.js';
import type { FlowRecord } from '../../agent/native/layout.js';
import { flowEvent } from '../../agent/output/eve.js';
import { formatIp } from '../../agent/output/net-format.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO, '../shared');
export const CORPUS = path.join(SHARED, 'corpus');
export const HAVE_CORPUS = existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Parse an IPv4 or IPv6 text address (any valid spelling) into bytes; null if not an address. */
export function parseIp(text: string): Uint8Array | null {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((p) => p >= 0 && p <= 255) ? Uint8Array.from(parts) : null;
  }
  if (!text.includes(':')) return null;
  let head = text;
  let v4tail: number[] = [];
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (m) {
    const v4 = parseIp(m[2] ?? '');
    if (!v4) return null;
    v4tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = (m[1] ?? '').endsWith('::') ? (m[1] ?? '') : (m[1] ?? '').slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = toGroups(halves[0] ?? '');
  const right = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  const fill = 8 - v4tail.length - left.length - right.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...v4tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = (g >> 8) & 0xff;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Canonical text form of an address (so Suricata's zero-padded IPv6 equals RFC 5952 text). */
export function canonicalIp(text: string): string {
  const b = parseIp(text);
  return b ? formatIp(b) : text;
}

export type EveFlow = ReturnType<typeof flowEvent> & {
  src_ip: string;
  dest_ip: string;
  src_port?: number;
  dest_port?: number;
  proto: string;
  community_id: string;
  flow: Record<string, number | string>;
  /** Test-only: wire-length byte sums [to server, to client] (nDPI's byte convention). */
  _wire: [number, number];
};

export interface ReplayResult {
  flows: EveFlow[];
  records: FlowRecord[];
  summary: ReplaySummary;
}

/** Replay one or more captures through the real pipeline and collect EVE flow events. */
export async function replayToEve(
  files: string[],
  opts: { workers?: number; communityIdSeed?: number; base64?: boolean; engineConfig?: string } = {},
): Promise<ReplayResult> {
  const flows: EveFlow[] = [];
  const records: FlowRecord[] = [];
  const engineConfig = [`community_id_seed=${opts.communityIdSeed ?? 0}`, opts.engineConfig ?? ''].join('\n');
  const summary = await replayFiles(files, { workers: opts.workers ?? 1, engineConfig }, (rec) => {
    records.push(rec);
    const ev = flowEvent(rec, { base64: opts.base64 ?? true }) as EveFlow;
    ev._wire = [rec.wireBytesToServer, rec.wireBytesToClient];
    flows.push(ev);
  });
  return { flows, records, summary };
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
