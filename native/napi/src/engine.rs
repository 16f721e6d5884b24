//! `FlowEngine`: one per worker. JS owns every buffer; Rust reads batches from them and writes
//! records into them. One call per batch, never per packet.

use sensor_core::batch::{drain_records, process_batch, INDEX_ENTRY_SIZE};
use sensor_core::engine::{EngineConfig, FlowEngine};

use crate::class::{this, wrap, Wrappable};
use crate::error::BindingError;
use crate::ffi::*;
use crate::js::{entry, Ctx, RawBuf};

pub struct BindingFlowEngine {
    engine: FlowEngine,
}

impl Wrappable for BindingFlowEngine {
    const TAG: u32 = 0x464c_4f57; // "FLOW"
    const NAME: &'static str = "FlowEngine";
}

/// # Safety
/// `buf` must describe live memory that nothing writes while the returned slice is used. The
/// agent guarantees this for chunks and index regions: a chunk slot is written by the main
/// thread only after every worker has returned it (see `agent/pipeline/slots.ts`).
unsafe fn shared<'a>(buf: RawBuf) -> &'a [u8] {
    // SAFETY: forwarded from this function's contract; `ptr` is non-null and aligned (checked in `typed_array`).
    unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }
}

/// # Safety
/// `buf` must describe live memory with no other reference to it while the slice is used.
unsafe fn exclusive<'a>(buf: RawBuf) -> &'a mut [u8] {
    // SAFETY: forwarded from this function's contract.
    unsafe { std::slice::from_raw_parts_mut(buf.ptr, buf.len) }
}

pub unsafe extern "C" fn constructor(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let text = if ctx.has_arg(0) { ctx.string(0, "config")? } else { String::new() };
            let cfg = EngineConfig::parse(&text).map_err(|m| BindingError::invalid(format!("engine config: {}", m)))?;
            wrap(ctx, BindingFlowEngine { engine: FlowEngine::new(cfg) })?;
            ctx.undefined()
        })
    }
}

/// `process(chunk: Uint8Array, index: Uint8Array, count: number, nowNs: bigint)`
pub unsafe extern "C" fn process(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            let chunk = ctx.typed_array(0, "chunk", UINT8_ARRAY)?;
            let index = ctx.typed_array(1, "index", UINT8_ARRAY)?;
            let count = ctx.u32(2, "count")? as usize;
            let now = ctx.bigint_u64(3, "nowNs")?;
            if count.saturating_mul(INDEX_ENTRY_SIZE) > index.len {
                return Err(BindingError::invalid(format!("count {} exceeds the index ({} bytes)", count, index.len)));
            }
            // SAFETY: both are only read; the slot protocol keeps writers away (see `shared`).
            let (chunk, index) = (shared(chunk), shared(index));
            process_batch(&mut e.engine, chunk, index, count);
            e.engine.advance(now);
            ctx.undefined()
        })
    }
}

/// `advance(nowNs: bigint)`: move packet time on without packets (idle tick, other shards' time).
pub unsafe extern "C" fn advance(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            let now = ctx.bigint_u64(0, "nowNs")?;
            e.engine.advance(now);
            ctx.undefined()
        })
    }
}

/// `flushAll()`: end every flow with reason `shutdown` and close every open window.
pub unsafe extern "C" fn flush_all(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            e.engine.flush_all();
            ctx.undefined()
        })
    }
}

/// `drain(out: Uint8Array): number` bytes of whole records written (flow and window records in
/// the order they were produced; never a partial record).
pub unsafe extern "C" fn drain(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            let out = ctx.typed_array(0, "out", UINT8_ARRAY)?;
            // SAFETY: `out` is the only buffer of this call, owned by the calling thread.
            let n = drain_records(&mut e.engine, exclusive(out));
            ctx.number(n as f64)
        })
    }
}

/// `pending(): number` records waiting to be drained.
pub unsafe extern "C" fn pending(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            ctx.number(e.engine.pending_records() as f64)
        })
    }
}

/// `pendingBytes(): number` bytes `drain` needs to write every pending record (flow and window
/// records differ in size; window records vary with their Community ID list).
pub unsafe extern "C" fn pending_bytes(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            ctx.number(e.engine.pending_bytes() as f64)
        })
    }
}

/// `counterNames(): string` newline-separated, in the order `counters` writes them.
pub unsafe extern "C" fn counter_names(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            let mut names = Vec::new();
            e.engine.visit_counters(&mut |n, _| names.push(n.to_string()));
            ctx.str(&names.join("\n"))
        })
    }
}

/// `counters(out: BigUint64Array): number` of counters written.
pub unsafe extern "C" fn counters(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let e = this::<BindingFlowEngine>(ctx)?;
            let out = ctx.typed_array(0, "out", BIGUINT64_ARRAY)?;
            // SAFETY: `out` is this call's only buffer; alignment to 8 was checked in `typed_array`.
            let bytes = exclusive(out);
            let mut i = 0usize;
            e.engine.visit_counters(&mut |_, v| {
                if let Some(slot) = bytes.get_mut(i * 8..i * 8 + 8) {
                    slot.copy_from_slice(&v.to_le_bytes());
                }
                i += 1;
            });
            ctx.number(i.min(bytes.len() / 8) as f64)
        })
    }
}

pub const METHODS: &[(&str, unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value)] = &[
    ("process\0", process),
    ("advance\0", advance),
    ("flushAll\0", flush_all),
    ("drain\0", drain),
    ("pending\0", pending),
    ("pendingBytes\0", pending_bytes),
    ("counterNames\0", counter_names),
    ("counters\0", counters),
];

#[allow(dead_code)]
fn _assert_ctx(_: &Ctx) {}
