//! `CaptureReader`: replays a pcap/pcapng file on the main thread. Each `fill` reads the next
//! stretch of the file straight into a JS-owned chunk and writes, per shard, an index of the
//! packets that shard's worker must process. The packets themselves are never copied again.

use std::path::Path;

use sensor_core::batch::{shard_of, write_index_entry, INDEX_ENTRY_SIZE};
use sensor_core::capture::{FileSource, OpenError};
use sensor_core::decode::PacketMeta;

use crate::class::{this, wrap, Wrappable};
use crate::error::{BindingError, BindingResult};
use crate::ffi::*;
use crate::js::entry;

pub struct BindingCaptureReader {
    source: FileSource,
    path: String,
    shards: u32,
    seed: u64,
    vlan_tracking: bool,
    meta: PacketMeta,
}

impl Wrappable for BindingCaptureReader {
    const TAG: u32 = 0x5043_4150; // "PCAP"
    const NAME: &'static str = "CaptureReader";
}

/// `new CaptureReader(path: string, shards: number, shardSeed: bigint, vlanTracking: boolean)`
pub unsafe extern "C" fn constructor(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let path = ctx.string(0, "path")?;
            let shards = ctx.u32(1, "shards")?;
            if shards == 0 || shards > 256 {
                return Err(BindingError::invalid(format!("shards must be 1..256, got {}", shards)));
            }
            let seed = ctx.bigint_u64(2, "shardSeed")?;
            let vlan_tracking = ctx.bool(3, "vlanTracking")?;
            let source = FileSource::open(Path::new(&path)).map_err(|e| open_error(&path, e))?;
            wrap(ctx, BindingCaptureReader { source, path, shards, seed, vlan_tracking, meta: PacketMeta::default() })?;
            ctx.undefined()
        })
    }
}

fn open_error(path: &str, e: OpenError) -> BindingError {
    match e {
        OpenError::Io(io) => BindingError::Failure { code: "SENSOR_ERR_CAPTURE_OPEN", message: format!("{}: {}", path, io) },
        OpenError::File(fe) => BindingError::Failure {
            code: "SENSOR_ERR_CAPTURE_FORMAT",
            message: format!("{}: not a capture file we can read ({} at byte offset {})", path, fe.kind.as_str(), fe.offset),
        },
    }
}

/// `fill(chunk: Uint8Array, index: Uint8Array, counts: Uint32Array)` ->
/// `{packets, bytes, finished, position, maxTsNs, error, errorOffset}`.
/// `index` is split into `counts.length` equal regions, one per shard; `counts[s]` receives the
/// number of entries written to region `s`. Stops early when any region is full.
pub unsafe extern "C" fn fill(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let r = this::<BindingCaptureReader>(ctx)?;
            let chunk = ctx.typed_array(0, "chunk", UINT8_ARRAY)?;
            let index = ctx.typed_array(1, "index", UINT8_ARRAY)?;
            let counts = ctx.typed_array(2, "counts", UINT32_ARRAY)?;
            if counts.len / 4 != r.shards as usize {
                return Err(BindingError::invalid(format!("counts must have {} entries (one per shard)", r.shards)));
            }
            if chunk.overlaps(&index) || chunk.overlaps(&counts) || index.overlaps(&counts) {
                return Err(BindingError::invalid("chunk, index and counts must not share memory"));
            }
            // SAFETY: the three buffers do not overlap (checked above) and the slot protocol
            // guarantees no worker reads this chunk/index while the main thread fills it.
            let chunk = std::slice::from_raw_parts_mut(chunk.ptr, chunk.len);
            // SAFETY: as above.
            let index = std::slice::from_raw_parts_mut(index.ptr, index.len);
            // SAFETY: as above; alignment to 4 was checked in `typed_array`.
            let counts = std::slice::from_raw_parts_mut(counts.ptr as *mut u32, counts.len / 4);
            let shards = r.shards as usize;
            let region = index.len() / shards / INDEX_ENTRY_SIZE * INDEX_ENTRY_SIZE;
            if region < INDEX_ENTRY_SIZE {
                return Err(BindingError::invalid("index is too small for one entry per shard"));
            }
            counts.iter_mut().for_each(|c| *c = 0);
            let (seed, vlan, meta) = (r.seed, r.vlan_tracking, &mut r.meta);
            let mut max_ts = 0u64;
            let out = r.source.fill(chunk, &mut |bytes, p| {
                let frame = match bytes.get(p.offset as usize..(p.offset as usize).saturating_add(p.caplen as usize)) {
                    Some(f) => f,
                    None => &[],
                };
                let s = shard_of(meta, p.linktype as u32, frame, seed, shards as u32, vlan) as usize;
                let n = counts[s] as usize;
                let reg = &mut index[s * region..(s + 1) * region];
                if !write_index_entry(reg, n, &p) {
                    return false;
                }
                counts[s] += 1;
                if p.ts_ns > max_ts {
                    max_ts = p.ts_ns;
                }
                true
            });
            let (err, err_off) = match out.error {
                Some(e) => (ctx.str(e.kind.as_str())?, ctx.number(e.offset as f64)?),
                None => (ctx.null()?, ctx.null()?),
            };
            ctx.object(&[
                ("packets", ctx.number(out.packets as f64)?),
                ("bytes", ctx.number(out.bytes_filled as f64)?),
                ("finished", ctx.boolean(out.finished)?),
                ("position", ctx.number(r.source.position() as f64)?),
                ("maxTsNs", ctx.bigint(max_ts)?),
                ("error", err),
                ("errorOffset", err_off),
            ])
        })
    }
}

/// `size(): number` bytes in the file.
pub unsafe extern "C" fn size(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let r = this::<BindingCaptureReader>(ctx)?;
            ctx.number(r.source.len() as f64)
        })
    }
}

/// `path(): string`
pub unsafe extern "C" fn path(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let r = this::<BindingCaptureReader>(ctx)?;
            ctx.str(&r.path)
        })
    }
}

pub const METHODS: &[(&str, unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value)] =
    &[("fill\0", fill), ("size\0", size), ("path\0", path)];

#[allow(dead_code)]
fn _unused(_: BindingResult<()>) {}
