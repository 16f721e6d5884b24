//! Tests of the whole walk (`decode_frame`): every link type, every `DecodeError` variant, the
//! IP/transport rules, tunnels, and a deterministic mutation run. Header views are tested in
//! their own files.

use super::frame::{
    LINKTYPE_C_HDLC, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_NFLOG, LINKTYPE_PPP, MAX_TUNNEL_DEPTH,
    MAX_VLAN_TAGS,
};
use super::{decode_frame, ip_proto, DecodeError, Layer};
use crate::decode::{linktype, Fragment, PacketMeta};

// ---- frame builders -------------------------------------------------------------------------

const SRC4: [u8; 4] = [10, 0, 0, 1];
const DST4: [u8; 4] = [192, 168, 1, 2];

fn src6() -> [u8; 16] {
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
}

fn dst6() -> [u8; 16] {
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
}

fn v4_16(a: [u8; 4]) -> [u8; 16] {
    let mut x = [0u8; 16];
    x[..4].copy_from_slice(&a);
    x
}

/// IPv4 header with `opt_words` 4-byte option words, flags/offset word `frag`, then payload.
fn ip4x(proto: u8, opt_words: usize, frag: u16, payload: &[u8]) -> Vec<u8> {
    let hl = 20 + opt_words * 4;
    let total = (hl + payload.len()) as u16;
    let mut b = vec![0x40 | (hl / 4) as u8, 0];
    b.extend_from_slice(&total.to_be_bytes());
    b.extend_from_slice(&0x1234u16.to_be_bytes());
    b.extend_from_slice(&frag.to_be_bytes());
    b.extend_from_slice(&[64, proto, 0, 0]);
    b.extend_from_slice(&SRC4);
    b.extend_from_slice(&DST4);
    b.extend(std::iter::repeat(1u8).take(opt_words * 4)); // NOP options
    b.extend_from_slice(payload);
    b
}

fn ip4(proto: u8, payload: &[u8]) -> Vec<u8> {
    ip4x(proto, 0, 0, payload)
}

fn ip6(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x60, 0, 0, 0];
    b.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    b.push(nh);
    b.push(64);
    b.extend_from_slice(&src6());
    b.extend_from_slice(&dst6());
    b.extend_from_slice(payload);
    b
}

/// A generic IPv6 extension header of (n+1)*8 bytes.
fn ext6(nh: u8, n: u8, rest: &[u8]) -> Vec<u8> {
    let mut b = vec![nh, n];
    b.extend(std::iter::repeat(0u8).take((n as usize + 1) * 8 - 2));
    b.extend_from_slice(rest);
    b
}

fn frag6(nh: u8, offset: u16, more: bool, id: u32, rest: &[u8]) -> Vec<u8> {
    let mut b = vec![nh, 0];
    b.extend_from_slice(&((offset & 0xfff8) | more as u16).to_be_bytes());
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(rest);
    b
}

fn tcp_opts(sp: u16, dp: u16, flags: u8, opt_words: usize, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&sp.to_be_bytes());
    b.extend_from_slice(&dp.to_be_bytes());
    b.extend_from_slice(&1000u32.to_be_bytes());
    b.extend_from_slice(&2000u32.to_be_bytes());
    b.push(((5 + opt_words) as u8) << 4);
    b.push(flags);
    b.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    b.extend(std::iter::repeat(1u8).take(opt_words * 4));
    b.extend_from_slice(payload);
    b
}

fn tcp(sp: u16, dp: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    tcp_opts(sp, dp, flags, 0, payload)
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&sp.to_be_bytes());
    b.extend_from_slice(&dp.to_be_bytes());
    b.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(payload);
    b
}

fn icmp(t: u8, c: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![t, c, 0, 0, 0, 1, 0, 7];
    b.extend_from_slice(payload);
    b
}

fn sctp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&sp.to_be_bytes());
    b.extend_from_slice(&dp.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    b.extend_from_slice(payload);
    b
}

const MACS: [u8; 12] = [0, 1, 2, 3, 4, 5, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15];

fn eth(ty: u16, payload: &[u8]) -> Vec<u8> {
    eth_tags(&[], ty, payload)
}

/// Ethernet with VLAN tags `(tpid, vid)`, outer first.
fn eth_tags(tags: &[(u16, u16)], ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = MACS.to_vec();
    for &(tpid, vid) in tags {
        b.extend_from_slice(&tpid.to_be_bytes());
        b.extend_from_slice(&vid.to_be_bytes());
    }
    b.extend_from_slice(&ty.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn mpls_label(label: u32, bos: bool) -> [u8; 4] {
    ((label << 12) | ((bos as u32) << 8) | 64).to_be_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::new();
    for p in parts {
        b.extend_from_slice(p);
    }
    b
}

fn gre(flags_ver: u16, proto: u16, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&flags_ver.to_be_bytes());
    b.extend_from_slice(&proto.to_be_bytes());
    b.extend_from_slice(opts);
    b.extend_from_slice(payload);
    b
}

fn decode(lt: u32, f: &[u8]) -> PacketMeta {
    let mut m = PacketMeta::default();
    decode_frame(lt, f, &mut m);
    m
}

fn stop(lt: u32, f: &[u8]) -> Option<(DecodeError, Layer)> {
    decode(lt, f).stop
}

/// The common IPv4 TCP packet: 10.0.0.1:12345 -> 192.168.1.2:80, PSH|ACK, "hello".
fn v4_tcp() -> Vec<u8> {
    ip4(ip_proto::TCP, &tcp(12345, 80, 0x18, b"hello"))
}

fn assert_v4_tcp(m: &PacketMeta, ip_off: usize) {
    assert_eq!(m.stop, None);
    assert_eq!(m.ip_version, 4);
    assert_eq!(m.src, v4_16(SRC4));
    assert_eq!(m.dst, v4_16(DST4));
    assert_eq!(m.proto, ip_proto::TCP);
    assert_eq!(m.ip_len, 45);
    assert!(m.l4_ok);
    assert_eq!((m.src_port, m.dst_port), (12345, 80));
    assert_eq!(m.tcp_flags, 0x18);
    assert_eq!((m.tcp_seq, m.tcp_ack), (1000, 2000));
    assert_eq!(m.payload_off as usize, ip_off + 40);
    assert_eq!(m.payload_len, 5);
    assert_eq!(m.fragment, None);
}

// ---- link layers ----------------------------------------------------------------------------

#[test]
fn ethernet_ipv4_tcp() {
    let f = eth(0x0800, &v4_tcp());
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14);
    assert_eq!(m.caplen as usize, f.len());
    assert_eq!(m.vlan, [0, 0]);
    assert_eq!(m.tunnel_depth, 0);
}

#[test]
fn ethernet_padding_is_not_payload() {
    // A 28-byte IPv4/UDP packet padded to the 60-byte Ethernet minimum.
    let mut f = eth(0x0800, &ip4(ip_proto::UDP, &udp(53, 5353, &[])));
    f.resize(60, 0);
    let m = decode(linktype::ETHERNET, &f);
    assert!(m.l4_ok);
    assert_eq!(m.ip_len, 28);
    assert_eq!((m.payload_off, m.payload_len), (14 + 28, 0));
    // TCP the same way.
    let mut f = eth(0x0800, &ip4(ip_proto::TCP, &tcp(1, 2, 0x10, &[])));
    f.resize(60, 0xee);
    let m = decode(linktype::ETHERNET, &f);
    assert!(m.l4_ok);
    assert_eq!(m.payload_len, 0);
    assert_eq!(m.caplen, 60);
}

#[test]
fn vlan_tags() {
    let p = v4_tcp();
    let m = decode(linktype::ETHERNET, &eth_tags(&[(0x8100, 100)], 0x0800, &p));
    assert_v4_tcp(&m, 18);
    assert_eq!(m.vlan, [100, 0]);
    // QinQ, with priority bits in the TCI
    let m = decode(linktype::ETHERNET, &eth_tags(&[(0x88a8, 0x2000 | 200), (0x8100, 300)], 0x0800, &p));
    assert_v4_tcp(&m, 22);
    assert_eq!(m.vlan, [200, 300]);
    let m = decode(linktype::ETHERNET, &eth_tags(&[(0x9100, 7), (0x8100, 8)], 0x0800, &p));
    assert_eq!(m.vlan, [7, 8]);
    // Four deep: only the first two are kept.
    let four = [(0x88a8, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4)];
    let m = decode(linktype::ETHERNET, &eth_tags(&four, 0x0800, &p));
    assert_v4_tcp(&m, 14 + 16);
    assert_eq!(m.vlan, [1, 2]);
    // A VLAN-tagged ARP keeps its VLAN ids.
    let m = decode(linktype::ETHERNET, &eth_tags(&[(0x8100, 5)], 0x0806, &[0; 28]));
    assert_eq!(m.stop, Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(m.vlan, [5, 0]);
    assert_eq!(m.ip_version, 0);
}

#[test]
fn vlan_too_deep_and_truncated() {
    let p = v4_tcp();
    let five = [(0x88a8, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4), (0x8100, 5)];
    let m = decode(linktype::ETHERNET, &eth_tags(&five, 0x0800, &p));
    assert_eq!(m.stop, Some((DecodeError::TooDeep, Layer::Vlan)));
    assert_eq!(m.ip_version, 0);
    let f = eth_tags(&[(0x8100, 100)], 0x0800, &p);
    assert_eq!(stop(linktype::ETHERNET, &f[..17]), Some((DecodeError::Truncated, Layer::Vlan)));
}

#[test]
fn ethernet_not_ip() {
    // 802.3 length field (LLC follows)
    let m = decode(linktype::ETHERNET, &eth(46, &[0xaa; 46]));
    assert_eq!(m.stop, Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &eth(0x05ff, &[0; 46])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &eth(0x0806, &[0; 28])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &eth(0x88cc, &[0; 28])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &eth(0x8863, &[0; 28])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &[0u8; 13]), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &[]), Some((DecodeError::Truncated, Layer::Link)));
}

use crate::crypto::from_hex as hex;

