//! Reading arguments and building return values. Every raw N-API call of the binding goes
//! through here or `lib.rs`, each with its safety argument.

use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use crate::error::{throw, BindingError, BindingResult};
use crate::ffi::*;

const MAX_ARGS: usize = 8;

/// One call's environment, `this` and arguments.
pub struct Ctx {
    pub env: napi_env,
    pub this: napi_value,
    args: [napi_value; MAX_ARGS],
    argc: usize,
}

fn check(status: napi_status, what: &str) -> BindingResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(BindingError::invalid(format!("{} (napi status {})", what, status)))
    }
}

/// A typed array's memory, as a raw range. Turning it into a slice is the caller's `unsafe`.
#[derive(Clone, Copy)]
pub struct RawBuf {
    pub ptr: *mut u8,
    pub len: usize,
}

impl RawBuf {
    fn range(&self) -> (usize, usize) {
        (self.ptr as usize, self.ptr as usize + self.len)
    }
    /// True when the two buffers share any byte (a `&mut` over one and a `&` over the other would alias).
    pub fn overlaps(&self, other: &RawBuf) -> bool {
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        self.len > 0 && other.len > 0 && a0 < b1 && b0 < a1
    }
}

impl Ctx {
    /// # Safety
    /// `env` and `info` must be the values N-API passed to the current callback.
    pub unsafe fn new(env: napi_env, info: napi_callback_info) -> BindingResult<Ctx> {
        let mut argc = MAX_ARGS;
        let mut args = [null_mut(); MAX_ARGS];
        let mut this = null_mut();
        // SAFETY: argv has room for `argc` values; the out-pointers are valid locals.
        check(unsafe { napi_get_cb_info(env, info, &mut argc, args.as_mut_ptr(), &mut this, null_mut()) }, "napi_get_cb_info failed")?;
        Ok(Ctx { env, this, args, argc: argc.min(MAX_ARGS) })
    }

    fn arg(&self, i: usize, name: &str) -> BindingResult<napi_value> {
        if i < self.argc {
            Ok(self.args[i])
        } else {
            Err(BindingError::invalid(format!("missing argument {} ({})", i, name)))
        }
    }

    pub fn has_arg(&self, i: usize) -> bool {
        if i >= self.argc {
            return false;
        }
        let mut t = 0;
        // SAFETY: the value comes from this callback's argv.
        let s = unsafe { napi_typeof(self.env, self.args[i], &mut t) };
        s == NAPI_OK && t != NAPI_UNDEFINED
    }

    /// A typed array argument of the given `napi_typedarray_type`, as raw memory.
    pub fn typed_array(&self, i: usize, name: &str, want: i32) -> BindingResult<RawBuf> {
        let v = self.arg(i, name)?;
        let mut is = false;
        // SAFETY: `v` is a live argument value; `is` is a valid out-pointer.
        check(unsafe { napi_is_typedarray(self.env, v, &mut is) }, "napi_is_typedarray failed")?;
        if !is {
            return Err(BindingError::invalid(format!("{} must be a typed array", name)));
        }
        let mut kind = -1;
        let mut len = 0usize;
        let mut data: *mut c_void = null_mut();
        // SAFETY: `v` is a typed array (checked above); the optional out-pointers may be null.
        check(
            unsafe { napi_get_typedarray_info(self.env, v, &mut kind, &mut len, &mut data, null_mut(), null_mut()) },
            "napi_get_typedarray_info failed",
        )?;
        if kind != want {
            return Err(BindingError::invalid(format!("{} has the wrong element type ({}; want {})", name, kind, want)));
        }
        let elem = match want {
            UINT8_ARRAY => 1,
            UINT32_ARRAY => 4,
            FLOAT64_ARRAY | BIGUINT64_ARRAY => 8,
            _ => 1,
        };
        if data.is_null() && len > 0 {
            return Err(BindingError::invalid(format!("{} has no backing store", name)));
        }
        let ptr = if data.is_null() { std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8 } else { data as *mut u8 };
        if (ptr as usize) % elem != 0 {
            return Err(BindingError::invalid(format!("{} is not aligned to its element size", name)));
        }
        Ok(RawBuf { ptr, len: len * elem })
    }

    pub fn string(&self, i: usize, name: &str) -> BindingResult<String> {
        let v = self.arg(i, name)?;
        let mut t = 0;
        // SAFETY: live argument value, valid out-pointer.
        check(unsafe { napi_typeof(self.env, v, &mut t) }, "napi_typeof failed")?;
        if t != NAPI_STRING {
            return Err(BindingError::invalid(format!("{} must be a string", name)));
        }
        let mut len = 0usize;
        // SAFETY: a null buffer asks only for the length.
        check(unsafe { napi_get_value_string_utf8(self.env, v, null_mut(), 0, &mut len) }, "napi_get_value_string_utf8 failed")?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        // SAFETY: `buf` has `len + 1` bytes, room for the string and its NUL.
        check(
            unsafe { napi_get_value_string_utf8(self.env, v, buf.as_mut_ptr() as *mut _, buf.len(), &mut written) },
            "napi_get_value_string_utf8 failed",
        )?;
        buf.truncate(written);
        String::from_utf8(buf).map_err(|_| BindingError::invalid(format!("{} is not valid UTF-8", name)))
    }

