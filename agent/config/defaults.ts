/**
 * The config the sensor runs on when no file is given: the schema's defaults, resolved.
 * `sensor_id` has no default in a file (it is required there); without a file it is
 * "exfil-sensor". Frozen: copy before changing.
 *
 * Resolving the defaults means compiling the schema (~0.35 s), so the build writes the result
 * once (`gen-defaults.ts` -> `defaults.generated.json` beside the compiled module) and a run
 * reads it; a test checks the file still equals what the schema gives. Without the file (tests
 * importing the TypeScript sources) the defaults are computed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deepFreeze, resolveConfig } from './resolve.js';
import type { SensorConfig } from './types.js';
import { validateRaw } from './validate.js';

export const DEFAULT_SENSOR_ID = 'exfil-sensor';

export const GENERATED_DEFAULTS_FILE = fileURLToPath(new URL('./defaults.generated.json', import.meta.url));

/** The defaults from the schema (slow: compiles it). */
export function computeDefaultConfig(): SensorConfig {
  const raw: Record<string, unknown> = { sensor_id: DEFAULT_SENSOR_ID };
  const issues = validateRaw(raw);
  if (issues.length > 0) throw new Error(`built-in defaults are invalid: ${JSON.stringify(issues)}`);
  return resolveConfig(raw);
}

function build(): SensorConfig {
  if (existsSync(GENERATED_DEFAULTS_FILE)) return JSON.parse(readFileSync(GENERATED_DEFAULTS_FILE, 'utf8')) as SensorConfig;
  return computeDefaultConfig();
}

export const DEFAULT_CONFIG: SensorConfig = deepFreeze(build());