#[test]
fn ethernet_8023_llc_snap() {
    // zeek snap-tcp.pcap frame 4: 802.3 length 0x55, LLC/SNAP (aa aa 03, OUI 0, 0x0800), IPv4 TCP
    // carrying "GET / HTTP/1.1".
    let f = hex(
        "66778899aabb0011223344550055aaaa0300000008004500004d000100004006f756c0a80101c0a80102
         3039005000000065000000c95018200091f70000474554202f20485454502f312e310d0a486f73743a20
         6578616d706c652e636f6d0d0a0d0a",
    );
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!(m.stop, None);
    assert_eq!((m.ip_version, m.proto, m.src_port, m.dst_port), (4, ip_proto::TCP, 12345, 80));
    assert_eq!(m.src, v4_16([192, 168, 1, 1]));
    assert_eq!((m.payload_off, m.payload_len), (62, 37));
    assert_eq!(&f[62..65], b"GET");
    // SNAP with another organisation code, or not unnumbered information: not IP.
    let mut g = f.clone();
    g[19] = 0x0c;
    assert_eq!(stop(linktype::ETHERNET, &g), Some((DecodeError::NotIp, Layer::Link)));
    let mut g = f.clone();
    g[16] = 0xf3;
    assert_eq!(stop(linktype::ETHERNET, &g), Some((DecodeError::NotIp, Layer::Link)));
    // SNAP naming another 802.3 length is not followed; a cut SNAP header is truncated.
    let mut g = f.clone();
    g[20..22].copy_from_slice(&[0x00, 0x40]);
    assert_eq!(stop(linktype::ETHERNET, &g), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &f[..20]), Some((DecodeError::Truncated, Layer::Link)));
    // Behind a VLAN tag too.
    let t = eth_tags(&[(0x8100, 7)], 0x0055, &f[14..]);
    let m = decode(linktype::ETHERNET, &t);
    assert_eq!((m.stop, m.vlan[0], m.dst_port), (None, 7, 80));
}

/// zeek nflog-http.pcap frame 6: NFLOG (family 2, six TLVs) around an IPv4 TCP segment with
/// curl's request.
const NFLOG_HTTP_FRAME6: &str = "0200002a080001000000030005000a0000000000080005000000000208000b000000000008000e00000000
    007b00090045000077e8f1400040060fa60a00020f5db8d822c26200503f32bad243777c0250187210dde0000047455420
    2f20485454502f312e310d0a486f73743a207777772e6578616d706c652e6e65740d0a557365722d4167656e743a206375
    726c2f372e35302e310d0a4163636570743a202a2f2a0d0a0d0a00";

#[test]
fn nflog_link_type() {
    let f = hex(NFLOG_HTTP_FRAME6);
    let m = decode(LINKTYPE_NFLOG, &f);
    assert_eq!(m.stop, None);
    assert_eq!((m.ip_version, m.proto, m.src_port, m.dst_port, m.ip_len), (4, ip_proto::TCP, 49762, 80, 119));
    assert_eq!(m.src, v4_16([10, 0, 2, 15]));
    assert_eq!(m.dst, v4_16([93, 184, 216, 34]));
    // The TLV's trailing pad byte is not payload: the IP total length bounds it.
    assert_eq!((m.payload_off, m.payload_len), (88, 79));
    assert_eq!(&f[88..91], b"GET");
    // Another family, a bad version, a cut TLV.
    let mut g = f.clone();
    g[0] = 7;
    assert_eq!(stop(LINKTYPE_NFLOG, &g), Some((DecodeError::NotIp, Layer::Link)));
    g[0] = 2;
    g[1] = 1;
    assert_eq!(stop(LINKTYPE_NFLOG, &g), Some((DecodeError::BadIpVersion, Layer::Link)));
    assert_eq!(stop(LINKTYPE_NFLOG, &f[..30]), Some((DecodeError::Truncated, Layer::Link)));
}

/// ndpi capwap_data.pcapng frames 1 and 4: two VLAN tags, IPv4 UDP 41264 <-> 5247, CAPWAP
/// (HLEN 4 with wireless information, resp. HLEN 2), an 802.11 data frame whose frame control
/// bytes a Cisco access point sent swapped (11 08 To DS, 02 08 From DS), LLC/SNAP, and the
/// station's TCP SYN resp. the server's SYN/ACK.
const CAPWAP_FRAME1: &str = "000000000008a4c64f3bb3ab8100805e8100800308004500008854394000fe1106f6ac32649bac106457a13014
    7f00740000002003200000000004bf23000000000011082c0084802d2b459054f201e1b29910f311eaeec17630aaaa03
    00000008004500003c2122400040063f1c0a0103444a7d82bcb7b101bb0b21616e00000000a002ffff07180000020405b4
    0402080a0021404c0000000001030308";
const CAPWAP_FRAME4: &str = "000000000008a4c64f3bb3ab8100605e8100600408004500008020024000fd113c35ac106457ac32649b147fa1
    30006c000000100300e03c00000208000054f201e1b29984802d2b4590e4c722aab94f0000aaaa03000000080045000
    03c000040004006603e4a7d82bc0a01034401bbb7b1d1f4745d0b21616fa01215880e1400000204056e0402080a9b6501
    fb0021404c01030306";

#[test]
fn capwap_data_80211() {
    let f = hex(CAPWAP_FRAME1);
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!(m.stop, None);
    assert_eq!((m.tunnel_depth, m.vlan), (1, [94, 3]));
    assert_eq!((m.ip_version, m.proto, m.src_port, m.dst_port, m.tcp_flags), (4, ip_proto::TCP, 47025, 443, 0x02));
    assert_eq!(m.src, v4_16([10, 1, 3, 68]));
    assert_eq!(m.dst, v4_16([74, 125, 130, 188]));
    // The inner packet is the 802.11 frame after the CAPWAP header.
    assert_eq!((m.inner_off, m.inner_end), (66, 158));
    let f = hex(CAPWAP_FRAME4);
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!(m.stop, None);
    assert_eq!((m.tunnel_depth, m.src_port, m.dst_port, m.tcp_flags), (1, 443, 47025, 0x12));
    assert_eq!(m.inner_off, 58);
    // Only on the CAPWAP data port; DTLS (preamble type 1) and fragments are not opened.
    let mut g = hex(CAPWAP_FRAME1);
    g[44..46].copy_from_slice(&5246u16.to_be_bytes());
    g[42..44].copy_from_slice(&5246u16.to_be_bytes());
    let m = decode(linktype::ETHERNET, &g);
    assert_eq!((m.tunnel_depth, m.dst_port), (0, 5246));
    let mut g = hex(CAPWAP_FRAME1);
    g[50] = 0x01;
    assert_eq!(decode(linktype::ETHERNET, &g).tunnel_depth, 0);
    let mut g = hex(CAPWAP_FRAME1);
    g[53] |= 0x80;
    assert_eq!(decode(linktype::ETHERNET, &g).tunnel_depth, 0);
    // A CAPWAP header that says it is longer than the packet.
    let mut g = hex(CAPWAP_FRAME1);
    g[51] = 0xf8;
    let m = decode(linktype::ETHERNET, &g);
    assert_eq!((m.tunnel_depth, m.stop, m.dst_port), (0, None, 5247));
}

#[test]
fn ethernet_ipv6_udp() {
    let f = eth(0x86dd, &ip6(ip_proto::UDP, &udp(5353, 53, b"query")));
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!(m.stop, None);
    assert_eq!(m.ip_version, 6);
    assert_eq!((m.src, m.dst), (src6(), dst6()));
    assert_eq!(m.proto, ip_proto::UDP);
    assert_eq!(m.ip_len, 40 + 13);
    assert_eq!((m.src_port, m.dst_port), (5353, 53));
    assert_eq!((m.payload_off, m.payload_len), (14 + 48, 5));
}

#[test]
fn mpls() {
    let p = v4_tcp();
    let f = eth(0x8847, &cat(&[&mpls_label(100, false), &mpls_label(200, true), &p]));
    assert_v4_tcp(&decode(linktype::ETHERNET, &f), 22);
    let f = eth(0x8848, &cat(&[&mpls_label(100, true), &p]));
    assert_v4_tcp(&decode(linktype::ETHERNET, &f), 18);
    let f = eth_tags(&[(0x8100, 9)], 0x8847, &cat(&[&mpls_label(16, true), &ip6(59, &[])]));
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!((m.ip_version, m.proto, m.l4_ok, m.stop), (6, 59, true, None));
    assert_eq!(m.vlan, [9, 0]);
    // Ethernet pseudowire: control word then a whole Ethernet frame (with its own VLAN).
    let inner = eth_tags(&[(0x8100, 42)], 0x0800, &p);
    let f = eth(0x8847, &cat(&[&mpls_label(300, true), &[0, 0, 0, 0], &inner]));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14 + 4 + 4 + 18);
    assert_eq!(m.vlan, [42, 0]);
}

#[test]
fn mpls_errors() {
    let p = v4_tcp();
    // Stack cut before the bottom.
    let f = eth(0x8847, &cat(&[&mpls_label(100, false), &[0, 1]]));
    assert_eq!(stop(linktype::ETHERNET, &f), Some((DecodeError::Truncated, Layer::Link)));
    // Nothing after the bottom label.
    let f = eth(0x8847, &mpls_label(100, true));
    assert_eq!(stop(linktype::ETHERNET, &f), Some((DecodeError::Truncated, Layer::Link)));
    // Unknown payload nibble.
    let f = eth(0x8847, &cat(&[&mpls_label(100, true), &[0x50; 20]]));
    assert_eq!(stop(linktype::ETHERNET, &f), Some((DecodeError::NotIp, Layer::Link)));
    // 17 labels without a bottom of stack.
    let mut labels = Vec::new();
    for i in 0..17 {
        labels.extend_from_slice(&mpls_label(20 + i, false));
    }
    labels.extend_from_slice(&p);
    assert_eq!(stop(linktype::ETHERNET, &eth(0x8847, &labels)), Some((DecodeError::TooDeep, Layer::Link)));
    // Pseudowire nesting beyond the limit.
    let mut f = eth(0x0800, &p);
    for _ in 0..6 {
        f = eth(0x8847, &cat(&[&mpls_label(300, true), &[0, 0, 0, 0], &f]));
    }
    assert_eq!(stop(linktype::ETHERNET, &f), Some((DecodeError::TooDeep, Layer::Link)));
}

