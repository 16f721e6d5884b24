/**
 * The native engine's configuration text, rendered from the sensor config: `key=value` lines, as
 * `EngineConfig::parse` in native/core/src/engine.rs reads them (unknown keys are errors there,
 * so only keys the engine knows are written).
 */
import type { SensorConfig, TimeoutClass } from './types.js';

const CLASSES: readonly TimeoutClass[] = ['tcp', 'udp', 'icmp', 'default'];
const STATES = ['new', 'established', 'closed'] as const;

export interface EngineConfigOptions {
  /**
   * Write the window keys (home_net, window_seconds, window_grace_seconds, window_max_groups,
   * window_memcap_bytes). Default true; false for an engine built before it had windows.
   */
  windows?: boolean;
  /** Write `emit_windows=` (the engine emits window records only when a consumer asks). */
  emitWindows?: boolean;
}

export function engineConfigText(cfg: SensorConfig, opts: EngineConfigOptions = {}): string {
  const f = cfg.flow;
  const lines = [
    `# exfil-sensor engine config for sensor ${cfg.sensor_id}`,
    `hash_seed=${f.hash_seed}`,
    `community_id_seed=${cfg.community_id.seed}`,
    `memcap_bytes=${f.memcap_bytes}`,
    `emergency_recovery_pct=${f.emergency_recovery}`,
    `vlan_tracking=${f.vlan_tracking}`,
    `emergency_syn_only=${f.emergency_syn_only}`,
    `recursion_tracking=${f.recursion_tracking}`,
    `udp_tunnel_detection=${f.udp_tunnel_detection}`,
    `icmp_error_flows=${f.icmp_error_flows}`,
    `app_layer=${cfg.app_layer.enabled}`,
    `app_memcap_bytes=${cfg.app_layer.memcap_bytes}`,
    `app_stream_depth=${cfg.app_layer.stream_depth_bytes}`,
  ];
  for (const c of CLASSES) {
    const t = f.timeouts[c];
    for (const s of STATES) lines.push(`timeout.${c}.${s}=${t[`${s}_seconds`]}`);
    for (const s of STATES) lines.push(`emergency_timeout.${c}.${s}=${t[`emergency_${s}_seconds`]}`);
  }
  if (opts.windows ?? true) {
    lines.push(
      `home_net=${cfg.home_net.join(',')}`,
      `window_seconds=${cfg.window.length_seconds}`,
      `window_grace_seconds=${cfg.window.grace_seconds}`,
      `window_max_groups=${cfg.window.max_groups}`,
      `window_memcap_bytes=${cfg.window.memcap_bytes}`,
    );
  }
  if (opts.emitWindows !== undefined) lines.push(`emit_windows=${opts.emitWindows}`);
  return `${lines.join('\n')}\n`;
}
