/**
 * `exfil-sensor check-config F` and `replay --config F` as operators and scripts call them
 * (SPEC sections 7 and 9): "F: ok" and exit 0, or every error as `F:LINE: path: message` and
 * exit 2; a replay with a bad config refuses to start; the file's settings reach the engine and
 * the EVE output, and command-line options override them.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { HAVE_TOOLS, pcapgen } from '../helpers/pcapgen.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'exfil-check-config-'));
const BROKEN = path.join(REPO, 'test/fixtures/config/broken.yaml');

/** The 13 problems of broken.yaml, as `line: path` (the message follows). */
const BROKEN_ISSUES = [
  '5: home_net[1]: ',
  '6: home_net[2]: ',
  '7: home_net[3]: ',
  '9: window.length: ',
  '12: flow.memcap: ',
  '13: flow.vlan_tracking: ',
  '16: flow.timeouts.tcp.establisehd: ',
  '20: verdict.ladder.low[0].min_upload: ',
  '22: verdict.business_hours.timezone: ',
  '26: allowlist[0].dest_domain_regex: ',
  '29: intel.feeds[0].kind: ',
  '31: transport.spool.segment_size: ',
  '33: workers: ',
];

function expectBrokenListing(stderr: string): void {
  const lines = stderr.trim().split('\n');
  const listed = lines.filter((l) => l.startsWith(`${BROKEN}:`));
  expect(listed).toHaveLength(BROKEN_ISSUES.length);
  BROKEN_ISSUES.forEach((prefix, i) => expect(listed[i]?.startsWith(`${BROKEN}:${prefix}`)).toBe(true));
  expect(listed[0]).toBe(`${BROKEN}:5: home_net[1]: '192.168.0.0/33': prefix length '33' is out of range for IPv4 (0-32)`);
  expect(listed[9]).toBe(`${BROKEN}:26: allowlist[0].dest_domain_regex: '(unclosed' is not a valid regular expression: Unterminated group`);
}

/** A one-packet capture: Ethernet / IPv4 10.0.0.1:40000 -> 192.0.2.1:53 / UDP, 4 bytes of payload. */
function writeUdpPcap(file: string): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const payload = Buffer.from('ping');
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(53, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + udp.length + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from([10, 0, 0, 1]).copy(ip, 12);
  Buffer.from([192, 0, 2, 1]).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = Buffer.from([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00]);
  const frame = Buffer.concat([eth, ip, udp, payload]);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1_700_000_000, 0);
  rec.writeUInt32LE(frame.length, 8);
  rec.writeUInt32LE(frame.length, 12);
  writeFileSync(file, Buffer.concat([header, rec, frame]));
}