#[test]
fn pppoe_session() {
    let p = v4_tcp();
    let pppoe = |proto: &[u8], payload: &[u8]| {
        let mut b = vec![0x11, 0x00, 0x00, 0x01];
        b.extend_from_slice(&((proto.len() + payload.len()) as u16).to_be_bytes());
        b.extend_from_slice(proto);
        b.extend_from_slice(payload);
        eth(0x8864, &b)
    };
    assert_v4_tcp(&decode(linktype::ETHERNET, &pppoe(&[0x00, 0x21], &p)), 22);
    let m = decode(linktype::ETHERNET, &pppoe(&[0x00, 0x57], &ip6(ip_proto::TCP, &tcp(1, 2, 2, &[]))));
    assert_eq!((m.ip_version, m.src_port, m.tcp_flags, m.stop), (6, 1, 2, None));
    assert_eq!(stop(linktype::ETHERNET, &pppoe(&[0xc0, 0x21], &[1, 2, 3, 4])), Some((DecodeError::NotIp, Layer::Link)));
    let f = pppoe(&[0x00, 0x21], &p);
    assert_eq!(stop(linktype::ETHERNET, &f[..17]), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &f[..21]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn linux_sll() {
    let p = v4_tcp();
    let sll = |proto: u16, hatype: u16, payload: &[u8]| {
        let mut b = vec![0, 0];
        b.extend_from_slice(&hatype.to_be_bytes());
        b.extend_from_slice(&[0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
        b.extend_from_slice(&proto.to_be_bytes());
        b.extend_from_slice(payload);
        b
    };
    assert_v4_tcp(&decode(linktype::LINUX_SLL, &sll(0x0800, 1, &p)), 16);
    let m = decode(linktype::LINUX_SLL, &sll(0x8100, 1, &cat(&[&[0, 12, 0x08, 0x00], &p])));
    assert_v4_tcp(&m, 20);
    assert_eq!(m.vlan, [12, 0]);
    assert_eq!(stop(linktype::LINUX_SLL, &sll(0x0806, 1, &[0; 28])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::LINUX_SLL, &sll(0x0800, 824, &p)), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::LINUX_SLL, &sll(0x0800, 1, &p)[..15]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn linux_sll2() {
    let sll2 = |proto: u16, hatype: u16, payload: &[u8]| {
        let mut b = proto.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(&hatype.to_be_bytes());
        b.extend_from_slice(&[0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
        b.extend_from_slice(payload);
        b
    };
    let f = sll2(0x86dd, 1, &ip6(ip_proto::TCP, &tcp(443, 50000, 0x12, &[])));
    let m = decode(linktype::LINUX_SLL2, &f);
    assert_eq!((m.ip_version, m.src_port, m.dst_port, m.tcp_flags, m.stop), (6, 443, 50000, 0x12, None));
    assert_eq!(m.payload_off, 20 + 60);
    assert_v4_tcp(&decode(linktype::LINUX_SLL2, &sll2(0x0800, 1, &v4_tcp())), 20);
    assert_eq!(stop(linktype::LINUX_SLL2, &sll2(0x0800, 824, &v4_tcp())), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::LINUX_SLL2, &f[..19]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn null_and_loop() {
    let p = v4_tcp();
    let p6 = ip6(ip_proto::UDP, &udp(1, 2, &[]));
    assert_v4_tcp(&decode(linktype::NULL, &cat(&[&[2, 0, 0, 0], &p])), 4);
    assert_v4_tcp(&decode(linktype::NULL, &cat(&[&[0, 0, 0, 2], &p])), 4);
    for af in [24u32, 28, 30, 10, 23, 26] {
        let m = decode(linktype::NULL, &cat(&[&af.to_le_bytes(), &p6]));
        assert_eq!((m.ip_version, m.l4_ok, m.stop), (6, true, None), "af {}", af);
        let m = decode(linktype::NULL, &cat(&[&af.to_be_bytes(), &p6]));
        assert_eq!((m.ip_version, m.l4_ok, m.stop), (6, true, None), "af {} big-endian", af);
    }
    assert_v4_tcp(&decode(linktype::LOOP, &cat(&[&[0, 0, 0, 2], &p])), 4);
    let m = decode(linktype::LOOP, &cat(&[&[0, 0, 0, 24], &p6]));
    assert_eq!(m.ip_version, 6);
    assert_eq!(stop(linktype::NULL, &cat(&[&[7, 0, 0, 0], &p])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::LOOP, &cat(&[&[2, 0, 0, 0], &p])), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(linktype::NULL, &[2, 0, 0]), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(stop(linktype::LOOP, &[]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn raw_link_types() {
    let p = v4_tcp();
    let p6 = ip6(ip_proto::TCP, &tcp(1, 2, 2, &[]));
    for lt in [linktype::RAW, linktype::RAW_ALT_12, linktype::RAW_ALT_14, linktype::IPV4, linktype::IPV6] {
        assert_v4_tcp(&decode(lt, &p), 0);
        assert_eq!(decode(lt, &p6).ip_version, 6);
        assert_eq!(stop(lt, &[0x50; 40]), Some((DecodeError::BadIpVersion, Layer::Link)));
        assert_eq!(stop(lt, &[]), Some((DecodeError::Truncated, Layer::Link)));
    }
}

#[test]
fn ppp_link_type() {
    let p = v4_tcp();
    assert_v4_tcp(&decode(LINKTYPE_PPP, &cat(&[&[0xff, 0x03, 0x00, 0x21], &p])), 4);
    assert_v4_tcp(&decode(LINKTYPE_PPP, &cat(&[&[0x00, 0x21], &p])), 2);
    assert_v4_tcp(&decode(LINKTYPE_PPP, &cat(&[&[0x21], &p])), 1);
    assert_v4_tcp(&decode(LINKTYPE_PPP, &cat(&[&[0xff, 0x03, 0x21], &p])), 3);
    let m = decode(LINKTYPE_PPP, &cat(&[&[0xff, 0x03, 0x00, 0x57], &ip6(59, &[])]));
    assert_eq!((m.ip_version, m.stop), (6, None));
    assert_eq!(stop(LINKTYPE_PPP, &[0xff, 0x03, 0xc0, 0x21, 1, 2]), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(LINKTYPE_PPP, &[0xff, 0x03]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn cisco_hdlc() {
    let p = v4_tcp();
    assert_v4_tcp(&decode(LINKTYPE_C_HDLC, &cat(&[&[0x0f, 0x00, 0x08, 0x00], &p])), 4);
    let m = decode(LINKTYPE_C_HDLC, &cat(&[&[0x8f, 0x00, 0x86, 0xdd], &ip6(59, &[])]));
    assert_eq!((m.ip_version, m.stop), (6, None));
    assert_eq!(stop(LINKTYPE_C_HDLC, &[0x8f, 0x00, 0x80, 0x35, 0]), Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!(stop(LINKTYPE_C_HDLC, &[0x0f, 0x00, 0x08]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn meta_is_overwritten() {
    let mut m = decode(linktype::ETHERNET, &eth(0x0800, &v4_tcp()));
    m.tunnel_depth = 3;
    m.fragment = Some(Fragment { id: 1, offset: 8, more: true });
    let arp = eth_tags(&[(0x8100, 3)], 0x0806, &[0; 28]);
    decode_frame(linktype::ETHERNET, &arp, &mut m);
    let fresh = decode(linktype::ETHERNET, &arp);
    assert_eq!(format!("{:?}", m), format!("{:?}", fresh));
    assert_eq!(m.caplen as usize, arp.len());
    assert!(!m.l4_ok && m.ip_version == 0 && m.src_port == 0 && m.payload_len == 0);
}

// ---- one test per DecodeError variant -------------------------------------------------------

#[test]
fn error_truncated() {
    let f = eth(0x0800, &v4_tcp());
    assert_eq!(stop(linktype::ETHERNET, &f[..10]), Some((DecodeError::Truncated, Layer::Link)));
    let m = decode(linktype::ETHERNET, &f[..14 + 19]);
    assert_eq!((m.stop, m.ip_version), (Some((DecodeError::Truncated, Layer::Ipv4)), 0));
    // Snaplen cut inside the TCP header: IP fields stay, l4_ok is false.
    let m = decode(linktype::ETHERNET, &f[..14 + 20 + 10]);
    assert_eq!(m.stop, Some((DecodeError::Truncated, Layer::Tcp)));
    assert_eq!((m.ip_version, m.proto, m.ip_len, m.src), (4, 6, 45, v4_16(SRC4)));
    assert!(!m.l4_ok);
    assert_eq!((m.src_port, m.payload_off, m.payload_len), (0, 0, 0));
}

#[test]
fn error_unsupported_link_type() {
    for lt in [2u32, 119, 147, 163, 240, 1000, u32::MAX] {
        let m = decode(lt, &v4_tcp());
        assert_eq!(m.stop, Some((DecodeError::UnsupportedLinkType, Layer::Link)));
        assert_eq!(m.ip_version, 0);
        assert_eq!(m.caplen, 45);
    }
}

#[test]
fn error_not_ip() {
    let m = decode(linktype::ETHERNET, &eth(0x0806, &[0; 28]));
    assert_eq!(m.stop, Some((DecodeError::NotIp, Layer::Link)));
    assert_eq!((m.ip_version, m.l4_ok), (0, false));
}

#[test]
fn error_bad_ip_version() {
    let mut p = v4_tcp();
    p[0] = 0x55;
    assert_eq!(stop(linktype::ETHERNET, &eth(0x0800, &p)), Some((DecodeError::BadIpVersion, Layer::Ipv4)));
    let p6 = ip6(59, &[]);
    assert_eq!(stop(linktype::ETHERNET, &eth(0x0800, &p6)), Some((DecodeError::BadIpVersion, Layer::Ipv4)));
    assert_eq!(stop(linktype::ETHERNET, &eth(0x86dd, &v4_tcp())), Some((DecodeError::BadIpVersion, Layer::Ipv6)));
}

#[test]
fn error_bad_header_length() {
    let mut p = v4_tcp();
    p[0] = 0x44;
    let m = decode(linktype::ETHERNET, &eth(0x0800, &p));
    assert_eq!(m.stop, Some((DecodeError::BadHeaderLength, Layer::Ipv4)));
    assert_eq!(m.ip_version, 0, "invalid IP header: not tracked");
    // TCP data offset < 5
    let mut p = v4_tcp();
    p[20 + 12] = 0x40;
    let m = decode(linktype::ETHERNET, &eth(0x0800, &p));
    assert_eq!(m.stop, Some((DecodeError::BadHeaderLength, Layer::Tcp)));
    assert_eq!((m.ip_version, m.l4_ok), (4, false));
}

#[test]
fn error_bad_total_length() {
    let mut p = v4_tcp();
    p[2] = 0;
    p[3] = 19;
    let m = decode(linktype::ETHERNET, &eth(0x0800, &p));
    assert_eq!(m.stop, Some((DecodeError::BadTotalLength, Layer::Ipv4)));
    assert_eq!((m.ip_version, m.proto, m.ip_len, m.src), (0, 0, 0, [0; 16]));
    // UDP length < 8
    let mut p = ip4(ip_proto::UDP, &udp(1, 2, b"abc"));
    p[20 + 5] = 7;
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, Some((DecodeError::BadTotalLength, Layer::Udp)));
    assert_eq!((m.ip_version, m.l4_ok), (4, false));
}

#[test]
fn error_bad_extension_header() {
    // Nine destination-options headers.
    let mut payload = udp(1, 2, &[]);
    let mut nh = ip_proto::UDP;
    for _ in 0..9 {
        payload = ext6(nh, 0, &payload);
        nh = ip_proto::DESTINATION_OPTIONS;
    }
    let m = decode(linktype::RAW, &ip6(nh, &payload));
    assert_eq!(m.stop, Some((DecodeError::BadExtensionHeader, Layer::Ipv6Ext)));
    assert_eq!(m.ip_version, 6, "the IPv6 header itself was valid");
    assert!(!m.l4_ok);
    // Eight are fine.
    let m = decode(linktype::RAW, &ip6(nh, &payload[8..]));
    assert_eq!((m.stop, m.proto, m.l4_ok), (None, ip_proto::UDP, true));
    // A header that runs past the stated payload length.
    let mut p = ip6(ip_proto::HOP_BY_HOP, &ext6(ip_proto::UDP, 1, &udp(1, 2, &[])));
    p[5] = 12;
    assert_eq!(stop(linktype::RAW, &p), Some((DecodeError::BadExtensionHeader, Layer::Ipv6Ext)));
    // The same cut by the capture is a truncation.
    let p = ip6(ip_proto::HOP_BY_HOP, &ext6(ip_proto::UDP, 1, &udp(1, 2, &[])));
    assert_eq!(stop(linktype::RAW, &p[..40 + 12]), Some((DecodeError::Truncated, Layer::Ipv6Ext)));
}

#[test]
fn error_fragment() {
    // IPv4 non-first fragment: IP fields kept, no transport.
    let p = ip4x(ip_proto::UDP, 0, 0x2000 | 185, &[0xab; 16]);
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, Some((DecodeError::Fragment, Layer::Ipv4)));
    assert_eq!((m.ip_version, m.proto, m.ip_len, m.src), (4, ip_proto::UDP, 36, v4_16(SRC4)));
    assert_eq!(m.fragment, Some(Fragment { id: 0x1234, offset: 1480, more: true }));
    assert!(!m.l4_ok);
    // Last fragment (MF clear).
    let m = decode(linktype::RAW, &ip4x(ip_proto::UDP, 0, 185, &[0xab; 16]));
    assert_eq!(m.fragment, Some(Fragment { id: 0x1234, offset: 1480, more: false }));
    assert_eq!(m.stop, Some((DecodeError::Fragment, Layer::Ipv4)));
    // IPv6 non-first fragment.
    let p = ip6(ip_proto::FRAGMENT, &frag6(ip_proto::UDP, 1448, false, 0xcafe, &[0; 16]));
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, Some((DecodeError::Fragment, Layer::Ipv6Ext)));
    assert_eq!((m.ip_version, m.proto), (6, ip_proto::UDP));
    assert_eq!(m.fragment, Some(Fragment { id: 0xcafe, offset: 1448, more: false }));
    assert!(!m.l4_ok);
}

#[test]
fn error_too_deep() {
    let five = [(0x8100, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4), (0x8100, 5)];
    let m = decode(linktype::ETHERNET, &eth_tags(&five, 0x0800, &v4_tcp()));
    assert_eq!(m.stop, Some((DecodeError::TooDeep, Layer::Vlan)));
    // Tunnels: one IP-in-IP level more than allowed.
    let mut p = v4_tcp();
    for _ in 0..(MAX_TUNNEL_DEPTH + 1) {
        p = ip4(ip_proto::IPIP, &p);
    }
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, Some((DecodeError::TooDeep, Layer::Link)));
    assert_eq!(m.tunnel_depth, MAX_TUNNEL_DEPTH);
    assert_eq!((m.proto, m.l4_ok), (ip_proto::IPIP, true));
}

// ---- IPv4 -----------------------------------------------------------------------------------

#[test]
fn ipv4_options_are_skipped() {
    let p = ip4x(ip_proto::TCP, 3, 0x4000, &tcp(12345, 80, 0x18, b"hello"));
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, None);
    assert_eq!((m.src_port, m.dst_port), (12345, 80));
    assert_eq!((m.payload_off, m.payload_len), (32 + 20, 5));
    assert_eq!(m.ip_len, 57);
    assert_eq!(m.fragment, None, "DF is not a fragment");
    // Options cut by the capture: the header is not valid as captured.
    let m = decode(linktype::RAW, &p[..28]);
    assert_eq!((m.stop, m.ip_version), (Some((DecodeError::Truncated, Layer::Ipv4)), 0));
}

#[test]
fn ipv4_first_fragment_decodes_transport() {
    let p = ip4x(ip_proto::UDP, 0, 0x2000, &udp(1000, 2000, &[7; 32]));
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, None);
    assert!(m.l4_ok);
    assert_eq!((m.src_port, m.dst_port), (1000, 2000));
    assert_eq!(m.fragment, Some(Fragment { id: 0x1234, offset: 0, more: true }));
}

#[test]
fn ipv4_snaplen_bounds_payload() {
    let p = ip4(ip_proto::TCP, &tcp(1, 2, 0x10, &[0x55; 1000]));
    let m = decode(linktype::RAW, &p[..96]);
    assert_eq!(m.stop, None);
    assert_eq!(m.ip_len, 1040);
    assert_eq!((m.payload_off, m.payload_len), (40, 56));
    assert_eq!(m.caplen, 96);
}

#[test]
fn ipv4_total_length_bounds_transport() {
    // The IP packet ends inside what would be the TCP header: the rest is padding.
    let mut p = ip4(ip_proto::TCP, &tcp(1, 2, 0x10, &[]));
    p[3] = 30;
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, Some((DecodeError::Truncated, Layer::Tcp)));
    assert_eq!((m.ip_version, m.ip_len), (4, 30));
}

// ---- IPv6 -----------------------------------------------------------------------------------

#[test]
fn ipv6_extension_chain() {
    let chain = ext6(
        ip_proto::ROUTING,
        0,
        &ext6(ip_proto::DESTINATION_OPTIONS, 1, &ext6(ip_proto::TCP, 0, &tcp(1, 443, 0x02, &[]))),
    );
    let m = decode(linktype::RAW, &ip6(ip_proto::HOP_BY_HOP, &chain));
    assert_eq!(m.stop, None);
    assert_eq!((m.proto, m.src_port, m.dst_port, m.tcp_flags), (ip_proto::TCP, 1, 443, 0x02));
    assert_eq!(m.payload_off, 40 + 8 + 16 + 8 + 20);
    assert_eq!(m.ip_len, 40 + 52);
    // AH: (n+2)*4 bytes; mobility header as an extension.
    let mut ah = vec![ip_proto::MOBILITY, 4];
    ah.extend_from_slice(&[0; 22]);
    let p = ip6(ip_proto::AH, &cat(&[&ah, &ext6(ip_proto::UDP, 0, &udp(7, 8, b"x"))]));
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, None);
    assert_eq!((m.proto, m.src_port, m.dst_port, m.payload_len), (ip_proto::UDP, 7, 8, 1));
    assert_eq!(m.payload_off, 40 + 24 + 8 + 8);
}

#[test]
fn ipv6_first_fragment() {
    let p = ip6(ip_proto::FRAGMENT, &frag6(ip_proto::UDP, 0, true, 77, &udp(53, 53, &[1; 8])));
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.stop, None);
    assert!(m.l4_ok);
    assert_eq!((m.proto, m.src_port, m.payload_len), (ip_proto::UDP, 53, 8));
    assert_eq!(m.fragment, Some(Fragment { id: 77, offset: 0, more: true }));
}

#[test]
fn ipv6_esp_and_no_next_header() {
    let m = decode(linktype::RAW, &ip6(ip_proto::ESP, &[0xde; 24]));
    assert_eq!((m.stop, m.proto, m.l4_ok, m.src_port, m.dst_port), (None, 50, true, 0, 0));
    assert_eq!((m.payload_off, m.payload_len), (40, 24));
    let m = decode(linktype::RAW, &ip6(ip_proto::HOP_BY_HOP, &ext6(ip_proto::ESP, 0, &[1; 8])));
    assert_eq!((m.stop, m.proto, m.l4_ok), (None, 50, true));
    let m = decode(linktype::RAW, &ip6(ip_proto::DESTINATION_OPTIONS, &ext6(59, 0, &[])));
    assert_eq!((m.stop, m.proto, m.l4_ok, m.payload_len), (None, 59, true, 0));
}

#[test]
fn ipv6_truncated_header() {
    let p = ip6(ip_proto::UDP, &udp(1, 2, &[]));
    let m = decode(linktype::RAW, &p[..39]);
    assert_eq!((m.stop, m.ip_version), (Some((DecodeError::Truncated, Layer::Ipv6)), 0));
    let m = decode(linktype::RAW, &p[..44]);
    assert_eq!((m.stop, m.ip_version, m.ip_len), (Some((DecodeError::Truncated, Layer::Udp)), 6, 48));
}

// ---- transport ------------------------------------------------------------------------------

#[test]
fn tcp_options_and_payload_bounds() {
    let p = ip4(ip_proto::TCP, &tcp_opts(1, 2, 0x11, 3, b"data!"));
    let m = decode(linktype::RAW, &p);
    assert_eq!((m.payload_off, m.payload_len, m.tcp_flags), (20 + 32, 5, 0x11));
    // Options cut by the capture.
    assert_eq!(stop(linktype::RAW, &p[..20 + 25]), Some((DecodeError::Truncated, Layer::Tcp)));
}

#[test]
fn udp_payload_is_the_minimum() {
    // UDP length smaller than the IP payload.
    let mut p = ip4(ip_proto::UDP, &udp(1, 2, &[9; 20]));
    p[20 + 5] = 8 + 10;
    let m = decode(linktype::RAW, &p);
    assert_eq!((m.payload_off, m.payload_len), (28, 10));
    // UDP length larger than the IP payload.
    let mut p = ip4(ip_proto::UDP, &udp(1, 2, &[9; 20]));
    p[20 + 5] = 200;
    let m = decode(linktype::RAW, &p);
    assert_eq!(m.payload_len, 20);
    // Cut by the capture.
    let p = ip4(ip_proto::UDP, &udp(1, 2, &[9; 20]));
    let m = decode(linktype::RAW, &p[..33]);
    assert_eq!((m.payload_len, m.stop), (5, None));
    assert_eq!(stop(linktype::RAW, &p[..27]), Some((DecodeError::Truncated, Layer::Udp)));
}

#[test]
fn icmp_type_and_code() {
    let m = decode(linktype::RAW, &ip4(ip_proto::ICMP, &icmp(8, 0, &[0; 56])));
    assert_eq!((m.stop, m.proto, m.src_port, m.dst_port, m.l4_ok), (None, 1, 8, 0, true));
    assert_eq!((m.payload_off, m.payload_len), (28, 56));
    // Destination unreachable quoting a header: the quote is not decoded.
    let quoted = ip4(ip_proto::TCP, &tcp(5, 6, 2, &[]));
    let m = decode(linktype::RAW, &ip4(ip_proto::ICMP, &icmp(3, 3, &quoted[..28])));
    assert_eq!((m.src_port, m.dst_port, m.src), (3, 3, v4_16(SRC4)));
    assert_eq!((m.payload_off, m.payload_len), (28, 28));
    // Only 4 bytes: still ok, empty payload.
    let m = decode(linktype::RAW, &ip4(ip_proto::ICMP, &[0, 0, 0xff, 0xff]));
    assert_eq!((m.stop, m.l4_ok, m.payload_off, m.payload_len), (None, true, 24, 0));
    let m = decode(linktype::RAW, &ip4(ip_proto::ICMP, &[0, 0, 0xff]));
    assert_eq!((m.stop, m.l4_ok), (Some((DecodeError::Truncated, Layer::Icmp)), false));
    // ICMPv6
    let m = decode(linktype::RAW, &ip6(ip_proto::ICMPV6, &icmp(128, 0, b"ping")));
    assert_eq!((m.stop, m.proto, m.src_port, m.dst_port), (None, 58, 128, 0));
    assert_eq!(m.payload_len, 4);
    let m = decode(linktype::RAW, &ip6(ip_proto::ICMPV6, &[1, 4]));
    assert_eq!(m.stop, Some((DecodeError::Truncated, Layer::Icmpv6)));
}

#[test]
fn sctp_ports() {
    let m = decode(linktype::RAW, &ip4(ip_proto::SCTP, &sctp(2905, 2906, &[0; 16])));
    assert_eq!((m.stop, m.proto, m.src_port, m.dst_port), (None, 132, 2905, 2906));
    assert_eq!((m.payload_off, m.payload_len), (32, 16));
    let m = decode(linktype::RAW, &ip6(ip_proto::SCTP, &[0; 11]));
    assert_eq!((m.stop, m.l4_ok), (Some((DecodeError::Truncated, Layer::Sctp)), false));
}

#[test]
fn other_protocols() {
    for proto in [89u8, 50, 51, 103, 112, 255, 0] {
        let m = decode(linktype::RAW, &ip4(proto, &[1, 2, 3]));
        assert_eq!((m.stop, m.proto, m.l4_ok, m.src_port, m.dst_port), (None, proto, true, 0, 0));
        assert_eq!((m.payload_off, m.payload_len), (20, 3));
    }
}

// ---- tunnels --------------------------------------------------------------------------------

#[test]
fn ip_in_ip() {
    let m = decode(linktype::ETHERNET, &eth(0x0800, &ip4(ip_proto::IPIP, &v4_tcp())));
    assert_v4_tcp(&m, 14 + 20);
    assert_eq!(m.tunnel_depth, 1);
    assert_eq!(m.caplen, 14 + 20 + 45);
    // 6in4
    let inner = ip6(ip_proto::UDP, &udp(10, 20, b"abc"));
    let m = decode(linktype::RAW, &ip4(ip_proto::IPV6, &inner));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src, m.src_port, m.payload_len), (6, 1, src6(), 10, 3));
    // 4in6
    let m = decode(linktype::RAW, &ip6(ip_proto::IPIP, &v4_tcp()));
    assert_v4_tcp(&m, 40);
    // 6in6 after an extension header
    let m = decode(linktype::RAW, &ip6(ip_proto::DESTINATION_OPTIONS, &ext6(ip_proto::IPV6, 0, &inner)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.payload_off), (6, 1, 40 + 8 + 40 + 8));
}

#[test]
fn gre_tunnels() {
    let p = v4_tcp();
    // Plain GRE, IPv4 payload.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x0800, &[], &p)));
    assert_v4_tcp(&m, 24);
    assert_eq!(m.tunnel_depth, 1);
    // Checksum, key and sequence present.
    let opts = [0u8, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1];
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0xb000, 0x0800, &opts, &p)));
    assert_v4_tcp(&m, 36);
    // IPv6 payload over IPv6.
    let inner = ip6(ip_proto::TCP, &tcp(22, 2222, 0x10, &[]));
    let m = decode(linktype::RAW, &ip6(ip_proto::GRE, &gre(0, 0x86dd, &[], &inner)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (6, 1, 22));
    // Transparent Ethernet bridging with a VLAN inside.
    let outer_vlan = eth_tags(&[(0x8100, 10)], 0x0800, &[]);
    let frame = cat(&[&outer_vlan, &ip4(ip_proto::GRE, &gre(0, 0x6558, &[], &eth_tags(&[(0x8100, 20)], 0x0800, &p)))]);
    let m = decode(linktype::ETHERNET, &frame);
    assert_v4_tcp(&m, 18 + 20 + 4 + 18);
    assert_eq!(m.vlan, [10, 20]);
    // A GRE payload we do not follow: the GRE packet is the flow.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x0806, &[], &[0; 28])));
    assert_eq!((m.stop, m.proto, m.l4_ok, m.tunnel_depth), (None, ip_proto::GRE, true, 0));
    // GRE version 2: not followed.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(2, 0x0800, &[], &p)));
    assert_eq!((m.stop, m.proto, m.tunnel_depth), (None, ip_proto::GRE, 0));
    // MPLS over GRE.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x8847, &[], &cat(&[&mpls_label(5, true), &p]))));
    assert_v4_tcp(&m, 28);
}

#[test]
fn erspan() {
    let p = v4_tcp();
    let inner = eth(0x0800, &p);
    // Type I: no sequence number, no ERSPAN header.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x88be, &[], &inner)));
    assert_v4_tcp(&m, 24 + 14);
    // Type II: sequence number, 8-byte header with the original VLAN.
    let hdr2 = [0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0];
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x1000, 0x88be, &[0, 0, 0, 5], &cat(&[&hdr2, &inner]))));
    assert_v4_tcp(&m, 28 + 8 + 14);
    assert_eq!(m.vlan, [100, 0]);
    // Type II with a wrong version: not followed.
    let bad = [0x20, 0x64, 0x00, 0x01, 0, 0, 0, 0];
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x1000, 0x88be, &[0, 0, 0, 5], &cat(&[&bad, &inner]))));
    assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::GRE, None));
    // Type III with the platform subheader.
    let mut hdr3 = vec![0x20, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01];
    hdr3.extend_from_slice(&[0; 8]);
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x1000, 0x22eb, &[0, 0, 0, 5], &cat(&[&hdr3, &inner]))));
    assert_v4_tcp(&m, 28 + 20 + 14);
    // Type II header cut short.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x1000, 0x88be, &[0, 0, 0, 5], &hdr2[..5])));
    assert_eq!((m.stop, m.proto, m.l4_ok), (Some((DecodeError::Truncated, Layer::Link)), ip_proto::GRE, true));
}

