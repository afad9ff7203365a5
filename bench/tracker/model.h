/* The simulated swarm shared by udpload.c and httpload.c, so both protocols announce the same
 * torrents and peers, and the whitelist written by `udpload -W` matches what they send.
 *
 * Torrents: `torrents` info hashes derived from a seed (splitmix64), scraped uniformly.
 * Peers: `peers` simulated peers, each fixed to one torrent, one source IP
 * (127.0.0.2 + p % MODEL_IPS) and one port (1025 + p / MODEL_IPS), so (IP, port) and
 * peer_id are both unique. Trackers that key peers by address (opentracker, aquatic) and
 * those that key them by peer_id see the same swarms. 75% are seeders (left=0).
 * Swarm sizes are skewed as on a real tracker: a peer's torrent index is exponential with
 * mean torrents/MODEL_SKEW, so with 10k torrents and 100k peers about 2k torrents hold
 * peers (the largest ~350) and ~90% of announces land in a swarm of more than 30 peers:
 * numwant=30 replies are full, which is the work a tracker is measured on.
 */
#ifndef TRACKER_BENCH_MODEL_H
#define TRACKER_BENCH_MODEL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MODEL_IPS 8
#define MODEL_SKEW 32.0
#define MODEL_FIRST_PORT 1025
#define MODEL_DEFAULT_SEED 0x74726b62656e6368ULL /* "trkbench" */
#define MODEL_LEFT 734003200ULL                 /* a leecher's `left`: 700 MiB */

static inline uint64_t model_mix(uint64_t x) {
    /* splitmix64's finaliser: a fixed, well-spread 64-bit hash */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t model_hash(uint64_t seed, uint64_t kind, uint64_t i) {
    return model_mix(seed ^ model_mix(kind * 0x100000001ULL ^ model_mix(i)));
}

static inline void model_info_hash(uint64_t seed, uint32_t t, uint8_t out[20]) {
    for (int w = 0; w < 3; w++) {
        uint64_t h = model_hash(seed, 1 + (uint64_t)w, t);
        memcpy(out + 8 * w, &h, w < 2 ? 8 : 4);
    }
}

static inline uint32_t model_peer_torrent(uint64_t seed, uint32_t p, uint32_t torrents) {
    double u = (double)(model_hash(seed, 10, p) >> 11) * 0x1.0p-53; /* [0, 1) */
    double t = -log1p(-u) * (double)torrents / MODEL_SKEW;
    return (uint32_t)((uint64_t)t % torrents);
}

static inline int model_peer_seeder(uint64_t seed, uint32_t p) {
    return model_hash(seed, 11, p) % 4 != 0;
}

static inline uint32_t model_peer_key(uint64_t seed, uint32_t p) {
    return (uint32_t)model_hash(seed, 12, p);
}

static inline void model_peer_id(uint32_t p, uint8_t out[20]) {
    /* "-TB0001-" and 12 decimal digits of p (Azureus style, unique per peer) */
    memcpy(out, "-TB0001-", 8);
    for (int i = 19; i >= 8; i--, p /= 10) out[i] = (uint8_t)('0' + p % 10);
}

static inline int model_peer_ip_index(uint32_t p) { return (int)(p % MODEL_IPS); }

static inline uint16_t model_peer_port(uint32_t p) {
    return (uint16_t)(MODEL_FIRST_PORT + p / MODEL_IPS);
}

static inline int model_check(uint32_t torrents, uint32_t peers) {
    if (torrents == 0 || peers == 0) return -1;
    if ((uint64_t)MODEL_FIRST_PORT + peers / MODEL_IPS > 65535) return -1;
    return 0;
}

/* Mean of min(numwant, swarm size - self) over all peers: what the average announce reply
 * carries once every peer has announced. self = 0 if the tracker may return the announcer
 * itself (opentracker does), 1 if it leaves it out. */
static inline double model_full_reply_peers(uint64_t seed, uint32_t torrents, uint32_t peers,
                                            uint32_t numwant, uint32_t self) {
    uint32_t *size = calloc(torrents, sizeof *size);
    if (!size) return 0;
    for (uint32_t p = 0; p < peers; p++) size[model_peer_torrent(seed, p, torrents)]++;
    double sum = 0;
    for (uint32_t p = 0; p < peers; p++) {
        uint32_t n = size[model_peer_torrent(seed, p, torrents)] - self;
        sum += n < numwant ? n : numwant;
    }
    free(size);
    return sum / peers;
}

static inline int model_write_whitelist(const char *path, uint64_t seed, uint32_t torrents) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint8_t h[20];
    for (uint32_t t = 0; t < torrents; t++) {
        model_info_hash(seed, t, h);
        for (int i = 0; i < 20; i++) fprintf(f, "%02x", h[i]);
        fputc('\n', f);
    }
    return fclose(f);
}

static inline uint64_t model_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: the per-socket request generator (not the model, which is hashed) */
static inline uint64_t model_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static inline uint32_t model_below(uint64_t *s, uint32_t n) {
    return (uint32_t)(((model_rand(s) >> 32) * (uint64_t)n) >> 32);
}

#endif
