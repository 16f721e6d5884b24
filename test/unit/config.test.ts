/**
 * The sensor config (SPEC section 7): shipped examples load, every error of a broken file is
 * reported with its exact key path and line, unit strings resolve, home_net replaces the
 * default, and reload refuses restart-only keys. The engine side is in config-engine.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { cidrContains, parseCidr, parseIp } from '../../agent/config/cidr.js';
import { DEFAULT_SENSOR_ID } from '../../agent/config/defaults.js';
import { DEFAULT_CONFIG, loadConfig, parseConfig, type SensorConfig } from '../../agent/config/load.js';
import { diffRestartRequired } from '../../agent/config/reload.js';
import { NON_RELOADABLE_KEYS, SENSOR_CONFIG_SCHEMA, type SchemaNode } from '../../agent/config/schema.js';
import { parseClock } from '../../agent/config/units.js';
import { ConfigError, ErrorCodes } from '../../agent/errors.js';
import { DEFAULT_VERDICT_OPTIONS } from '../../agent/verdict/options.js';

// Not from helpers/corpus.js: that loads the native addon, which config loading must not need.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG_DIR = path.join(REPO, 'config');
const BROKEN = path.join(REPO, 'test/fixtures/config/broken.yaml');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'exfil-config-'));

/** Parse, expecting failure; the issues as [line, path, message]. */
function issuesOf(text: string): [number, string, string][] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).errors.map((i) => [i.line, i.path, i.message]);
  }
  throw new Error('expected a ConfigError');
}

const ok = (text: string): SensorConfig => parseConfig(`sensor_id: t\n${text}`, path.join(tmp, 'inline.yaml'), { availableParallelism: 3 });
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('shipped config examples', () => {
  it.each(['sensor.yaml', 'minimal.yaml', 'site-example.yaml'])('config/%s loads with zero errors', (name) => {
    expect(() => loadConfig(path.join(CONFIG_DIR, name))).not.toThrow();
  });

  it('sensor.yaml sets every key to its default, and so does minimal.yaml by omission', () => {
    for (const name of ['sensor.yaml', 'minimal.yaml']) {
      const cfg = loadConfig(path.join(CONFIG_DIR, name));
      expect(cfg.sensor_id).toBe('sensor-01');
      expect({ ...cfg, sensor_id: DEFAULT_SENSOR_ID }).toEqual(DEFAULT_CONFIG);
    }
  });

  it('every schema key is shown in sensor.yaml or site-example.yaml, and every key is documented', () => {
    const schemaKeys = new Set<string>();
    const undocumented: string[] = [];
    const walkSchema = (n: SchemaNode, p: string): void => {
      if (p && !n.description) undocumented.push(p);
      if (n.properties) {
        for (const [k, c] of Object.entries(n.properties)) walkSchema(c, p ? `${p}.${k}` : k);
      } else if (n.items?.properties) {
        walkSchema(n.items, `${p}[]`);
      } else {
        schemaKeys.add(p);
      }
    };
    walkSchema(SENSOR_CONFIG_SCHEMA, '');
    expect(undocumented).toEqual([]);
    const fileKeys = new Set<string>();
    const walkYaml = (node: unknown, p: string): void => {
      if (isMap(node)) {
        for (const pair of node.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : '?';
          walkYaml(pair.value, p ? `${p}.${k}` : k);
        }
      } else if (isSeq(node) && node.items.some((i) => isMap(i))) {
        for (const item of node.items) walkYaml(item, `${p}[]`);
      } else {
        fileKeys.add(p);
      }
    };
    for (const name of ['sensor.yaml', 'site-example.yaml']) {
      walkYaml(parseDocument(readFileSync(path.join(CONFIG_DIR, name), 'utf8')).contents, '');
    }
    expect([...schemaKeys].filter((k) => !fileKeys.has(k))).toEqual([]);
  });

  it('the verdict section maps exactly onto VerdictOptions and its defaults', () => {
    expect(plain(DEFAULT_CONFIG.verdict)).toEqual(plain(DEFAULT_VERDICT_OPTIONS));
  });

  it('site-example.yaml resolves lists, IPv6, one-off and recurring windows, relative paths', () => {
    const cfg = loadConfig(path.join(CONFIG_DIR, 'site-example.yaml'));
    expect(cfg.home_net).toContain('2001:db8:1000::/48');
    expect(cfg.verdict.maintenance_windows).toEqual([
      { name: 'datacenter-move', hosts: ['10.30.0.0/16'], start: '2025-09-13T18:00:00.000Z', end: '2025-09-14T04:00:00.000Z' },
      { name: 'weekend-patching', hosts: ['10.40.1.0/24', '10.40.2.17/32'], days: [6, 7], start_min: 1320, end_min: 120 },
    ]);
    expect(cfg.verdict.backup_windows[0]).toEqual({
      name: 'nightly-offsite-backup',
      sources: ['10.50.0.10/32', '10.50.0.11/32'],
      destinations: ['203.0.113.0/24', 'backup.example.com'],
      days: [1, 2, 3, 4, 5],
      start_min: 60,
      end_min: 300,
    });
    expect(cfg.verdict.baseline.path).toBe(path.join(CONFIG_DIR, 'state/baseline.sqlite'));
    expect(cfg.collector.cert).toBe(path.join(CONFIG_DIR, 'certs/hq-span-01.pem'));
    expect(cfg.allowlist.map((a) => a.name)).toEqual(['offsite-backup-vendor', 'allowlist[1]']);
    expect(cfg.allowlist[0]).toMatchObject({ src: ['10.50.0.0/24'], port: [443], expires_at: '2026-01-31T00:00:00.000Z' });
    expect(cfg.allowlist[1]).toMatchObject({ port: [80, 443], expires_at: '2025-12-31T23:59:59.000Z' });
    expect(cfg.flow.timeouts.tcp.established_seconds).toBe(3600);
    expect(cfg.flow.timeouts.tcp.new_seconds).toBe(60); // mappings merge with the defaults
    expect(cfg.verdict.usual_ports.http).toEqual([80, 8080]); // lists replace theirs
    expect(cfg.verdict.usual_ports.tls).toEqual(DEFAULT_CONFIG.verdict.usual_ports.tls);
    expect(Object.isFrozen(cfg.verdict.ladder.low)).toBe(true);
  });
});