#[test]
fn pptp_gre() {
    let p = v4_tcp();
    let ppp = cat(&[&[0xff, 0x03, 0x00, 0x21], &p]);
    // K and S, version 1; key = payload length, call id
    let key = [0u8, ppp.len() as u8, 0, 1];
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x3001, 0x880b, &cat(&[&key, &[0, 0, 0, 3]]), &ppp)));
    assert_v4_tcp(&m, 20 + 12 + 4);
    // Acknowledgment only (payload length 0): not opened.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0x2081, 0x880b, &[0, 0, 0, 1, 0, 0, 0, 2], &[])));
    assert_eq!((m.tunnel_depth, m.stop, m.proto), (0, None, ip_proto::GRE));
}

#[test]
fn vxlan() {
    let inner = eth_tags(&[(0x8100, 77)], 0x0800, &v4_tcp());
    let vx = cat(&[&[0x08, 0, 0, 0, 0, 0x12, 0x34, 0], &inner]);
    let f = eth(0x0800, &ip4(ip_proto::UDP, &udp(49152, 4789, &vx)));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14 + 20 + 8 + 8 + 18);
    assert_eq!((m.tunnel_depth, m.vlan), (1, [77, 0]));
    assert_eq!(m.caplen as usize, f.len());
    // Not VXLAN (I flag clear): the UDP flow stays.
    let vx = cat(&[&[0x00, 0, 0, 0, 0, 0x12, 0x34, 0], &inner]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(49152, 4789, &vx)));
    assert_eq!((m.tunnel_depth, m.proto, m.dst_port, m.stop), (0, ip_proto::UDP, 4789, None));
    // Too short to hold VXLAN + Ethernet.
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(4789, 4789, &[0x08, 0, 0, 0, 0, 0, 1, 0, 1, 2])));
    assert_eq!((m.tunnel_depth, m.stop), (0, None));
    // VXLAN carrying ARP: the outer packet stays described, the stop says why.
    let vx = cat(&[&[0x08, 0, 0, 0, 0, 0, 1, 0], &eth(0x0806, &[0; 28])]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(4789, 4789, &vx)));
    assert_eq!((m.tunnel_depth, m.proto, m.l4_ok), (0, ip_proto::UDP, true));
    assert_eq!(m.stop, Some((DecodeError::NotIp, Layer::Link)));
}