describe('exfil-sensor check-config', () => {
  it.each(['sensor.yaml', 'minimal.yaml', 'site-example.yaml'])('prints "F: ok" and exits 0 for config/%s', (name) => {
    const file = path.join(REPO, 'config', name);
    const r = runCli(['check-config', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${file}: ok\n`);
    expect(r.code).toBe(0);
  });

  it('prints every error as F:LINE: path: message and exits 2', () => {
    const r = runCli(['check-config', BROKEN]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectBrokenListing(r.stderr);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`exfil-sensor: ${BROKEN}: 13 configuration errors`);
  });

  it('exits 2 naming the file when it cannot be read, and on bad usage', () => {
    const missing = path.join(tmp, 'missing.yaml');
    const r = runCli(['check-config', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${missing}: cannot read the config file: ENOENT`);
    expect(runCli(['check-config']).code).toBe(2);
    expect(runCli(['check-config', 'a.yaml', 'b.yaml']).stderr).toMatch(/check-config needs exactly one config file/);
  });
});

describe('exfil-sensor replay --config', () => {
  const pcap = path.join(tmp, 'udp.pcap');
  writeUdpPcap(pcap);
  const eveOf = (stdout: string): Record<string, unknown>[] =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('refuses to start on a bad config, listing every error, and exits 2', () => {
    const r = runCli(['replay', pcap, '--config', BROKEN, '--eve', '-']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectBrokenListing(r.stderr);
    expect(r.stderr).toContain(`exfil-sensor: ${BROKEN}: 13 configuration errors; not starting`);
  });

  it('uses the file for the engine and Community ID settings; command-line options override it', () => {
    const cfg = path.join(tmp, 'hex.yaml');
    writeFileSync(cfg, 'sensor_id: cli-test\nworkers: 1\ncommunity_id: {seed: 7, base64: false}\nflow: {memcap: 4 MiB}\n');
    const fromFile = runCli(['replay', pcap, '--config', cfg, '--eve', '-']);
    expect(fromFile.code).toBe(0);
    const viaFlags = runCli(['replay', pcap, '--eve', '-', '--community-id-seed', '7', '--community-id-hex']);
    const [a] = eveOf(fromFile.stdout);
    const [b] = eveOf(viaFlags.stdout);
    expect(a?.community_id).toMatch(/^1:[0-9a-f]{40}$/);
    expect(a?.community_id).toBe(b?.community_id);
    expect(a).toMatchObject({ src_ip: '10.0.0.1', dest_ip: '192.0.2.1', dest_port: 53, proto: 'UDP' });
    // The flag wins over the file's seed.
    const seed0 = runCli(['replay', pcap, '--config', cfg, '--eve', '-', '--community-id-seed', '0']);
    const hex0 = runCli(['replay', pcap, '--eve', '-', '--community-id-hex']);
    expect(eveOf(seed0.stdout)[0]?.community_id).toBe(eveOf(hex0.stdout)[0]?.community_id);
    expect(eveOf(seed0.stdout)[0]?.community_id).not.toBe(a?.community_id);
  });

  it('writes EVE to the file named by outputs.eve.path (relative to the config) unless --eve is given', () => {
    const dir = mkdtempSync(path.join(tmp, 'out-'));
    const cfg = path.join(dir, 'sensor.yaml');
    writeFileSync(cfg, 'sensor_id: cli-test\noutputs: {eve: {path: eve.json}}\n');
    const r = runCli(['replay', pcap, '--config', cfg]);
    expect(r.code).toBe(0);
    expect(eveOf(readFileSync(path.join(dir, 'eve.json'), 'utf8'))).toHaveLength(1);
    const dir2 = mkdtempSync(path.join(tmp, 'out-'));
    const cfg2 = path.join(dir2, 'sensor.yaml');
    writeFileSync(cfg2, 'sensor_id: cli-test\noutputs: {eve: {path: eve.json}}\n');
    const flag = runCli(['replay', pcap, '--config', cfg2, '--eve', '-']);
    expect(eveOf(flag.stdout)).toHaveLength(1);
    expect(existsSync(path.join(dir2, 'eve.json'))).toBe(false);
  });

  it('runs on every shipped example config', () => {
    for (const name of ['sensor.yaml', 'minimal.yaml', 'site-example.yaml']) {
      // A copy in a temp folder: relative state paths (the baseline) resolve beside it, and the
      // examples' absolute output paths are overridden on the command line.
      const dir = mkdtempSync(path.join(tmp, 'shipped-'));
      const cfg = path.join(dir, name);
      copyFileSync(path.join(REPO, 'config', name), cfg);
      const r = runCli(['replay', pcap, '--config', cfg, '--eve', '-', '--alerts', path.join(dir, 'alerts.json')]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(eveOf(r.stdout)).toHaveLength(1);
    }
  });

  it('fails cleanly, naming the path, when an output cannot be written', () => {
    const r = runCli(['replay', pcap, '--alerts', path.join(tmp, 'no-such-dir', 'alerts.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exfil-sensor: cannot write .*no-such-dir\/alerts\.json: ENOENT/);
  });
});

describe.skipIf(!HAVE_TOOLS)('exfil-sensor replay --config: app_layer', () => {
  const eve = (stdout: string): Record<string, unknown>[] =>
    stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('app_layer.enabled false: flows without app_proto and no evidence events; true (default): both', { timeout: 120_000 }, () => {
    const cap = pcapgen(0.01);
    const off = path.join(tmp, 'app-off.yaml');
    writeFileSync(off, 'sensor_id: cli-test\nworkers: 1\napp_layer: {enabled: false}\n');
    const withOff = eve(runCli(['replay', cap.pcap, '--config', off, '--eve', '-']).stdout);
    const withOn = eve(runCli(['replay', cap.pcap, '--eve', '-', '--workers', '1']).stdout);
    const kinds = (events: Record<string, unknown>[]): Set<unknown> => new Set(events.map((e) => e.event_type));
    expect(kinds(withOn)).toContain('tls');
    expect(kinds(withOff)).not.toContain('tls');
    expect(kinds(withOff)).not.toContain('dns');
    const flowsOff = withOff.filter((e) => e.event_type === 'flow');
    expect(flowsOff.length).toBe(withOn.filter((e) => e.event_type === 'flow').length);
    expect(flowsOff.every((e) => e.app_proto === undefined || e.app_proto === null)).toBe(true);
  });
});