describe('a broken file reports every error with key path and line', () => {
  it('lists all of them, in file order', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig(BROKEN);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err!.code).toBe('SENSOR_ERR_CONFIG_INVALID');
    expect(err!.exitCode).toBe(2);
    expect(err!.errors.map((e) => [e.line, e.path])).toEqual([
      [5, 'home_net[1]'],
      [6, 'home_net[2]'],
      [7, 'home_net[3]'],
      [9, 'window.length'],
      [12, 'flow.memcap'],
      [13, 'flow.vlan_tracking'],
      [16, 'flow.timeouts.tcp.establisehd'],
      [20, 'verdict.ladder.low[0].min_upload'],
      [22, 'verdict.business_hours.timezone'],
      [26, 'allowlist[0].dest_domain_regex'],
      [29, 'intel.feeds[0].kind'],
      [31, 'transport.spool.segment_size'],
      [33, 'workers'],
    ]);
    const messages = err!.errors.map((e) => e.message);
    expect(messages).toEqual([
      "'192.168.0.0/33': prefix length '33' is out of range for IPv4 (0-32)",
      "'2001:db8::/129': prefix length '129' is out of range for IPv6 (0-128)",
      `'10.1.2.3/8' has host bits set past /8; write the network, "10.0.0.0/8"`,
      `'15 minutes' is not a duration; use a number with ms, s, m, h or d (e.g. "15m")`,
      'must be a string like "128 MiB" (got 128)',
      "must be true or false (got 'yes'); YAML 1.2 booleans are true/false",
      "unknown key 'establisehd' (did you mean 'established'?)",
      `'1 parsec' is not a size; use a number with B, KB, MB, GB, KiB, MiB, GiB or TiB (e.g. "128 MiB")`,
      `'Mars/Olympus' is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`,
      "'(unclosed' is not a valid regular expression: Unterminated group",
      "must be one of c2, tidb, repdb (got 'c3')",
      'must not be larger than transport.spool.max_size (1 MiB)',
      'duplicate key (first at line 32; the last one would win)',
    ]);
    // The message lists every error as file:line: path: message.
    const lines = err!.message.split('\n');
    expect(lines).toHaveLength(13);
    expect(lines[0]).toBe(`${BROKEN}:5: home_net[1]: '192.168.0.0/33': prefix length '33' is out of range for IPv4 (0-32)`);
    expect(lines[12]).toBe(`${BROKEN}:33: workers: duplicate key (first at line 32; the last one would win)`);
  });

  it('reports a missing sensor_id, required keys of list entries, and keys given where none belong', () => {
    expect(issuesOf('window: {length: 5m}\n')).toEqual([[1, 'sensor_id', 'required key is missing']]);
    expect(issuesOf('sensor_id: a\nintel:\n  feeds:\n    - name: x\n      kind: c2\n')).toEqual([[4, 'intel.feeds[0].path', 'required key is missing']]);
    expect(issuesOf('sensor_id: a\nverdict:\n  ladder:\n    low:\n      - { min_ratio: 2, min_upload: 1 MiB, color: red }\n')).toEqual([
      [5, 'verdict.ladder.low[0].color', "unknown key 'color'"],
    ]);
    expect(issuesOf('sensor_id: a\ncapture:\n  promisc: true\n')).toEqual([[3, 'capture.promisc', "unknown key 'promisc' (did you mean 'promiscuous'?)"]]);
  });

  it('reports wrong types, ranges and enums with what was given', () => {
    expect(issuesOf('sensor_id: a\nworkers: 0\ncapture:\n  snaplen: "big"\nlogging:\n  level: loud\nhome_net: 10.0.0.0/8\n')).toEqual([
      [2, 'workers', 'must be >= 1 (got 0)'],
      [4, 'capture.snaplen', "must be an integer (got 'big')"],
      [6, 'logging.level', "must be one of fatal, error, warn, info, debug, trace, silent (got 'loud')"],
      [7, 'home_net', "must be a list (got '10.0.0.0/8')"],
    ]);
    expect(issuesOf('sensor_id: a\nworkers: four\n')).toEqual([[2, 'workers', 'must be "auto" or an integer']]);
    expect(issuesOf('sensor_id: a\nverdict:\n  business_hours:\n    days: [mon, mon]\n')).toEqual([
      [4, 'verdict.business_hours.days', "entries 0 and 1 are the same ('mon')"],
    ]);
  });

  it('reports contradictions between keys at the key to fix', () => {
    const text = [
      'sensor_id: a',
      'window: {length: 1m, grace: 2m}',
      'collector: {url: "https://c.example", cert: a.pem}',
      'verdict:',
      '  ratio_cap: 100',
      '  ladder: {critical: [{min_ratio: 200, min_upload: 1 MiB}]}',
      '  business_hours: {start: "18:00", end: "08:00"}',
      '  maintenance_windows:',
      '    - {name: m, hosts: [10.0.0.1], start: "2025-01-02T00:00:00Z", end: "2025-01-01T00:00:00Z"}',
      '    - {name: n, hosts: [10.0.0.1], start: "22:00", end: "2025-01-01T00:00:00Z"}',
      'allowlist:',
      '  - {reason: r, owner: o}',
      'transport: {retry: {initial_backoff: 2m, max_backoff: 1m}}',
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      [3, 'collector.key', 'mTLS needs both cert and key'],
      [6, 'verdict.ladder.critical[0].min_ratio', 'can never fire: above verdict.ratio_cap (100)'],
      [7, 'verdict.business_hours.end', 'must be after start (18:00)'],
      [9, 'verdict.maintenance_windows[0].end', 'must be after start'],
      [10, 'verdict.maintenance_windows[1].end', 'start and end must both be times of day (recurring) or both timestamps (one-off)'],
      [12, 'allowlist[0]', 'needs at least one of src, dest, dest_domain_regex, port, app_proto (an entry without scope would hide everything)'],
      [13, 'transport.retry.max_backoff', 'must be at least initial_backoff (2m)'],
    ]);
  });

  it('checks regexes against the 200-character limit, timestamps, URLs and listen addresses', () => {
    const long = 'a'.repeat(201);
    expect(issuesOf(`sensor_id: a\nallowlist:\n  - {reason: r, owner: o, dest_domain_regex: "${long}", expires_at: "2025-02-30"}\n`)).toEqual([
      [3, 'allowlist[0].expires_at', "'2025-02-30' is not a calendar date"],
      [3, 'allowlist[0].dest_domain_regex', 'regex is 201 characters long; the limit is 200'],
    ]);
    expect(issuesOf('sensor_id: a\ncollector: {url: "ftp://x"}\nmetrics: {listen: "localhost"}\n')).toEqual([
      [2, 'collector.url', "'ftp://x': the collector URL must be http:// or https://"],
      [3, 'metrics.listen', `'localhost' is not a listen address; use "host:port" (e.g. "127.0.0.1:9187", "[::1]:9187", "0.0.0.0:9187")`],
    ]);
    expect(issuesOf('sensor_id: a\nallowlist: [{reason: r, owner: o, port: 1, expires_at: "2025-06-30T12:00:00"}]\n')).toEqual([
      [2, 'allowlist[0].expires_at', `'2025-06-30T12:00:00' needs a UTC offset ("Z" or "+02:00"): a local time is ambiguous`],
    ]);
  });

  it('reports YAML syntax errors, empty files and non-mappings with a line', () => {
    const [syntax] = issuesOf('sensor_id: a\nhome_net: [10.0.0.0/8\nwindow: {}\n');
    expect(syntax?.[0]).toBeGreaterThanOrEqual(2);
    expect(syntax?.[2]).toMatch(/^YAML: /);
    expect(issuesOf('')).toEqual([[1, '', 'the file is empty; at least sensor_id is required']]);
    expect(issuesOf('- a\n')).toEqual([[1, '', 'the file must be a mapping of keys (got a list)']]);
    expect(issuesOf('sensor_id: a\nflow:\n  memcap: 1 MiB\n  memcap: 2 MiB\n')).toEqual([
      [4, 'flow.memcap', 'duplicate key (first at line 3; the last one would win)'],
    ]);
  });

  it('names the file when it cannot be read', () => {
    const missing = path.join(tmp, 'missing.yaml');
    expect(() => loadConfig(missing)).toThrow(ConfigError);
    expect(() => loadConfig(missing)).toThrow(`${missing}: cannot read the config file: ENOENT`);
  });
});