#[test]
fn teredo() {
    let inner = ip6(ip_proto::UDP, &udp(111, 222, b"teredo"));
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(3544, 50000, &inner)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port, m.dst_port, m.payload_len), (6, 1, 111, 222, 6));
    assert_eq!(m.payload_off, 20 + 8 + 40 + 8);
    // With an origin indication.
    let oi = cat(&[&[0, 0, 0xab, 0xcd, 1, 2, 3, 4], &inner]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(50000, 3544, &oi)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (6, 1, 111));
    // Not Teredo: extra bytes after the IPv6 packet.
    let extra = cat(&[&inner, &[0]]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(3544, 50000, &extra)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (4, 0, 3544));
}

#[test]
fn tunnel_inner_failures() {
    // Inner IPv4 header cut: the outer GRE packet stays described.
    let inner = v4_tcp();
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x0800, &[], &inner[..12])));
    assert_eq!(m.stop, Some((DecodeError::Truncated, Layer::Ipv4)));
    assert_eq!((m.ip_version, m.proto, m.l4_ok, m.tunnel_depth), (4, ip_proto::GRE, true, 0));
    assert_eq!((m.payload_off, m.payload_len), (20, 16));
    // Inner IP valid, inner TCP bad: the inner packet is described with l4_ok false.
    let mut bad = v4_tcp();
    bad[20 + 12] = 0x30;
    let m = decode(linktype::RAW, &ip4(ip_proto::IPIP, &bad));
    assert_eq!(m.stop, Some((DecodeError::BadHeaderLength, Layer::Tcp)));
    assert_eq!((m.ip_version, m.proto, m.l4_ok, m.tunnel_depth), (4, ip_proto::TCP, false, 1));
    assert_eq!((m.src_port, m.payload_off, m.payload_len), (0, 0, 0));
    // The inner packet cannot read past the outer payload: here the outer IP total length
    // cuts the inner TCP payload (the rest of the frame is padding).
    let mut f = ip4(ip_proto::IPIP, &v4_tcp());
    f[3] = 20 + 42;
    let m = decode(linktype::RAW, &f);
    assert_eq!((m.tunnel_depth, m.stop, m.payload_off, m.payload_len), (1, None, 60, 2));
    // GRE header cut.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &[0, 0, 8]));
    assert_eq!((m.stop, m.l4_ok, m.tunnel_depth), (Some((DecodeError::Truncated, Layer::Link)), true, 0));
}

