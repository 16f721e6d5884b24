//! NFS over ONC RPC (program 100003), as Suricata's probes check it. TCP carries a 4-byte
//! record mark (last-fragment bit and length) before each RPC message; UDP does not.
//! A call names its program; a reply does not, so a reply is only taken as NFS on NFS's port
//! (2049), which is also how Suricata registers its reply probe.

use super::{be32, Probe};

pub const NFS_PROGRAM: u32 = 100003;
pub const NFS_PORT: u16 = 2049;

fn call(m: &[u8]) -> Probe {
    // xid, msg_type, rpcvers, prog, vers, proc
    if m.len() < 24 {
        return Probe::Maybe;
    }
    let ok = be32(m, 4) == Some(0) && be32(m, 8) == Some(2) && be32(m, 12) == Some(NFS_PROGRAM) && matches!(be32(m, 16), Some(2..=4)) && be32(m, 20).map_or(false, |p| p <= 21);
    if ok {
        Probe::Yes
    } else {
        Probe::No
    }
}

fn reply(m: &[u8]) -> Probe {
    // xid, msg_type = 1, reply_stat = 0 (accepted)
    if m.len() < 12 {
        return Probe::Maybe;
    }
    if be32(m, 4) == Some(1) && be32(m, 8) == Some(0) && be32(m, 0) != Some(0) {
        Probe::Yes
    } else {
        Probe::No
    }
}

pub fn probe_tcp(b: &[u8], to_server: bool, server_port: u16) -> Probe {
    let mark = match be32(b, 0) {
        Some(m) => m,
        None => return Probe::Maybe,
    };
    let len = (mark & 0x7fff_ffff) as usize;
    if to_server {
        if !(40..=1 << 20).contains(&len) {
            return Probe::No;
        }
        call(&b[4..])
    } else {
        if server_port != NFS_PORT || !(24..=35000).contains(&len) {
            return Probe::No;
        }
        reply(&b[4..])
    }
}

pub fn probe_udp(b: &[u8], to_server: bool, server_port: u16) -> Probe {
    let p = if to_server {
        if b.len() < 48 {
            return Probe::No;
        }
        call(b)
    } else {
        if server_port != NFS_PORT || b.len() < 32 {
            return Probe::No;
        }
        reply(b)
    };
    if p == Probe::Maybe {
        Probe::No
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc_call(prog: u32) -> Vec<u8> {
        let mut m = Vec::new();
        for w in [0x1234u32, 0, 2, prog, 3, 1, 0, 0, 0, 0, 0, 0] {
            m.extend_from_slice(&w.to_be_bytes());
        }
        m
    }

    #[test]
    fn tcp_and_udp_calls() {
        let c = rpc_call(NFS_PROGRAM);
        let mut t = (0x8000_0000u32 | c.len() as u32).to_be_bytes().to_vec();
        t.extend_from_slice(&c);
        assert_eq!(probe_tcp(&t, true, 2049), Probe::Yes);
        assert_eq!(probe_tcp(&t[..10], true, 2049), Probe::Maybe);
        assert_eq!(probe_udp(&c, true, 2049), Probe::Yes);
        assert_eq!(probe_udp(&rpc_call(100005), true, 2049), Probe::No, "mount is not NFS");
        let mut r = Vec::new();
        for w in [0x8000_0020u32, 0x1234, 1, 0, 0, 0, 0, 0, 0] {
            r.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(probe_tcp(&r, false, 2049), Probe::Yes);
        assert_eq!(probe_tcp(&r, false, 111), Probe::No, "replies only on the NFS port");
    }
}
