#![allow(non_camel_case_types)]
use std::ffi::c_void;
type napi_env = *mut c_void;
type napi_value = *mut c_void;
type napi_status = i32;
extern "C" {
    fn napi_create_uint32(env: napi_env, v: u32, out: *mut napi_value) -> napi_status;
    fn napi_set_named_property(env: napi_env, o: napi_value, name: *const i8, v: napi_value) -> napi_status;
}
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let mut v = std::ptr::null_mut();
    unsafe { napi_create_uint32(env, sensor_core::answer(), &mut v); napi_set_named_property(env, exports, b"answer\0".as_ptr() as _, v); }
    exports
}