describe('resolution of unit strings, CIDRs and names', () => {
  it('home_net, when given, replaces the RFC-1918 default', () => {
    expect(DEFAULT_CONFIG.home_net).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    expect(ok('home_net: [100.64.0.0/10, "2001:DB8:0:0::/32", 192.0.2.7, "fd00::1"]\n').home_net).toEqual([
      '100.64.0.0/10',
      '2001:db8::/32',
      '192.0.2.7/32',
      'fd00::1/128',
    ]);
    expect(issuesOf('sensor_id: a\nhome_net: []\n')).toEqual([[2, 'home_net', 'must have at least 1 entry']]);
  });

  it('turns sizes into bytes, durations into seconds, clock times into minutes, day names into numbers', () => {
    const cfg = ok(
      [
        'window: {length: 5m, grace: 0s, memcap: 8 MiB}',
        'flow: {memcap: 64 MiB, timeouts: {udp: {established: 2h}}}',
        'verdict:',
        '  ladder: {low: [{min_ratio: 1.5, min_upload: 500 KB}]}',
        '  business_hours: {start: "07:45", end: "24:00", days: [sat, sun], timezone: utc}',
        '  baseline: {lookback: 14d}',
        '  low_and_slow: {horizon: 36h}',
        '  sustained: 90s',
        'transport: {spool: {max_size: 2 GiB}, retry: {initial_backoff: 100ms}}',
        'workers: auto',
      ].join('\n'),
    );
    expect(cfg.window).toEqual({ length_seconds: 300, grace_seconds: 0, max_groups: 0, memcap_bytes: 8 * 1024 * 1024 });
    expect(cfg.flow.memcap_bytes).toBe(64 * 1024 * 1024);
    expect(cfg.flow.timeouts.udp.established_seconds).toBe(7200);
    expect(cfg.verdict.ladder.low).toEqual([{ min_ratio: 1.5, min_upload_bytes: 500_000 }]);
    expect(cfg.verdict.ladder.critical).toEqual(DEFAULT_VERDICT_OPTIONS.ladder.critical);
    expect(cfg.verdict.business_hours).toEqual({ start_min: 465, end_min: 1440, days: [6, 7], timezone: 'UTC' });
    expect(cfg.verdict.baseline.lookback_days).toBe(14);
    expect(cfg.verdict.low_and_slow.horizon_seconds).toBe(129_600);
    expect(cfg.verdict.sustained_seconds).toBe(90);
    expect(cfg.transport.spool.max_size_bytes).toBe(2 * 1024 ** 3);
    expect(cfg.transport.retry.initial_backoff_seconds).toBe(0.1);
    expect(cfg.workers).toBe(3);
  });

  it('asks for whole seconds or days where the consumer counts in them', () => {
    expect(issuesOf('sensor_id: a\nwindow: {length: 90500ms, grace: 250ms}\nverdict: {baseline: {lookback: 36h}}\n')).toEqual([
      [2, 'window.length', "'90500ms' must be a whole number of seconds"],
      [2, 'window.grace', "'250ms' must be a whole number of seconds"],
      [3, 'verdict.baseline.lookback', `'36h' must be a whole number of days (e.g. "7d")`],
    ]);
  });

  it('parses CIDRs of both families with prefix and host-bit checks', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefix: 8, text: '10.0.0.0/8' });
    expect(parseCidr('::ffff:10.0.0.0/104').text).toBe('::ffff:10.0.0.0/104');
    expect(parseCidr('fe80::/10')).toMatchObject({ family: 6, prefix: 10 });
    expect(parseCidr('0.0.0.0/0').text).toBe('0.0.0.0/0');
    expect(() => parseCidr('10.0.0.0/08')).toThrow(/prefix length '08' is out of range/);
    expect(() => parseCidr('10.0.0.256/24')).toThrow(/is not an IPv4 or IPv6 address/);
    expect(() => parseCidr('fe80::1%eth0')).toThrow(/is not an IPv4 or IPv6 address/);
    expect(parseCidr('fc00::/6').text).toBe('fc00::/6');
    const v6 = parseCidr('2001:db8:1000::/36');
    expect(cidrContains(v6, parseIp('2001:db8:1fff::1')!)).toBe(true);
    expect(cidrContains(v6, parseIp('2001:db8:2000::1')!)).toBe(false);
    expect(cidrContains(parseCidr('172.16.0.0/12'), parseIp('172.31.255.255')!)).toBe(true);
    expect(cidrContains(parseCidr('172.16.0.0/12'), parseIp('172.32.0.0')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), parseIp('::1')!)).toBe(false);
    expect(() => parseCidr('fd00::/7')).toThrow(`'fd00::/7' has host bits set past /7; write the network, "fc00::/7"`);
  });

  it('parses clock times', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('23:59')).toBe(1439);
    expect(() => parseClock('24:00')).toThrow(/not a time of day/);
    expect(parseClock('24:00', true)).toBe(1440);
    expect(() => parseClock('8:00')).toThrow(/use HH:MM/);
  });

  it('takes relative paths from the config file directory', () => {
    const dir = mkdtempSync(path.join(tmp, 'paths-'));
    const file = path.join(dir, 'sensor.yaml');
    writeFileSync(file, 'sensor_id: p\nverdict: {baseline: {path: state/b.sqlite}}\ntransport: {spool: {path: /abs/spool}}\noutputs: {eve: {path: "-"}}\n');
    const cfg = loadConfig(file);
    expect(cfg.verdict.baseline.path).toBe(path.join(dir, 'state/b.sqlite'));
    expect(cfg.transport.spool.path).toBe('/abs/spool');
    expect(cfg.outputs.eve.path).toBe('-');
  });
});