    pub fn u32(&self, i: usize, name: &str) -> BindingResult<u32> {
        let x = self.f64(i, name)?;
        if x < 0.0 || x > u32::MAX as f64 || x.fract() != 0.0 {
            return Err(BindingError::invalid(format!("{} must be an integer in 0..2^32, got {}", name, x)));
        }
        Ok(x as u32)
    }

    pub fn f64(&self, i: usize, name: &str) -> BindingResult<f64> {
        let v = self.arg(i, name)?;
        let mut t = 0;
        // SAFETY: live argument value, valid out-pointer.
        check(unsafe { napi_typeof(self.env, v, &mut t) }, "napi_typeof failed")?;
        if t != NAPI_NUMBER {
            return Err(BindingError::invalid(format!("{} must be a number", name)));
        }
        let mut x = 0f64;
        // SAFETY: `v` is a number (checked above).
        check(unsafe { napi_get_value_double(self.env, v, &mut x) }, "napi_get_value_double failed")?;
        Ok(x)
    }

    /// A BigInt argument that must fit in u64 without loss.
    pub fn bigint_u64(&self, i: usize, name: &str) -> BindingResult<u64> {
        let v = self.arg(i, name)?;
        let mut t = 0;
        // SAFETY: live argument value, valid out-pointer.
        check(unsafe { napi_typeof(self.env, v, &mut t) }, "napi_typeof failed")?;
        if t != NAPI_BIGINT {
            return Err(BindingError::invalid(format!("{} must be a bigint", name)));
        }
        let mut x = 0u64;
        let mut lossless = false;
        // SAFETY: `v` is a BigInt (checked above).
        check(unsafe { napi_get_value_bigint_uint64(self.env, v, &mut x, &mut lossless) }, "napi_get_value_bigint_uint64 failed")?;
        if !lossless {
            return Err(BindingError::invalid(format!("{} must be a bigint in 0..2^64", name)));
        }
        Ok(x)
    }

    pub fn bool(&self, i: usize, name: &str) -> BindingResult<bool> {
        let v = self.arg(i, name)?;
        let mut b = false;
        // SAFETY: live argument value; N-API reports a non-boolean as an error status.
        check(unsafe { napi_get_value_bool(self.env, v, &mut b) }, &format!("{} must be a boolean", name))?;
        Ok(b)
    }

    pub fn undefined(&self) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_get_undefined(self.env, &mut v) }, "napi_get_undefined failed")?;
        Ok(v)
    }

    pub fn number(&self, x: f64) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_create_double(self.env, x, &mut v) }, "napi_create_double failed")?;
        Ok(v)
    }

    pub fn bigint(&self, x: u64) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_create_bigint_uint64(self.env, x, &mut v) }, "napi_create_bigint_uint64 failed")?;
        Ok(v)
    }

    pub fn boolean(&self, b: bool) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_get_boolean(self.env, b, &mut v) }, "napi_get_boolean failed")?;
        Ok(v)
    }

    pub fn null(&self) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_get_null(self.env, &mut v) }, "napi_get_null failed")?;
        Ok(v)
    }

    pub fn str(&self, s: &str) -> BindingResult<napi_value> {
        let mut v = null_mut();
        // SAFETY: `s` is valid UTF-8 of the given length (no NUL needed with an explicit length).
        check(unsafe { napi_create_string_utf8(self.env, s.as_ptr() as *const _, s.len(), &mut v) }, "napi_create_string_utf8 failed")?;
        Ok(v)
    }

    pub fn object(&self, props: &[(&str, napi_value)]) -> BindingResult<napi_value> {
        let mut o = null_mut();
        // SAFETY: valid env and out-pointer.
        check(unsafe { napi_create_object(self.env, &mut o) }, "napi_create_object failed")?;
        for (k, v) in props {
            let name = CString::new(*k).map_err(|_| BindingError::invalid("property name with NUL"))?;
            // SAFETY: `o` is the object just created, `name` a NUL-terminated string, `v` a live value.
            check(unsafe { napi_set_named_property(self.env, o, name.as_ptr(), *v) }, "napi_set_named_property failed")?;
        }
        Ok(o)
    }
}

/// Run one callback body: build the context, catch panics, turn errors into exceptions.
///
/// # Safety
/// Must be called with the `env` and `info` N-API passed to the current callback.
pub unsafe fn entry(env: napi_env, info: napi_callback_info, body: impl FnOnce(&Ctx) -> BindingResult<napi_value>) -> napi_value {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from this function's own contract.
        let ctx = unsafe { Ctx::new(env, info) }?;
        body(&ctx)
    }));
    match result {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            throw(env, &e);
            null_mut()
        }
        Err(_) => {
            throw(env, &BindingError::Panic);
            null_mut()
        }
    }
}
