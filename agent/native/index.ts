/**
 * The only module that loads the native addon. It finds the `.node` file built by
 * `napi build` (`agent/native/sensor.<platform>-<arch>[-gnu|-musl].node`, or the path in
 * `EXFIL_SENSOR_NATIVE_PATH`), checks the layout version against `layout.ts`, and re-exports
 * typed handles. napi-rs would generate this loader from napi-derive metadata; we have no
 * napi-derive (no crate registry), so it is written by hand and kept small.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, SensorError } from '../errors.js';
import { LAYOUT_VERSION } from './layout.js';

export interface NativeFlowEngine {
  process(chunk: Uint8Array, index: Uint8Array, count: number, nowNs: bigint): void;
  advance(nowNs: bigint): void;
  flushAll(): void;
  drain(out: Uint8Array): number;
  pending(): number;
  /** Bytes `drain` needs to take every pending record. */
  pendingBytes(): number;
  counterNames(): string;
  counters(out: BigUint64Array): number;
}

export interface FillResult {
  packets: number;
  bytes: number;
  finished: boolean;
  position: number;
  maxTsNs: bigint;
  error: string | null;
  errorOffset: number | null;
}

export interface NativeCaptureReader {
  fill(chunk: Uint8Array, index: Uint8Array, counts: Uint32Array): FillResult;
  size(): number;
  path(): string;
}

interface Addon {
  layoutVersion(): number;
  capabilities(): string;
  communityId(src: Uint8Array, dst: Uint8Array, proto: number, srcPort: number, dstPort: number, seed: number, base64: boolean): string;
  FlowEngine: new (config?: string) => NativeFlowEngine;
  CaptureReader: new (path: string, shards: number, shardSeed: bigint, vlanTracking: boolean) => NativeCaptureReader;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function candidates(): string[] {
  const fromEnv = process.env.EXFIL_SENSOR_NATIVE_PATH;
  const base = `sensor.${process.platform}-${process.arch}`;
  // Compiled JS lives in dist/agent/native; the addon is built into agent/native.
  const dirs = [here, path.resolve(here, '../../../agent/native')];
  const names = [`${base}-gnu.node`, `${base}-musl.node`, `${base}.node`];
  const list = dirs.flatMap((d) => names.map((n) => path.join(d, n)));
  return fromEnv ? [fromEnv, ...list] : list;
}

function load(): Addon {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const file of candidates()) {
    if (!existsSync(file)) continue;
    try {
      const addon = require(file) as Addon;
      const v = addon.layoutVersion();
      if (v !== LAYOUT_VERSION) {
        throw new SensorError(
          ErrorCodes.NATIVE_LAYOUT,
          `${file}: native layout version ${v} does not match the agent's ${LAYOUT_VERSION}; rebuild with 'npm run build:native'`,
        );
      }
      return addon;
    } catch (e) {
      if (e instanceof SensorError) throw e;
      errors.push(`${file}: ${(e as Error).message}`);
    }
  }
  throw new SensorError(
    ErrorCodes.NATIVE_LOAD,
    `native addon not found or not loadable; run 'npm run build:native'. Tried: ${errors.length ? errors.join('; ') : candidates().join(', ')}`,
  );
}

const addon = load();

export const native = {
  layoutVersion: (): number => addon.layoutVersion(),
  capabilities: (): string[] => addon.capabilities().split(','),
  communityId: addon.communityId,
  FlowEngine: addon.FlowEngine,
  CaptureReader: addon.CaptureReader,
};