describe('reload', () => {
  it('marks the keys that need a restart in the schema', () => {
    expect(NON_RELOADABLE_KEYS).toEqual(expect.arrayContaining(['sensor_id', 'capture', 'workers', 'flow', 'community_id', 'metrics.listen']));
  });

  it('names each changed key that needs a restart, and only those', () => {
    const old = ok('capture: {interface: eth0}\n');
    const next = ok('capture: {interface: eth1, snaplen: 1500}\nflow: {memcap: 64 MiB}\nverdict: {ladder: {low: []}}\nhome_net: [10.0.0.0/8]\nwindow: {length: 5m}\n');
    expect(diffRestartRequired(old, next)).toEqual(['capture.interface', 'capture.snaplen', 'flow.memcap']);
    expect(diffRestartRequired(old, ok('capture: {interface: eth0}\nallowlist: [{reason: r, owner: o, port: 1}]\n'))).toEqual([]);
  });
});

describe('generated defaults', () => {
  it('the build-time defaults file equals what the schema gives (drift check)', async () => {
    const { computeDefaultConfig } = await import('../../agent/config/defaults.js');
    const { readFileSync, existsSync } = await import('node:fs');
    const file = new URL('../../dist/agent/config/defaults.generated.json', import.meta.url);
    expect(existsSync(file), 'run npm run build:ts').toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(computeDefaultConfig())));
  });
});
