import { describe, expect, it } from 'vitest';
import { AlertTransport } from '../../agent/transport/transport.js';
import { captureLog, makeAlert, tempDir, testTransportOptions } from './helpers.js';

describe('in-memory queue in front of the spool', () => {
  it('never holds more than queueMax records: when full it writes to the spool, counts, warns once per episode and asks the producer to wait', async () => {
    const cap = captureLog();
    // Nothing listens on port 9 of loopback: every record stays spooled.
    const t = AlertTransport.open(testTransportOptions('http://127.0.0.1:9', tempDir(), { queueMax: 4, log: cap.log, retry: { initialMs: 1000, maxMs: 1000, maxRetryAfterMs: 1000 } }));
    const waits: (Promise<void> | undefined)[] = [];
    let maxQueued = 0;
    for (let i = 0; i < 10; i++) {
      waits.push(t.send(makeAlert(`q${i}`)));
      maxQueued = Math.max(maxQueued, t.stats().queued);
    }
    expect(maxQueued).toBeLessThan(4);
    // Records 4 and 8 filled the queue: the producer was asked to wait there and only there.
    expect(waits.map((w) => w !== undefined)).toEqual([false, false, false, true, false, false, false, true, false, false]);
    expect(t.stats()).toMatchObject({ queue_full: 2, spool_records: 8, queued: 2 });
    await Promise.all(waits);
    expect(cap.messages('warn').filter((m) => m.startsWith('transport queue full'))).toHaveLength(1);
    await t.flush();
    expect(t.stats()).toMatchObject({ queued: 0, spool_records: 10 });
    const r = await t.close({ drainTimeoutMs: 0 });
    expect(r.remaining).toBe(10);
  });
});
