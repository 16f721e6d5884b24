//! sensor_core: the exfil-sensor engine. It reads capture files, decodes packets, tracks flows,
//! accounts bytes per (group, tumbling window) and (later) app-layer evidence. It knows nothing
//! of N-API or JavaScript: the binding crate (`native/napi`) hands it byte slices and copies its
//! records (layouts in `batch`) out.
//!
//! Rules for everything below: no `unsafe`, no panic and no unbounded allocation driven by
//! packet or file contents, packet time only (never the wall clock).
#![deny(unsafe_code)]

pub mod app;
pub mod batch;
pub mod capture;
pub mod community_id;
pub mod crypto;
pub mod decode;
pub mod engine;
pub mod flow;
pub mod hash;
pub mod net;
pub mod stats;
pub mod wire;
pub mod window;
