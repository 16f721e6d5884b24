/**
 * Raw (validated, defaults filled) config -> SensorConfig. Generic over the schema: a value whose
 * schema node has a `unit` is converted by value-kinds.ts and stored under its key plus the unit
 * suffix; everything else is copied. Lists are converted item by item.
 */
import os from 'node:os';
import path from 'node:path';
import { SENSOR_CONFIG_SCHEMA, type SchemaNode } from './schema.js';
import type { SensorConfig } from './types.js';
import { convertUnit, suffixOf, type ConvertContext } from './value-kinds.js';

function walk(node: SchemaNode, value: unknown, ctx: ConvertContext): { suffix: string; value: unknown } {
  let v = value;
  if (Array.isArray(v) && node.items) {
    const items = node.items;
    v = v.map((item) => walk(items, item, ctx).value);
  } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && node.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const sub = node.properties[k];
      if (!sub) continue; // cannot happen after validation (additionalProperties: false)
      const r = walk(sub, child, ctx);
      out[k + r.suffix] = r.value;
    }
    v = out;
  }
  return node.unit ? convertUnit(node.unit, v, ctx) : { suffix: '', value: v };
}

export interface ResolveOptions {
  /** The config file, so relative paths are taken from its directory; null keeps them as written. */
  file?: string | null;
  availableParallelism?: number;
}

/** Convert a raw config that passed `validateRaw` (which also filled in the defaults). */
export function resolveConfig(raw: Record<string, unknown>, opts: ResolveOptions = {}): SensorConfig {
  const ctx: ConvertContext = {
    baseDir: opts.file ? path.dirname(path.resolve(opts.file)) : null,
    availableParallelism: opts.availableParallelism ?? os.availableParallelism(),
  };
  const cfg = walk(SENSOR_CONFIG_SCHEMA, raw, ctx).value as SensorConfig;
  cfg.allowlist.forEach((e, i) => {
    e.name ??= `allowlist[${i}]`;
  });
  return cfg;
}

/**
 * The resolved key path of a YAML key path (`flow.memcap` -> `flow.memcap_bytes`), following
 * the schema's unit suffixes. Used to compare resolved configs key by key (reload.ts).
 */
export function resolvedPath(yamlPath: string): string[] {
  const out: string[] = [];
  let node: SchemaNode | undefined = SENSOR_CONFIG_SCHEMA;
  for (const seg of yamlPath.split('.')) {
    node = node?.properties?.[seg];
    out.push(node?.unit ? seg + suffixOf(node.unit) : seg);
  }
  return out;
}

export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}
