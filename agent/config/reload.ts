/**
 * What a live reload (SIGHUP, file change) may not change. The schema marks those keys
 * `reloadable: false` (NON_RELOADABLE_KEYS); a reload that changes any of them is refused with a
 * message naming each changed key, and the running config stays (SPEC section 7).
 */
import { isDeepStrictEqual } from 'node:util';
import { NON_RELOADABLE_KEYS, SENSOR_CONFIG_SCHEMA, type SchemaNode } from './schema.js';
import { resolvedPath } from './resolve.js';
import type { SensorConfig } from './types.js';

/** Leaf key paths (YAML spelling) under each non-reloadable key, so messages name the exact key. */
const LEAVES: readonly string[] = NON_RELOADABLE_KEYS.flatMap((key) => {
  let node: SchemaNode | undefined = SENSOR_CONFIG_SCHEMA;
  for (const seg of key.split('.')) node = node?.properties?.[seg];
  const out: string[] = [];
  const walk = (n: SchemaNode | undefined, p: string): void => {
    if (n?.properties) for (const [k, c] of Object.entries(n.properties)) walk(c, `${p}.${k}`);
    else out.push(p);
  };
  walk(node, key);
  return out;
});

function get(cfg: unknown, path: string[]): unknown {
  let v = cfg;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** YAML key paths whose change needs a restart (empty: `next` can be applied live). */
export function diffRestartRequired(old: SensorConfig, next: SensorConfig): string[] {
  return LEAVES.filter((key) => {
    const p = resolvedPath(key);
    return !isDeepStrictEqual(get(old, p), get(next, p));
  });
}
