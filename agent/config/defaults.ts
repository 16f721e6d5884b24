/**
 * The config the sensor runs on when no file is given: the schema's defaults, resolved.
 * `sensor_id` has no default in a file (it is required there); without a file it is
 * "exfil-sensor". Frozen: copy before changing.
 */
import { deepFreeze, resolveConfig } from './resolve.js';
import type { SensorConfig } from './types.js';
import { validateRaw } from './validate.js';

export const DEFAULT_SENSOR_ID = 'exfil-sensor';

function build(): SensorConfig {
  const raw: Record<string, unknown> = { sensor_id: DEFAULT_SENSOR_ID };
  const issues = validateRaw(raw);
  if (issues.length > 0) throw new Error(`built-in defaults are invalid: ${JSON.stringify(issues)}`);
  return deepFreeze(resolveConfig(raw));
}

export const DEFAULT_CONFIG: SensorConfig = build();
