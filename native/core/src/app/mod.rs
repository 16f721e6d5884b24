//! Application-layer parsers: one file per protocol. Each is a pure function of the bytes it is
//! given (a direction's first bytes, or one message), bounded in what it keeps, and never
//! panics on hostile input. Wiring them into flows (stream buffering, app_proto detection,
//! evidence records) is the engine's job.

pub mod detect;
pub mod dns;
pub mod evidence;
pub mod ftp;
pub mod gquic;
pub mod json;
pub mod http;
pub mod ja3;
pub mod ja4;
pub mod magic;
pub mod probe;
pub mod quic;
pub mod session;
pub mod ssh;
pub mod tls;
pub mod upgrade;
pub mod x509;

#[cfg(test)]
pub(crate) mod test_support;
