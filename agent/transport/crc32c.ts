/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every spool record.
 *
 * Why a library and not a hand-written table: `npm view` shows `crc-32` (SheetJS, Apache-2.0,
 * pure JS, no dependencies, slice-by-16 tables, ships `crc32c.js` next to the IEEE variant) as a
 * maintained pure-JS implementation; `fast-crc32c`/`sse4_crc32` and `@node-rs/crc32` need a
 * native addon (install scripts or per-platform binaries) for what is a few KB of JS. The
 * library returns a signed int32; this wrapper gives the unsigned value the record header stores.
 * Known vectors (RFC 3720 B.4, "123456789" -> 0xE3069283) are checked in test/transport.
 */
import { createRequire } from 'node:module';

interface Crc32cModule {
  buf(data: Uint8Array, seed?: number): number;
}

// CommonJS module without an `exports` map; load it the CommonJS way for a stable shape.
const CRC32C = createRequire(import.meta.url)('crc-32/crc32c.js') as Crc32cModule;

/** CRC-32C of `data`; pass a previous result as `seed` to continue over more bytes. */
export function crc32c(data: Uint8Array, seed = 0): number {
  return CRC32C.buf(data, seed) >>> 0;
}
