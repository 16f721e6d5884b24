/*
 * flood-gen: a classic pcap of N SYN-only TCP flows, one packet each, every 5-tuple distinct,
 * packet time increasing by a fixed step. pcapgen cannot make this (its flows complete); the
 * flow-flood benchmark (bench/flood.ts) replays it to fill the flow table up to the memcap.
 *
 *   cc -O2 -o flood-gen flood-gen.c
 *   flood-gen -n FLOWS [-t STEP_NS] [-o FILE]      (default 2000000 flows, 1000 ns, stdout)
 *
 * Tuples: flow i comes from 10.0.0.0/8 address (i & 0xffffff), source port 1024 + (i >> 24), to
 * 192.0.2.1:443 (TEST-NET-1). Frames are Ethernet + IPv4 + TCP (SYN), 54 bytes, nanosecond pcap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void usage(void) {
    fprintf(stderr, "usage: flood-gen -n FLOWS [-t STEP_NS] [-o FILE]\n");
    exit(2);
}

int main(int argc, char **argv) {
    uint64_t flows = 2000000, step = 1000;
    const char *out = NULL;
    int c;
    while ((c = getopt(argc, argv, "n:t:o:h")) != -1) {
        switch (c) {
        case 'n': flows = strtoull(optarg, NULL, 10); break;
        case 't': step = strtoull(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        default: usage();
        }
    }
    if (flows == 0 || flows > (1ULL << 32) || step == 0) usage();
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) { perror(out); return 1; }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);

    /* Global header: nanosecond magic, v2.4, snaplen 65535, LINKTYPE_ETHERNET. */
    uint8_t gh[24] = {0};
    uint32_t magic = 0xa1b23c4d; /* written in host (little-endian) order like libpcap */
    memcpy(gh, &magic, 4);
    uint16_t vmaj = 2, vmin = 4;
    memcpy(gh + 4, &vmaj, 2);
    memcpy(gh + 6, &vmin, 2);
    uint32_t snap = 65535, lt = 1;
    memcpy(gh + 16, &snap, 4);
    memcpy(gh + 20, &lt, 4);
    fwrite(gh, 1, sizeof gh, f);

    uint8_t frame[54];
    memset(frame, 0, sizeof frame);
    const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(frame, dmac, 6);
    memcpy(frame + 6, smac, 6);
    put16(frame + 12, 0x0800);
    uint8_t *ip = frame + 14, *tcp = frame + 34;
    const uint64_t t0 = 1700000000ULL * 1000000000ULL;
    for (uint64_t i = 0; i < flows; i++) {
        uint64_t ts = t0 + i * step;
        uint32_t low = (uint32_t)(i & 0xffffff);
        uint16_t sport = (uint16_t)(1024 + (i >> 24));
        /* IPv4 */
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put16(ip + 2, 40);
        put16(ip + 4, (uint16_t)i);
        ip[8] = 64;
        ip[9] = 6;
        put32(ip + 12, 0x0a000000u | low);
        put32(ip + 16, 0xc0000201u);
        put16(ip + 10, csum(ip, 20, 0));
        /* TCP SYN */
        memset(tcp, 0, 20);
        put16(tcp, sport);
        put16(tcp + 2, 443);
        put32(tcp + 4, (uint32_t)(i * 2654435761u));
        tcp[12] = 0x50;
        tcp[13] = 0x02;
        put16(tcp + 14, 64240);
        uint32_t ph = (0x0a00 + (low >> 16)) + (low & 0xffff) + 0xc000 + 0x0201 + 6 + 20;
        put16(tcp + 16, csum(tcp, 20, ph));
        /* Record header (host order, like libpcap writes it). */
        uint32_t rh[4] = {(uint32_t)(ts / 1000000000ULL), (uint32_t)(ts % 1000000000ULL), sizeof frame, sizeof frame};
        fwrite(rh, 1, sizeof rh, f);
        fwrite(frame, 1, sizeof frame, f);
    }
    if (fflush(f) != 0 || (out && fclose(f) != 0)) { perror(out ? out : "stdout"); return 1; }
    return 0;
}
