/**
 * The engine config text rendered from the sensor config: every key it writes is one the native
 * engine accepts (`EngineConfig::parse` rejects unknown keys), at defaults and at the extremes
 * the schema allows.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineConfigText } from '../../agent/config/engine-config.js';
import { DEFAULT_CONFIG, loadConfig, parseConfig, type SensorConfig } from '../../agent/config/load.js';
import { native } from '../../agent/native/index.js';
import { REPO } from '../helpers/corpus.js';

const CONFIG_DIR = path.join(REPO, 'config');
const ok = (text: string): SensorConfig => parseConfig(`sensor_id: t\n${text}`, 'inline.yaml');

describe('engine config text', () => {
  // The window keys arrive with the engine's window work; an older build rejects them.
  const engineHasWindows = ((): boolean => {
    try {
      new native.FlowEngine('memcap_bytes=1048576\nwindow_seconds=900');
      return true;
    } catch {
      return false;
    }
  })();

  it('is accepted by the native engine, for the defaults and for a tuned file', () => {
    for (const cfg of [DEFAULT_CONFIG, loadConfig(path.join(CONFIG_DIR, 'site-example.yaml'))]) {
      expect(() => new native.FlowEngine(engineConfigText(cfg, { windows: false }))).not.toThrow();
      if (engineHasWindows) {
        expect(() => new native.FlowEngine(engineConfigText(cfg))).not.toThrow();
        expect(() => new native.FlowEngine(engineConfigText(cfg, { emitWindows: true }))).not.toThrow();
      }
    }
  });

  it.runIf(engineHasWindows)('the engine accepts the extreme values the schema allows', () => {
    const cfg = ok('window: {length: 5s, grace: 7d, max_groups: 1000000000, memcap: 64 GiB}\nflow: {memcap: 1 MiB, timeouts: {tcp: {established: 7d}}}\n');
    expect(() => new native.FlowEngine(engineConfigText(cfg))).not.toThrow();
    const big = ok('window: {length: 7d}\nflow: {hash_seed: 9007199254740991}\ncommunity_id: {seed: 65535}\n');
    expect(() => new native.FlowEngine(engineConfigText(big))).not.toThrow();
    for (const app of ['{memcap: 64 GiB, stream_depth: 1 MiB}', '{memcap: 1 MiB, stream_depth: 1 KiB, enabled: false}']) {
      const text = engineConfigText(ok(`app_layer: ${app}\n`));
      expect(() => new native.FlowEngine(text), app).not.toThrow();
    }
    expect(engineConfigText(ok('app_layer: {stream_depth: 1 KiB, enabled: false}\n'))).toContain('app_layer=false\napp_memcap_bytes=67108864\napp_stream_depth=1024\n');
  });

  it('renders every flow setting and, on request, the window keys', () => {
    const cfg = ok('flow: {memcap: 1 MiB, emergency_syn_only: true, timeouts: {icmp: {emergency_new: 3s}}}\ncommunity_id: {seed: 9}\nhome_net: [10.0.0.0/8, "fd00::/8"]\n');
    const text = engineConfigText(cfg, { windows: false });
    expect(text).toContain('memcap_bytes=1048576\n');
    expect(text).toContain('emergency_syn_only=true\n');
    expect(text).toContain('community_id_seed=9\n');
    expect(text).toContain('emergency_timeout.icmp.new=3\n');
    expect(text).toContain('timeout.tcp.established=600\n');
    expect(text.split('\n').filter((l) => /^(emergency_)?timeout\./.test(l))).toHaveLength(24);
    expect(text).not.toContain('home_net=');
    expect(engineConfigText(cfg)).toContain(
      'home_net=10.0.0.0/8,fd00::/8\nwindow_seconds=900\nwindow_grace_seconds=60\nwindow_max_groups=0\nwindow_memcap_bytes=67108864\n',
    );
    expect(engineConfigText(cfg)).not.toContain('emit_windows');
    expect(engineConfigText(cfg, { emitWindows: true })).toMatch(/\nemit_windows=true\n$/);
  });
});