#[test]
fn fragments_are_not_opened() {
    let p = ip4x(ip_proto::IPIP, 0, 0x2000, &v4_tcp());
    let m = decode(linktype::RAW, &p);
    assert_eq!((m.tunnel_depth, m.proto, m.stop, m.l4_ok), (0, ip_proto::IPIP, None, true));
    let p = ip6(ip_proto::FRAGMENT, &frag6(ip_proto::IPIP, 0, true, 1, &v4_tcp()));
    let m = decode(linktype::RAW, &p);
    assert_eq!((m.tunnel_depth, m.proto), (0, ip_proto::IPIP));
    // An atomic fragment (offset 0, no more) is a whole packet.
    let p = ip6(ip_proto::FRAGMENT, &frag6(ip_proto::IPIP, 0, false, 1, &v4_tcp()));
    assert_eq!(decode(linktype::RAW, &p).tunnel_depth, 1);
}

#[test]
fn nested_tunnels() {
    // VXLAN in GRE in IPv6-in-IPv4.
    let vx = cat(&[&[0x08, 0, 0, 0, 0, 0, 1, 0], &eth(0x0800, &v4_tcp())]);
    let l3 = ip4(ip_proto::UDP, &udp(1, 4789, &vx));
    let l2 = ip6(ip_proto::GRE, &gre(0, 0x0800, &[], &l3));
    let l1 = ip4(ip_proto::IPV6, &l2);
    let f = eth(0x0800, &l1);
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14 + 20 + 40 + 4 + 20 + 8 + 8 + 14);
    assert_eq!(m.tunnel_depth, 3);
}

// ---- link shims and UDP tunnels Zeek decodes ------------------------------------------------

/// A GTPv1-U T-PDU header (flags, type 0xff, length, TEID) and `opt` (optional field and
/// extension headers) in front of `payload`.
fn gtp_u(flags: u8, opt: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![flags, 0xff];
    b.extend_from_slice(&((opt.len() + payload.len()) as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 7]);
    b.extend_from_slice(opt);
    b.extend_from_slice(payload);
    b
}

/// An AYIYA header (16-byte identity, 20-byte signature) with `opcode` and `next_header`.
fn ayiya_hdr(opcode: u8, next_header: u8) -> Vec<u8> {
    let mut b = vec![0x41, 0x52, 0x10 | opcode, next_header, 0, 0, 0, 1];
    b.extend_from_slice(&[0x5a; 36]);
    b
}

/// An 802.11 data frame header (From DS), QoS when `qos` is Some(QoS control low byte).
fn wlan_hdr(qos: Option<u8>) -> Vec<u8> {
    let fc0 = if qos.is_some() { 0x88 } else { 0x08 };
    let mut b = vec![fc0, 0x02, 0, 0];
    b.extend_from_slice(&MACS);
    b.extend_from_slice(&MACS[..6]);
    b.extend_from_slice(&[0x10, 0x00]);
    if let Some(q) = qos {
        b.extend_from_slice(&[q, 0]);
    }
    b
}

fn snap(ty: u16) -> Vec<u8> {
    let mut b = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
    b.extend_from_slice(&ty.to_be_bytes());
    b
}

fn decode_opts(lt: u32, f: &[u8], opts: super::DecodeOptions) -> PacketMeta {
    let mut m = PacketMeta::default();
    super::decode_frame_with(lt, f, &mut m, MAX_TUNNEL_DEPTH, opts);
    m
}

#[test]
fn fabricpath() {
    // Outer MACs, 0x8903, FTag/TTL, then a classic Ethernet frame.
    let fp = cat(&[&MACS, &[0x89, 0x03, 0x00, 0x3f], &eth(0x0800, &v4_tcp())]);
    let m = decode(linktype::ETHERNET, &fp);
    assert_v4_tcp(&m, 16 + 14);
    assert_eq!(m.tunnel_depth, 0);
    // With a VLAN tag in the inner frame.
    let fp = cat(&[&MACS, &[0x89, 0x03, 0x00, 0x3f], &eth_tags(&[(0x8100, 9)], 0x0800, &v4_tcp())]);
    let m = decode(linktype::ETHERNET, &fp);
    assert_v4_tcp(&m, 16 + 18);
    assert_eq!(m.vlan, [9, 0]);
    // Cut in the FabricPath header or in the inner Ethernet header.
    assert_eq!(stop(linktype::ETHERNET, &fp[..15]), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &fp[..29]), Some((DecodeError::Truncated, Layer::Link)));
}

#[test]
fn pbb() {
    // B-TAG (802.1ad), I-TAG, customer frame with its own VLAN tag.
    let itag = [0x00, 0x1e, 0xbb, 0x30];
    let customer = eth_tags(&[(0x8100, 7)], 0x0800, &v4_tcp());
    let f = eth_tags(&[(0x88a8, 100)], 0x88e7, &cat(&[&itag, &customer]));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 18 + 4 + 18);
    assert_eq!((m.vlan, m.tunnel_depth), ([100, 7], 0));
    // Without the B-TAG.
    let f = eth(0x88e7, &cat(&[&itag, &eth(0x86dd, &ip6(ip_proto::UDP, &udp(1, 2, b"x")))]));
    let m = decode(linktype::ETHERNET, &f);
    assert_eq!((m.ip_version, m.src_port, m.payload_off), (6, 1, 14 + 4 + 14 + 40 + 8));
    // Cut in the I-TAG or the customer header; PBB nested too deep.
    assert_eq!(stop(linktype::ETHERNET, &f[..16]), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(stop(linktype::ETHERNET, &f[..30]), Some((DecodeError::Truncated, Layer::Link)));
    let mut deep = eth(0x0800, &v4_tcp());
    for _ in 0..6 {
        deep = eth(0x88e7, &cat(&[&itag, &deep]));
    }
    assert_eq!(stop(linktype::ETHERNET, &deep), Some((DecodeError::TooDeep, Layer::Link)));
}

#[test]
fn vntag() {
    // VN-Tag then a VLAN tag then IPv4 (Zeek's vntag.pcap).
    let f = eth(0x8926, &cat(&[&[0, 0, 0, 0, 0x81, 0x00], &[0, 11, 0x08, 0x00], &v4_tcp()]));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14 + 6 + 4);
    assert_eq!(m.vlan, [11, 0]);
    // VLAN, VN-Tag, VLAN sandwich.
    let f = eth_tags(&[(0x8100, 250)], 0x8926, &cat(&[&[0, 0, 0, 0x33, 0x81, 0x00], &[0, 250, 0x08, 0x00], &v4_tcp()]));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 18 + 6 + 4);
    assert_eq!(m.vlan, [250, 250]);
    // Directly IPv4; cut tag; too many tags.
    let f = eth(0x8926, &cat(&[&[0, 0, 0, 0, 0x08, 0x00], &v4_tcp()]));
    assert_v4_tcp(&decode(linktype::ETHERNET, &f), 20);
    assert_eq!(stop(linktype::ETHERNET, &f[..19]), Some((DecodeError::Truncated, Layer::Link)));
    let mut many = cat(&[&[0, 0, 0, 0, 0x08, 0x00], &v4_tcp()]);
    for _ in 0..MAX_VLAN_TAGS {
        many = cat(&[&[0, 0, 0, 0, 0x89, 0x26], &many]);
    }
    assert_eq!(stop(linktype::ETHERNET, &eth(0x8926, &many)), Some((DecodeError::TooDeep, Layer::Vlan)));
}

#[test]
fn ieee80211_link_types() {
    let p = v4_tcp();
    // LINKTYPE_IEEE802_11: data frame, LLC/SNAP, IPv4.
    let f = cat(&[&wlan_hdr(None), &snap(0x0800), &p]);
    let m = decode(LINKTYPE_IEEE802_11, &f);
    assert_v4_tcp(&m, 24 + 8);
    // QoS data, behind a radiotap header.
    let rt = [0u8, 0, 12, 0, 0x02, 0, 0, 0, 0x10, 0, 0, 0];
    let f = cat(&[&rt, &wlan_hdr(Some(0)), &snap(0x0800), &p]);
    assert_v4_tcp(&decode(LINKTYPE_IEEE802_11_RADIOTAP, &f), 12 + 26 + 8);
    // IPv6 in a four-address frame.
    let mut h = wlan_hdr(None);
    h[1] = 0x03;
    h.extend_from_slice(&MACS[6..]);
    let f = cat(&[&h, &snap(0x86dd), &ip6(ip_proto::UDP, &udp(5353, 5353, b"mdns"))]);
    let m = decode(LINKTYPE_IEEE802_11, &f);
    assert_eq!((m.ip_version, m.src_port, m.payload_off), (6, 5353, 30 + 8 + 48));
    // A-MSDU: the first subframe is described.
    let sub = cat(&[&snap(0x0800), &p]);
    let amsdu = cat(&[&MACS, &(sub.len() as u16).to_be_bytes(), &sub]);
    let f = cat(&[&wlan_hdr(Some(0x80)), &amsdu, &[0, 0, 0], &amsdu]);
    assert_v4_tcp(&decode(LINKTYPE_IEEE802_11, &f), 26 + 14 + 8);
}

#[test]
fn ieee80211_errors() {
    let p = v4_tcp();
    // Beacon (management), QoS Null (no data), protected data: not IP.
    let mut beacon = wlan_hdr(None);
    beacon[0] = 0x80;
    assert_eq!(stop(LINKTYPE_IEEE802_11, &cat(&[&beacon, &[0; 40]])), Some((DecodeError::NotIp, Layer::Link)));
    let mut null = wlan_hdr(Some(0));
    null[0] = 0xc8;
    assert_eq!(stop(LINKTYPE_IEEE802_11, &null), Some((DecodeError::NotIp, Layer::Link)));
    let mut prot = wlan_hdr(None);
    prot[1] |= 0x40;
    assert_eq!(stop(LINKTYPE_IEEE802_11, &cat(&[&prot, &snap(0x0800), &p])), Some((DecodeError::NotIp, Layer::Link)));
    // LLC that is not SNAP/RFC 1042 (spanning tree), ARP over SNAP.
    let stp = cat(&[&wlan_hdr(None), &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0], &[0; 30]]);
    assert_eq!(stop(LINKTYPE_IEEE802_11, &stp), Some((DecodeError::NotIp, Layer::Link)));
    let arp = cat(&[&wlan_hdr(None), &snap(0x0806), &[0; 28]]);
    assert_eq!(stop(LINKTYPE_IEEE802_11, &arp), Some((DecodeError::NotIp, Layer::Link)));
    // Truncated: header, QoS control, SNAP, A-MSDU subframe header; radiotap length.
    let f = cat(&[&wlan_hdr(Some(0x80)), &[0; 10]]);
    for cut in [&f[..20], &f[..25], &f[..30], &f[..]] {
        assert_eq!(stop(LINKTYPE_IEEE802_11, cut), Some((DecodeError::Truncated, Layer::Link)));
    }
    let f = cat(&[&wlan_hdr(None), &snap(0x0800)[..5]]);
    assert_eq!(stop(LINKTYPE_IEEE802_11, &f), Some((DecodeError::Truncated, Layer::Link)));
    assert_eq!(
        stop(LINKTYPE_IEEE802_11_RADIOTAP, &[0, 0, 40, 0, 0, 0, 0, 0, 1]),
        Some((DecodeError::Truncated, Layer::Link))
    );
    assert_eq!(
        stop(LINKTYPE_IEEE802_11_RADIOTAP, &[0, 0, 4, 0, 0, 0, 0, 0, 1]),
        Some((DecodeError::BadHeaderLength, Layer::Link))
    );
}

