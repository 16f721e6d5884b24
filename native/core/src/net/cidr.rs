//! Home-net: a bounded list of IPv4 and IPv6 prefixes and a matcher over it.
//!
//! The engine asks it twice per new flow (client, server) and once per packet it cannot
//! attribute, never per tracked packet: the "has a group" decision is stored in the flow. A
//! prefix test is one masked compare on an integer (`u32` / `u128`), so a linear scan over the
//! (at most `MAX_PREFIXES`) entries of the address's family is cheap enough.
//!
//! Text form (engine config `home_net`): comma-separated CIDRs, IPv4 or IPv6, a bare address
//! meaning one host. Host bits must be zero (as the agent's config validation requires).
//! IPv4 prefixes match IPv4 flows only, IPv6 prefixes IPv6 flows only.

use std::net::IpAddr;

/// Upper bound on prefixes (a config limit; a longer list is a config error).
pub const MAX_PREFIXES: usize = 1024;

/// RFC 1918: the default home-net.
pub const DEFAULT_HOME_NET: &str = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeNet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl Default for HomeNet {
    fn default() -> Self {
        // The default list is a constant that parses.
        HomeNet::parse(DEFAULT_HOME_NET).unwrap_or(HomeNet { v4: Vec::new(), v6: Vec::new() })
    }
}

fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len as u32)
    }
}

impl HomeNet {
    /// An empty home-net: nothing is internal, so no flow has a group.
    pub fn empty() -> HomeNet {
        HomeNet { v4: Vec::new(), v6: Vec::new() }
    }

    /// Parse a comma-separated CIDR list ("10.0.0.0/8, fc00::/7, 192.0.2.7"). Empty items are
    /// skipped, so an empty string is an empty home-net.
    pub fn parse(text: &str) -> Result<HomeNet, String> {
        let mut h = HomeNet::empty();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if h.len() >= MAX_PREFIXES {
                return Err(format!("home_net: more than {} prefixes", MAX_PREFIXES));
            }
            let (addr, len) = match item.split_once('/') {
                Some((a, l)) => {
                    let l = l.trim().parse::<u8>().map_err(|_| format!("home_net: bad prefix length in '{}'", item))?;
                    (a.trim(), Some(l))
                }
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("home_net: '{}' is not an IPv4 or IPv6 address", addr))?;
            match ip {
                IpAddr::V4(a) => {
                    let len = len.unwrap_or(32);
                    if len > 32 {
                        return Err(format!("home_net: '{}': IPv4 prefix length must be 0..32", item));
                    }
                    let net = u32::from(a);
                    let m = mask4(len);
                    if net & !m != 0 {
                        return Err(format!("home_net: '{}' has host bits set (network is {}/{})", item, std::net::Ipv4Addr::from(net & m), len));
                    }
                    h.v4.push((net, m));
                }
                IpAddr::V6(a) => {
                    let len = len.unwrap_or(128);
                    if len > 128 {
                        return Err(format!("home_net: '{}': IPv6 prefix length must be 0..128", item));
                    }
                    let net = u128::from(a);
                    let m = mask6(len);
                    if net & !m != 0 {
                        return Err(format!("home_net: '{}' has host bits set (network is {}/{})", item, std::net::Ipv6Addr::from(net & m), len));
                    }
                    h.v6.push((net, m));
                }
            }
        }
        Ok(h)
    }

    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Is `addr` (an engine address: IPv4 in the first 4 bytes) inside home-net?
    #[inline]
    pub fn contains(&self, ip_version: u8, addr: &[u8; 16]) -> bool {
        if ip_version == 4 {
            let a = u32::from_be_bytes([addr[0], addr[1], addr[2], addr[3]]);
            self.v4.iter().any(|&(net, m)| a & m == net)
        } else {
            let a = u128::from_be_bytes(*addr);
            self.v6.iter().any(|&(net, m)| a & m == net)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0u8; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    fn v6(s: &str) -> [u8; 16] {
        s.parse::<std::net::Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn default_is_rfc1918() {
        let h = HomeNet::default();
        assert_eq!(h.len(), 3);
        assert!(h.contains(4, &v4([10, 255, 0, 1])));
        assert!(h.contains(4, &v4([172, 16, 0, 1])));
        assert!(h.contains(4, &v4([172, 31, 255, 255])));
        assert!(!h.contains(4, &v4([172, 32, 0, 0])));
        assert!(h.contains(4, &v4([192, 168, 3, 4])));
        assert!(!h.contains(4, &v4([192, 169, 0, 1])));
        assert!(!h.contains(4, &v4([8, 8, 8, 8])));
        // IPv4 prefixes never match IPv6 addresses (even ones whose first bytes look alike).
        assert!(!h.contains(6, &v4([10, 0, 0, 1])));
    }

    #[test]
    fn ipv6_prefixes_and_edges() {
        let h = HomeNet::parse("2001:db8:1000::/48, fc00::/7").unwrap();
        assert!(h.contains(6, &v6("2001:db8:1000::1")));
        assert!(h.contains(6, &v6("2001:db8:1000:ffff:ffff:ffff:ffff:ffff")));
        assert!(!h.contains(6, &v6("2001:db8:1001::1")));
        assert!(h.contains(6, &v6("fd12::9")));
        assert!(h.contains(6, &v6("fc00::")));
        assert!(!h.contains(6, &v6("fe80::1")));
        assert!(!h.contains(4, &v4([10, 0, 0, 1])), "no IPv4 prefixes configured");

        let all6 = HomeNet::parse("::/0").unwrap();
        assert!(all6.contains(6, &v6("2a00::1")) && all6.contains(6, &[0u8; 16]));
        assert!(!all6.contains(4, &v4([1, 2, 3, 4])));
        let all4 = HomeNet::parse("0.0.0.0/0").unwrap();
        assert!(all4.contains(4, &v4([255, 255, 255, 255])));

        let host = HomeNet::parse("192.0.2.7,2001:db8::5").unwrap();
        assert!(host.contains(4, &v4([192, 0, 2, 7])) && !host.contains(4, &v4([192, 0, 2, 6])));
        assert!(host.contains(6, &v6("2001:db8::5")) && !host.contains(6, &v6("2001:db8::4")));
        assert!(HomeNet::parse("").unwrap().is_empty());
        assert!(HomeNet::parse(" , ").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_input() {
        assert!(HomeNet::parse("10.0.0.1/8").unwrap_err().contains("host bits"));
        assert!(HomeNet::parse("10.0.0.0/33").is_err());
        assert!(HomeNet::parse("2001:db8::/129").is_err());
        assert!(HomeNet::parse("10.0.0.0/x").is_err());
        assert!(HomeNet::parse("example.com").is_err());
        let many: Vec<String> = (0..=MAX_PREFIXES).map(|i| format!("10.{}.{}.0/24", i / 256, i % 256)).collect();
        assert!(HomeNet::parse(&many.join(",")).unwrap_err().contains("more than"));
    }
}
