//! Native objects owned by JavaScript objects (`napi_wrap`), with a type tag so a method called
//! with the wrong `this` (e.g. through `Function.prototype.call`) is refused, not misread.

use std::ffi::c_void;
use std::ptr::null_mut;

use crate::error::{BindingError, BindingResult};
use crate::ffi::*;
use crate::js::Ctx;

#[repr(C)]
struct Tagged<T> {
    tag: u32,
    value: T,
}

pub trait Wrappable: Sized {
    /// A distinct number per wrapped type.
    const TAG: u32;
    const NAME: &'static str;
}

unsafe extern "C" fn finalize<T: Wrappable>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        // SAFETY: `data` is the pointer `wrap` leaked from a `Box<Tagged<T>>`; N-API calls the
        // finalizer exactly once, when the JS object is collected.
        drop(unsafe { Box::from_raw(data as *mut Tagged<T>) });
    }
}

/// Attach `value` to `ctx.this` (called from a constructor).
pub fn wrap<T: Wrappable>(ctx: &Ctx, value: T) -> BindingResult<()> {
    let raw = Box::into_raw(Box::new(Tagged { tag: T::TAG, value }));
    // SAFETY: `ctx.this` is the object under construction; `raw` stays valid until `finalize`.
    let status = unsafe { napi_wrap(ctx.env, ctx.this, raw as *mut c_void, Some(finalize::<T>), null_mut(), null_mut()) };
    if status != NAPI_OK {
        // SAFETY: N-API did not take ownership, so we still own `raw`.
        drop(unsafe { Box::from_raw(raw) });
        return Err(BindingError::invalid(format!("{} must be constructed with new", T::NAME)));
    }
    Ok(())
}

/// The native value behind `ctx.this`.
pub fn this<T: Wrappable>(ctx: &Ctx) -> BindingResult<&mut T> {
    let mut p: *mut c_void = null_mut();
    // SAFETY: valid env and out-pointer; a non-wrapped `this` yields an error status.
    let status = unsafe { napi_unwrap(ctx.env, ctx.this, &mut p) };
    if status != NAPI_OK || p.is_null() {
        return Err(BindingError::invalid(format!("method called on an object that is not a {}", T::NAME)));
    }
    // Every object this binding wraps is a `Tagged<_>` whose `u32` tag is at offset 0 (repr(C)).
    // SAFETY: `p` points to a live `Tagged<U>` for some wrapped U; reading its first u32 is valid.
    let tag = unsafe { *(p as *const u32) };
    if tag != T::TAG {
        return Err(BindingError::invalid(format!("method called on an object that is not a {}", T::NAME)));
    }
    // SAFETY: the tag says it is a `Tagged<T>`. JS is single-threaded per isolate and our methods
    // never call back into JS, so no other reference to it exists while this one is used.
    Ok(unsafe { &mut (*(p as *mut Tagged<T>)).value })
}
