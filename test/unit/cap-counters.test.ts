/**
 * Cap counters: every counter the cap table names is one the native engine reports (a renamed
 * counter would silently never warn), and a non-zero one is logged as a CAP_HIT warning that
 * names the config key to raise; zero counters stay quiet.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { engineConfigText } from '../../agent/config/engine-config.js';
import { DEFAULT_CONFIG } from '../../agent/config/load.js';
import { native } from '../../agent/native/index.js';
import { CAP_COUNTERS, warnCapsHit } from '../../agent/obs/cap-counters.js';

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('cap counters', () => {
  it('names only counters the native engine reports', () => {
    const engine = new native.FlowEngine(engineConfigText(DEFAULT_CONFIG));
    const reported = new Set(engine.counterNames().split('\n'));
    for (const name of Object.keys(CAP_COUNTERS)) expect(reported, name).toContain(name);
  });

  it('warns once per non-zero cap counter with the key to raise; zero and other counters stay quiet', async () => {
    const { log, lines } = capture();
    const hit = warnCapsHit(log, { app_memcap_hits: 3, emergency_entered: 0, packets: 100, window_memcap_hits: 1 });
    await new Promise((r) => setImmediate(r));
    expect(hit).toEqual(['window_memcap_hits', 'app_memcap_hits']);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => [l.code, l.counter, l.count, l.config_key, l.level])).toEqual([
      ['CAP_HIT', 'window_memcap_hits', 1, 'window.memcap', 40],
      ['CAP_HIT', 'app_memcap_hits', 3, 'app_layer.memcap', 40],
    ]);
    expect(String(lines[1]?.msg)).toMatch(/new sessions were not inspected.*raise app_layer\.memcap/);
  });
});