#[test]
fn gtp_u_tunnel() {
    let p = v4_tcp();
    // Plain T-PDU between two GTP-U ports.
    let f = eth(0x0800, &ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x30, &[], &p))));
    let m = decode(linktype::ETHERNET, &f);
    assert_v4_tcp(&m, 14 + 20 + 8 + 8);
    assert_eq!((m.tunnel_depth, m.inner_off, m.inner_end), (1, 14 + 36, f.len() as u32));
    // Sequence number, and an extension header chain (PDU session container), to a high port.
    let opt = [0, 1, 0, 0x85, 1, 0x10, 0x05, 0];
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(40000, 2152, &gtp_u(0x36, &opt, &p))));
    assert_v4_tcp(&m, 20 + 8 + 16);
    // IPv6 inside.
    let inner = ip6(ip_proto::UDP, &udp(1234, 5355, b"llmnr"));
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x32, &[0, 9, 0, 0], &inner))));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port, m.dst_port), (6, 1, 1234, 5355));
    // Teredo inside GTP: two tunnels.
    let teredo = ip4(ip_proto::UDP, &udp(50000, 3544, &inner));
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x30, &[], &teredo))));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (6, 2, 1234));
}

#[test]
fn gtp_u_not_opened() {
    let p = v4_tcp();
    let not = |f: &[u8]| {
        let m = decode(linktype::RAW, f);
        assert_eq!((m.tunnel_depth, m.proto, m.l4_ok, m.stop), (0, ip_proto::UDP, true, None), "{:?}", f);
    };
    // Echo request (not a T-PDU), GTP' (PT clear), version 2.
    let mut echo = gtp_u(0x32, &[0, 1, 0, 0], &[]);
    echo[1] = 1;
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &echo)));
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x20, &[], &p))));
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x48, &[0, 0, 0, 0], &p))));
    // Payload is not IP; extension header of length 0; header cut.
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x30, &[], &[0x11; 40]))));
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x34, &[0, 0, 0, 0x85, 0, 0, 0, 0], &p))));
    not(&ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x32, &[], &[]))));
    // Not on the GTP-U port.
    not(&ip4(ip_proto::UDP, &udp(2153, 2151, &gtp_u(0x30, &[], &p))));
    // Inner IPv4 header bad: the outer packet stays described, with the stop.
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x30, &[], &p[..12]))));
    assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::UDP, Some((DecodeError::Truncated, Layer::Ipv4))));
}

#[test]
fn ayiya() {
    let inner6 = ip6(ip_proto::TCP, &tcp(53382, 80, 0x02, &[]));
    let f = ip6(ip_proto::UDP, &udp(5072, 5072, &cat(&[&ayiya_hdr(1, 41), &inner6])));
    let m = decode(linktype::RAW, &f);
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port, m.tcp_flags), (6, 1, 53382, 0x02));
    assert_eq!(m.inner_off as usize, 40 + 8 + 44);
    // IPv4 inside.
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(40000, 5072, &cat(&[&ayiya_hdr(1, 4), &v4_tcp()]))));
    assert_v4_tcp(&m, 20 + 8 + 44);
    // Not forwarded data (echo), other next header, empty, cut header: plain UDP.
    for payload in [
        cat(&[&ayiya_hdr(2, 41), &inner6]),
        cat(&[&ayiya_hdr(1, 17), &inner6]),
        ayiya_hdr(1, 41),
        ayiya_hdr(1, 41)[..30].to_vec(),
    ] {
        let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(5072, 5072, &payload)));
        assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::UDP, None));
    }
}

#[test]
fn udp_tunnel_content_detection() {
    use super::DecodeOptions;
    let zeek = DecodeOptions { detect_udp_tunnels: true };
    // Teredo on another port: an IPv6 packet from a Teredo address (2001:0::/32).
    let mut inner = ip6(ip_proto::ICMPV6, &icmp(128, 0, b"ping"));
    inner[8..12].copy_from_slice(&[0x20, 0x01, 0, 0]);
    let f = ip4(ip_proto::UDP, &udp(3797, 32900, &inner));
    assert_eq!(decode(linktype::RAW, &f).tunnel_depth, 0, "Suricata: Teredo on port 3544 only");
    let m = decode_opts(linktype::RAW, &f, zeek);
    assert_eq!((m.ip_version, m.tunnel_depth, m.proto), (6, 1, ip_proto::ICMPV6));
    // No Teredo address, no origin indication: not Teredo.
    let f = ip4(ip_proto::UDP, &udp(3797, 32900, &ip6(ip_proto::ICMPV6, &icmp(128, 0, b"ping"))));
    assert_eq!(decode_opts(linktype::RAW, &f, zeek).tunnel_depth, 0);
    // AYIYA on another port.
    let f = ip4(ip_proto::UDP, &udp(1000, 2000, &cat(&[&ayiya_hdr(1, 4), &v4_tcp()])));
    assert_eq!(decode(linktype::RAW, &f).tunnel_depth, 0);
    assert_v4_tcp(&decode_opts(linktype::RAW, &f, zeek), 20 + 8 + 44);
    // The option does not change a packet on a tunnel port.
    let f = ip4(ip_proto::UDP, &udp(4789, 1000, &cat(&[&ayiya_hdr(1, 4), &v4_tcp()])));
    assert_eq!(decode_opts(linktype::RAW, &f, zeek).tunnel_depth, 0);
}

#[test]
fn teredo_authentication() {
    let inner = ip6(ip_proto::ICMPV6, &icmp(133, 0, &[0; 8]));
    let auth = [0u8, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0];
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(3797, 3544, &cat(&[&auth, &inner]))));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (6, 1, 133));
    assert_eq!(m.inner_off as usize, 20 + 8 + 13);
    // Authentication, then an origin indication.
    let oi = [0u8, 0, 0xf1, 0x2a, 0xb9, 0xc8, 0x28, 0x15];
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(3544, 3797, &cat(&[&auth, &oi, &inner]))));
    assert_eq!((m.ip_version, m.tunnel_depth), (6, 1));
    assert_eq!(m.inner_off as usize, 20 + 8 + 21);
}

#[test]
fn gre_in_udp_and_aruba() {
    let p = v4_tcp();
    // GRE in UDP (port 4754) carrying IPv4.
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(51714, 4754, &gre(0, 0x0800, &[], &p))));
    assert_v4_tcp(&m, 20 + 8 + 4);
    assert_eq!((m.tunnel_depth, m.inner_off), (1, 32));
    // Not GRE on that port (bad version, truncated): plain UDP.
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(51714, 4754, &gre(5, 0x0800, &[], &p))));
    assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::UDP, None));
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(51714, 4754, &[0, 0])));
    assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::UDP, None));
    // Aruba GRE (0x8200..0x8370): an 802.11 frame, here an A-MSDU.
    let sub = cat(&[&snap(0x0800), &p]);
    let wifi = cat(&[&wlan_hdr(Some(0x80)), &MACS, &(sub.len() as u16).to_be_bytes(), &sub]);
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x8240, &[], &wifi)));
    assert_v4_tcp(&m, 24 + 26 + 14 + 8);
    assert_eq!((m.tunnel_depth, m.inner_off), (1, 24));
    // 0x8245 is not one of them: the GRE packet is the flow.
    let m = decode(linktype::RAW, &ip4(ip_proto::GRE, &gre(0, 0x8245, &[], &wifi)));
    assert_eq!((m.tunnel_depth, m.proto, m.stop), (0, ip_proto::GRE, None));
}

#[test]
fn geneve() {
    let p = v4_tcp();
    // Ethernet, with one option word.
    let g = cat(&[&[0x01, 0, 0x65, 0x58, 0, 0, 1, 0], &[0, 1, 2, 0], &eth(0x0800, &p)]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(12345, 6081, &g)));
    assert_v4_tcp(&m, 20 + 8 + 12 + 14);
    // IPv4 and IPv6 directly.
    let g = cat(&[&[0, 0, 0x08, 0x00, 0, 0, 1, 0], &p]);
    assert_v4_tcp(&decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(12345, 6081, &g))), 20 + 8 + 8);
    let inner = ip6(ip_proto::UDP, &udp(40000, 40001, b"hello"));
    let g = cat(&[&[0, 0, 0x86, 0xdd, 0x12, 0x34, 0x56, 0], &inner]);
    let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(12345, 6081, &g)));
    assert_eq!((m.ip_version, m.tunnel_depth, m.src_port), (6, 1, 40000));
    // Version 1, other protocol, from port 6081 (destination only): not opened.
    for (g, sp, dp) in [
        (cat(&[&[0x40, 0, 0x08, 0x00, 0, 0, 1, 0], &p]), 1, 6081),
        (cat(&[&[0, 0, 0x88, 0x47, 0, 0, 1, 0], &p]), 1, 6081),
        (cat(&[&[0, 0, 0x08, 0x00, 0, 0, 1, 0], &p]), 6081, 1),
    ] {
        let m = decode(linktype::RAW, &ip4(ip_proto::UDP, &udp(sp, dp, &g)));
        assert_eq!((m.tunnel_depth, m.proto), (0, ip_proto::UDP));
    }
}

