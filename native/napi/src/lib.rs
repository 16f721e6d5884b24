//! sensor_napi: the thin N-API binding over `sensor_core`.
//!
//! There is no `napi` crate here (no crate registry), so the handful of `napi_*` functions are
//! declared in `ffi.rs` and resolve against the `node` binary at load time. This crate holds all
//! of the project's `unsafe`; each block says why it is sound. `@napi-rs/cli` drives the build.
//!
//! Exports: `layoutVersion()`, `capabilities()`, classes `FlowEngine` and `CaptureReader`.

mod class;
mod engine;
mod error;
mod ffi;
mod js;
mod reader;

use std::ffi::c_char;
use std::ptr::null_mut;

use ffi::*;
use js::entry;

type Method = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

fn method(name: &'static str, f: Method) -> napi_property_descriptor {
    napi_property_descriptor {
        utf8name: name.as_ptr() as *const c_char,
        name: null_mut(),
        method: Some(f),
        getter: None,
        setter: None,
        value: null_mut(),
        attributes: NAPI_DEFAULT_METHOD,
        data: null_mut(),
    }
}

unsafe extern "C" fn layout_version(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe { entry(env, info, |ctx| ctx.number(sensor_core::batch::LAYOUT_VERSION as f64)) }
}

/// `communityId(src: Uint8Array, dst: Uint8Array, proto, srcPort, dstPort, seed, base64): string`
/// The same function the engine uses per flow, for tuple lookups (pivots, tests).
unsafe extern "C" fn community_id(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe {
        entry(env, info, |ctx| {
            let src = ctx.typed_array(0, "src", ffi::UINT8_ARRAY)?;
            let dst = ctx.typed_array(1, "dst", ffi::UINT8_ARRAY)?;
            let proto = ctx.u32(2, "proto")?;
            let sport = ctx.u32(3, "srcPort")?;
            let dport = ctx.u32(4, "dstPort")?;
            let seed = ctx.u32(5, "seed")?;
            let base64 = ctx.bool(6, "base64")?;
            if proto > 255 || sport > 65535 || dport > 65535 || seed > 65535 {
                return Err(error::BindingError::invalid("proto must be 0..255; ports and seed 0..65535"));
            }
            if !matches!((src.len, dst.len), (4, 4) | (16, 16)) {
                return Err(error::BindingError::invalid("src and dst must both be 4 (IPv4) or 16 (IPv6) bytes"));
            }
            // SAFETY: read-only views of this call's arguments; nothing writes them meanwhile.
            let (s, d) = (std::slice::from_raw_parts(src.ptr, src.len), std::slice::from_raw_parts(dst.ptr, dst.len));
            let p = proto as u8;
            let input = sensor_core::community_id::CommunityIdInput {
                src: s,
                dst: d,
                proto: p,
                src_port: sport as u16,
                dst_port: dport as u16,
                has_ports: sensor_core::community_id::proto_has_ports(p),
            };
            let digest = sensor_core::community_id::community_id_v1(seed as u16, &input);
            ctx.str(&sensor_core::community_id::format(&digest, base64))
        })
    }
}

unsafe extern "C" fn capabilities(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by N-API with this callback's env and info.
    unsafe { entry(env, info, |ctx| ctx.str("replay:pcap,replay:pcapng,flows,community_id,windows")) }
}

/// # Safety
/// `methods` names must be NUL-terminated; `env`/`exports` come from module registration.
unsafe fn define_class(env: napi_env, exports: napi_value, name: &'static str, ctor: Method, methods: &[(&'static str, Method)]) -> bool {
    let props: Vec<napi_property_descriptor> = methods.iter().map(|(n, f)| method(n, *f)).collect();
    let mut class = null_mut();
    // SAFETY: `name` is NUL-terminated, `props` outlives the call, `class` is a valid out-pointer.
    let ok = unsafe { napi_define_class(env, name.as_ptr() as *const c_char, NAPI_AUTO_LENGTH, Some(ctor), null_mut(), props.len(), props.as_ptr(), &mut class) } == NAPI_OK;
    // SAFETY: `exports` is the module object, `class` the constructor just defined.
    ok && unsafe { napi_set_named_property(env, exports, name.as_ptr() as *const c_char, class) } == NAPI_OK
}

/// Module entry point, found by Node's `process.dlopen` for N-API modules.
///
/// # Safety
/// Called once by Node with a valid env and the module's exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let fns = [
        method("layoutVersion\0", layout_version),
        method("capabilities\0", capabilities),
        method("communityId\0", community_id),
    ];
    // SAFETY: `fns` outlives the call; names are NUL-terminated literals.
    unsafe { napi_define_properties(env, exports, fns.len(), fns.as_ptr()) };
    // SAFETY: forwarded registration arguments; method tables hold NUL-terminated names.
    unsafe {
        define_class(env, exports, "FlowEngine\0", engine::constructor, engine::METHODS);
        define_class(env, exports, "CaptureReader\0", reader::constructor, reader::METHODS);
    }
    exports
}
