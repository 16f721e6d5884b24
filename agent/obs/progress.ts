/** A one-line progress display for long replays, on a TTY only (packets/s, % done). */
import type { ReplayProgress } from '../capture/replay.js';

export class ProgressLine {
  #enabled: boolean;
  #started = performance.now();
  #last = 0;
  #drawn = false;

  constructor(enabled = process.stderr.isTTY === true) {
    this.#enabled = enabled;
  }

  update(p: ReplayProgress): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 250) return;
    this.#last = now;
    const secs = (now - this.#started) / 1000;
    const pct = p.size > 0 ? ((100 * p.position) / p.size).toFixed(1) : '?';
    const pps = secs > 0 ? Math.round(p.packets / secs).toLocaleString('en-US') : '0';
    const name = p.files > 1 ? `[${p.fileIndex + 1}/${p.files}] ${p.file}` : p.file;
    process.stderr.write(`\r${name}: ${pct}% ${p.packets.toLocaleString('en-US')} packets, ${pps} packets/s   `);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) process.stderr.write('\n');
    this.#drawn = false;
  }
}