// ---- mutation -------------------------------------------------------------------------------

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn seeds() -> Vec<(u32, Vec<u8>)> {
    let p4 = v4_tcp();
    let p6 = ip6(ip_proto::UDP, &udp(5353, 53, b"query"));
    let mut v = vec![
        (linktype::ETHERNET, eth(0x0800, &p4)),
        (linktype::ETHERNET, eth(0x86dd, &p6)),
        (linktype::ETHERNET, eth_tags(&[(0x88a8, 1), (0x8100, 2)], 0x0800, &p4)),
        (linktype::ETHERNET, eth(0x8847, &cat(&[&mpls_label(1, false), &mpls_label(2, true), &p4]))),
        (linktype::ETHERNET, eth(0x8847, &cat(&[&mpls_label(300, true), &[0, 0, 0, 0], &eth(0x0800, &p4)]))),
        (linktype::ETHERNET, eth(0x8864, &cat(&[&[0x11, 0, 0, 1, 0, 47, 0, 0x21], &p4]))),
        (linktype::LINUX_SLL, cat(&[&[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00], &p4])),
        (linktype::LINUX_SLL2, cat(&[&[0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0], &p6])),
        (linktype::NULL, cat(&[&[2, 0, 0, 0], &p4])),
        (linktype::LOOP, cat(&[&[0, 0, 0, 24], &p6])),
        (linktype::RAW, p4.clone()),
        (linktype::IPV6, p6.clone()),
        (LINKTYPE_PPP, cat(&[&[0xff, 0x03, 0x00, 0x21], &p4])),
        (LINKTYPE_C_HDLC, cat(&[&[0x0f, 0x00, 0x86, 0xdd], &p6])),
        (linktype::RAW, ip4x(ip_proto::TCP, 2, 0x2000, &tcp_opts(1, 2, 0x02, 2, b"opts"))),
        (linktype::RAW, ip4x(ip_proto::UDP, 0, 0x2000 | 3, &[0; 24])),
        (linktype::RAW, ip4(ip_proto::ICMP, &icmp(3, 3, &p4[..28]))),
        (linktype::RAW, ip4(ip_proto::SCTP, &sctp(1, 2, &[0; 16]))),
        (linktype::RAW, ip6(ip_proto::ICMPV6, &icmp(128, 0, b"ping"))),
        (
            linktype::RAW,
            ip6(
                ip_proto::HOP_BY_HOP,
                &ext6(
                    ip_proto::FRAGMENT,
                    0,
                    &frag6(ip_proto::AH, 0, true, 9, &cat(&[&[6, 2, 0, 0], &[0; 12], &tcp(1, 2, 2, &[])])),
                ),
            ),
        ),
        (linktype::RAW, ip6(ip_proto::ESP, &[1; 16])),
        (linktype::RAW, ip4(ip_proto::IPIP, &p4)),
        (linktype::RAW, ip6(ip_proto::GRE, &gre(0xb000, 0x6558, &[0; 12], &eth_tags(&[(0x8100, 3)], 0x0800, &p4)))),
        (
            linktype::RAW,
            ip4(ip_proto::GRE, &gre(0x4000, 0x0800, &[0, 0, 0, 0, 8, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0], &p4)),
        ),
        (
            linktype::RAW,
            ip4(
                ip_proto::GRE,
                &gre(0x1000, 0x88be, &[0, 0, 0, 1], &cat(&[&[0x10, 5, 0, 1, 0, 0, 0, 0], &eth(0x0800, &p4)])),
            ),
        ),
        (
            linktype::RAW,
            ip4(ip_proto::GRE, &gre(0x3001, 0x880b, &[0, 49, 0, 1, 0, 0, 0, 1], &cat(&[&[0xff, 3, 0, 0x21], &p4]))),
        ),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(1, 4789, &cat(&[&[8, 0, 0, 0, 0, 0, 1, 0], &eth(0x0800, &p4)])))),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(3544, 1, &p6))),
        // Formats Zeek decodes: FabricPath, PBB, VN-Tag, 802.11 (plain, radiotap, Aruba GRE,
        // A-MSDU), GTP-U with extension headers, AYIYA, GRE in UDP, GENEVE with IP, Teredo with
        // authentication.
        (linktype::ETHERNET, cat(&[&MACS, &[0x89, 0x03, 0x00, 0x3f], &eth(0x0800, &p4)])),
        (linktype::ETHERNET, eth_tags(&[(0x88a8, 9)], 0x88e7, &cat(&[&[0, 0, 0, 1], &eth(0x86dd, &p6)]))),
        (linktype::ETHERNET, eth(0x8926, &cat(&[&[0, 0, 0, 0, 0x81, 0x00], &[0, 11, 0x08, 0x00], &p4]))),
        (LINKTYPE_IEEE802_11, cat(&[&wlan_hdr(None), &snap(0x0800), &p4])),
        (
            LINKTYPE_IEEE802_11_RADIOTAP,
            cat(&[&[0, 0, 12, 0, 2, 0, 0, 0, 0x10, 0, 0, 0], &wlan_hdr(Some(0)), &snap(0x86dd), &p6]),
        ),
        (
            linktype::RAW,
            ip4(
                ip_proto::GRE,
                &gre(
                    0,
                    0x8200,
                    &[],
                    &cat(&[&wlan_hdr(Some(0x80)), &MACS, &((p4.len() + 8) as u16).to_be_bytes(), &snap(0x0800), &p4]),
                ),
            ),
        ),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(2152, 2152, &gtp_u(0x36, &[0, 1, 0, 0x85, 1, 0x10, 5, 0], &p4)))),
        (linktype::RAW, ip6(ip_proto::UDP, &udp(5072, 5072, &cat(&[&ayiya_hdr(1, 41), &p6])))),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(1, 4754, &gre(0x2000, 0x86dd, &[0, 0, 0, 1], &p6)))),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(1, 6081, &cat(&[&[1, 0, 0x08, 0x00, 0, 0, 1, 0, 0, 1, 2, 0], &p4])))),
        (
            linktype::RAW,
            ip4(ip_proto::UDP, &udp(3544, 1, &cat(&[&[0, 1, 1, 1, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0], &p6]))),
        ),
        // NFLOG, and 802.3 with LLC/SNAP.
        (LINKTYPE_NFLOG, hex(NFLOG_HTTP_FRAME6)),
        (linktype::ETHERNET, hex(CAPWAP_FRAME1)),
        (linktype::RAW, ip4(ip_proto::UDP, &udp(5247, 1, &cat(&[&[0, 0x10, 0, 0, 0, 0, 0, 0], &eth(0x0800, &p4)])))),
        (linktype::ETHERNET, eth((p4.len() + 8) as u16, &cat(&[&snap(0x0800), &p4]))),
    ];
    // A deep tunnel stack.
    let mut deep = p4.clone();
    for _ in 0..6 {
        deep = ip4(ip_proto::IPIP, &deep);
    }
    v.push((linktype::RAW, deep));
    v
}

fn check_invariants(f: &[u8], m: &PacketMeta) {
    assert_eq!(m.caplen as usize, f.len());
    if m.l4_ok {
        assert!(m.ip_version == 4 || m.ip_version == 6, "{:?}", m);
        assert!(m.payload_off as u64 + m.payload_len as u64 <= m.caplen as u64, "{:?}", m);
    } else {
        assert_eq!((m.src_port, m.dst_port, m.payload_off, m.payload_len, m.tcp_flags), (0, 0, 0, 0, 0));
    }
    if m.stop.is_none() {
        assert!(m.l4_ok, "everything decoded but no transport: {:?}", m);
    }
    if m.ip_version == 0 {
        assert!(m.stop.is_some() && m.src == [0; 16] && m.proto == 0 && m.ip_len == 0);
    }
    if m.ip_version == 4 {
        assert_eq!(&m.src[4..], &[0; 12]);
        assert_eq!(&m.dst[4..], &[0; 12]);
    }
    assert!(m.tunnel_depth <= MAX_TUNNEL_DEPTH);
}

#[test]
fn mutation_never_panics() {
    let seeds = seeds();
    // Every seed decodes fully before it is mutated (but for a non-first fragment and the deep
    // tunnel stack, which stop on purpose).
    for (lt, f) in &seeds {
        let m = decode(*lt, f);
        let ok = match m.stop {
            None => true,
            Some((e, _)) => e == DecodeError::Fragment || e == DecodeError::TooDeep,
        };
        assert!(ok, "seed {:?}: {:?}", f, m);
        check_invariants(f, &m);
    }
    let linktypes = [
        linktype::ETHERNET,
        linktype::RAW,
        linktype::NULL,
        linktype::LOOP,
        linktype::LINUX_SLL,
        linktype::LINUX_SLL2,
        linktype::IPV4,
        linktype::IPV6,
        LINKTYPE_PPP,
        LINKTYPE_C_HDLC,
        LINKTYPE_IEEE802_11,
        LINKTYPE_IEEE802_11_RADIOTAP,
        LINKTYPE_NFLOG,
        7,
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut meta = PacketMeta::default();
    let mut decoded_l4 = 0u32;
    const ROUNDS: u32 = 300_000;
    for round in 0..ROUNDS {
        let (lt, seed) = &seeds[rng.below(seeds.len())];
        buf.clear();
        buf.extend_from_slice(seed);
        let mut lt = *lt;
        // 1 to 4 mutations
        for _ in 0..1 + rng.below(4) {
            match rng.below(8) {
                0 | 1 => {
                    // flip random bits
                    if !buf.is_empty() {
                        let i = rng.below(buf.len());
                        buf[i] ^= 1 << rng.below(8);
                    }
                }
                2 => {
                    // set a byte to an interesting value
                    if !buf.is_empty() {
                        let i = rng.below(buf.len());
                        buf[i] = [0, 1, 0x0f, 0x40, 0x45, 0x60, 0x7f, 0x80, 0xff][rng.below(9)];
                    }
                }
                3 => {
                    // truncate
                    let n = rng.below(buf.len() + 1);
                    buf.truncate(n);
                }
                4 => {
                    // extend with random bytes
                    for _ in 0..rng.below(64) {
                        buf.push(rng.next() as u8);
                    }
                }
                5 => {
                    // overwrite a 16-bit field with a random or extreme value
                    if buf.len() >= 2 {
                        let i = rng.below(buf.len() - 1);
                        let v: u16 = [0, 1, 4, 7, 8, 20, 0x05ff, 0x0800, 0x8100, 0x86dd, 0xffff, rng.next() as u16]
                            [rng.below(12)];
                        buf[i..i + 2].copy_from_slice(&v.to_be_bytes());
                    }
                }
                6 => {
                    // random byte
                    if !buf.is_empty() {
                        let i = rng.below(buf.len());
                        buf[i] = rng.next() as u8;
                    }
                }
                _ => {
                    // another link type now and then
                    if rng.below(4) == 0 {
                        lt = linktypes[rng.below(linktypes.len())];
                    }
                }
            }
        }
        decode_frame(lt, &buf, &mut meta);
        check_invariants(&buf, &meta);
        if meta.l4_ok {
            decoded_l4 += 1;
        }
        // Reusing a dirty meta gives the same result as a fresh one.
        if round % 64 == 0 {
            let fresh = decode(lt, &buf);
            assert_eq!(format!("{:?}", fresh), format!("{:?}", meta));
        }
    }
    // The mutations are not so wild that nothing decodes.
    assert!(decoded_l4 > ROUNDS / 4, "{}", decoded_l4);
    // Every prefix of every seed, and every seed under every link type.
    for (lt, f) in &seeds {
        for n in 0..=f.len() {
            decode_frame(*lt, &f[..n], &mut meta);
            check_invariants(&f[..n], &meta);
        }
        for &other in &linktypes {
            decode_frame(other, f, &mut meta);
            check_invariants(f, &meta);
        }
    }
}
