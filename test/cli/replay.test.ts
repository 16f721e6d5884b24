/**
 * The `replay` command as users and scripts call it (SPEC section 9): EVE output, exit codes,
 * and what a damaged capture produces (everything before the damage, then an error naming the
 * file and the byte offset).
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'exfil-cli-'));
const sample = path.join(CORPUS, 'suricata-verify/pcaps/app-layer-template.pcap');

describe('exfil-sensor replay', () => {
  it('prints usage and exits 2 without arguments or with an unknown option', () => {
    expect(runCli([]).code).toBe(2);
    const r = runCli(['replay', '--bogus', 'x.pcap']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bogus/);
    expect(runCli(['replay']).stderr).toMatch(/at least one capture file/);
    expect(runCli(['replay', 'x.pcap', '--workers', '0']).code).toBe(2);
    expect(runCli(['replay', 'x.pcap', '--memcap', '12 parsecs']).stderr).toMatch(/--memcap: '12 parsecs' is not a size/);
  });

  it('exits 1 naming the file when it cannot be opened or is not a capture', () => {
    const missing = runCli(['replay', path.join(tmp, 'nope.pcap')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.pcap');
    const junk = path.join(tmp, 'junk.pcap');
    writeFileSync(junk, 'this is not a capture file at all, just text\n');
    const r = runCli(['replay', junk]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/junk\.pcap: not a capture file we can read \(bad_magic at byte offset 0\)/);
  });

  it.skipIf(!HAVE_CORPUS)('writes EVE flow events to stdout with Suricata field names', () => {
    const r = runCli(['replay', sample, '--eve', '-', '--workers', '2']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toHaveLength(1);
    const e = events[0] as Record<string, any>;
    expect(e).toMatchObject({
      event_type: 'flow',
      src_ip: '10.16.1.11',
      src_port: 58352,
      dest_ip: '10.16.1.10',
      dest_port: 7000,
      proto: 'TCP',
      flow: { pkts_toserver: 6, pkts_toclient: 4, bytes_toserver: 419, bytes_toclient: 277, state: 'closed', reason: 'shutdown' },
    });
    expect(e.community_id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    expect(e.flow.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/);
    const hex = runCli(['replay', sample, '--eve', '-', '--community-id-hex', '--community-id-seed', '7']);
    expect(JSON.parse(hex.stdout).community_id).toMatch(/^1:[0-9a-f]{40}$/);
  });

  it.skipIf(!HAVE_CORPUS)('emits what it could from a truncated capture, then fails naming file and offset', () => {
    const cut = path.join(tmp, 'cut.pcap');
    copyFileSync(sample, cut);
    const size = statSync(cut).size;
    truncateSync(cut, size - 20);
    const out = path.join(tmp, 'cut.eve.json');
    const r = runCli(['replay', cut, '--eve', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cut\.pcap: truncated record at byte offset \d+/);
    const offset = Number(/offset (\d+)/.exec(r.stderr)?.[1]);
    expect(offset).toBeGreaterThan(24);
    expect(offset).toBeLessThan(size - 20);
    const flows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { flow: { pkts_toserver: number; pkts_toclient: number } });
    expect(flows).toHaveLength(1);
    // Every packet before the damaged record was counted: 10 in the whole file, 1 lost.
    expect(flows[0]!.flow.pkts_toserver + flows[0]!.flow.pkts_toclient).toBe(9);
  });

  it.skipIf(!HAVE_CORPUS)('replays several files in order as one capture', () => {
    const r = runCli(['replay', sample, sample, '--eve', '-']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n');
    expect(events.length).toBeGreaterThanOrEqual(1);
  });
});
