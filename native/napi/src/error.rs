//! The one place Rust errors become JavaScript exceptions (three classes, see the README):
//! misuse of the API (`InvalidArg`), setup failures such as an unreadable file (`Failure`),
//! and panics, which are bugs. Data problems are never thrown: they are counters and values.

use std::ffi::CString;

use crate::ffi::{napi_env, napi_throw_error, napi_throw_type_error};

#[derive(Debug)]
pub enum BindingError {
    /// Wrong argument type, size or value: a bug in the caller.
    InvalidArg(String),
    /// The operation could not be set up (for example the capture file cannot be opened).
    Failure { code: &'static str, message: String },
    /// A Rust panic was caught at the boundary.
    Panic,
}

impl BindingError {
    pub fn invalid(msg: impl Into<String>) -> BindingError {
        BindingError::InvalidArg(msg.into())
    }
}

pub type BindingResult<T> = Result<T, BindingError>;

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Throw `err` as a JS exception whose `code` property is a stable `SENSOR_ERR_NATIVE_*` code.
pub fn throw(env: napi_env, err: &BindingError) {
    let (code, msg, type_error) = match err {
        BindingError::InvalidArg(m) => ("SENSOR_ERR_NATIVE_INVALID_ARG", m.clone(), true),
        BindingError::Failure { code, message } => (*code, message.clone(), false),
        BindingError::Panic => ("SENSOR_ERR_NATIVE_PANIC", "internal error: the native engine panicked (a bug; please report it)".to_string(), false),
    };
    let code = c(code);
    let msg = c(&msg);
    // SAFETY: both pointers are valid NUL-terminated strings that live until the call returns;
    // N-API copies them.
    unsafe {
        if type_error {
            napi_throw_type_error(env, code.as_ptr(), msg.as_ptr());
        } else {
            napi_throw_error(env, code.as_ptr(), msg.as_ptr());
        }
    }
}
