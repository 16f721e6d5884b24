//! A finished (or flushed) flow as it leaves the engine, client/server oriented.

use super::timeout::FlowState;

/// Why a flow record was emitted; EVE `flow.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EndReason {
    Timeout = 0,
    TcpFin = 1,
    TcpRst = 2,
    Memcap = 3,
    Shutdown = 4,
}

impl EndReason {
    pub const COUNT: usize = 5;
    pub const ALL: [EndReason; 5] = [EndReason::Timeout, EndReason::TcpFin, EndReason::TcpRst, EndReason::Memcap, EndReason::Shutdown];
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::TcpFin => "tcp_fin",
            EndReason::TcpRst => "tcp_rst",
            EndReason::Memcap => "memcap",
            EndReason::Shutdown => "shutdown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowRecord {
    pub ip_version: u8,
    pub proto: u8,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// Client and server port; ICMP/ICMPv6: type and code of the first packet.
    pub src_port: u16,
    pub dst_port: u16,
    pub vlan: [u16; 2],
    pub pkts_toserver: u64,
    pub pkts_toclient: u64,
    pub bytes_toserver: u64,
    pub bytes_toclient: u64,
    pub ip_bytes_toserver: u64,
    pub ip_bytes_toclient: u64,
    /// Sums of original wire lengths (pcap `len`), what nDPI counts.
    pub wire_bytes_toserver: u64,
    pub wire_bytes_toclient: u64,
    pub start_ns: u64,
    pub end_ns: u64,
    pub state: FlowState,
    pub reason: EndReason,
    pub tcp_flags_ts: u8,
    pub tcp_flags_tc: u8,
    /// 53-bit id (exact in JSON), stable for the same flow key and start time.
    pub flow_id: u64,
    /// Raw Community ID v1 SHA-1 digest (formatting is the caller's: base64 or hex).
    pub community_id: [u8; 20],
    /// App-layer protocol code (`app::detect`; 0 = none detected).
    pub app_proto: u8,
}
