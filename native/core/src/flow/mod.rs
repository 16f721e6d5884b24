//! Flow tracking: keys (`key`), the bounded table (`table`), timeouts (`timeout`), fragment
//! attribution (`frag`) and the records flows become (`record`).

pub mod frag;
pub mod key;
pub mod record;
pub mod table;
pub mod timeout;

pub use key::{FlowKey, KeyOutcome, Untracked};
pub use record::{EndReason, FlowRecord};
pub use table::{Flow, FlowTable, TcpTrack, WindowSegment, BYTES_PER_FLOW, TO_CLIENT, TO_SERVER};
pub use timeout::{FlowState, ProtoClass, Timeouts};
