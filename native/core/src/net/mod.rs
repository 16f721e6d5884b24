//! Address-space helpers: home-net prefixes (`cidr`).

pub mod cidr;

pub use cidr::HomeNet;
