/**
 * Deterministic alert ids (SPEC section 4): the same (sensor, detection, group, window) always
 * gives the same id, so replays and retries never duplicate an alert at the collector.
 */
import { createHash } from 'node:crypto';
import type { ExfilAlert, WindowAggregate } from './types.js';

/** `src|dest|port|proto|app_proto` (`-` for a null app_proto): the per-window group key. */
export function groupKey(a: Pick<WindowAggregate, 'src_ip' | 'dest_ip' | 'dest_port' | 'proto' | 'app_proto'>): string {
  return `${a.src_ip}|${a.dest_ip}|${a.dest_port}|${a.proto}|${a.app_proto ?? '-'}`;
}

/**
 * Lowercase hex SHA-256 over `sensor_id`, detection kind, group key and window start (ns,
 * decimal), separated by U+001F so no field can run into the next.
 */
export function alertId(
  sensorId: string,
  detection: ExfilAlert['detection'],
  key: string,
  windowStartNs: bigint,
): string {
  return createHash('sha256')
    .update([sensorId, detection, key, windowStartNs.toString()].join('\u001f'))
    .digest('hex');
}
