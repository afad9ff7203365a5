/* BEP 15 (UDP tracker) load generator: keeps a window of requests in flight on several
 * sockets, each bound to its own loopback source address, and counts the replies.
 *
 *   udpload [-s SOCKETS] [-w WINDOW] [-n NUMWANT] [-S SEED]
 *           HOST PORT DURATION WARMUP TORRENTS PEERS
 *   udpload -W FILE [-S SEED] TORRENTS     write the TORRENTS info hashes (hex lines) and exit
 *
 * Traffic: 99% announces, 1% scrapes of 1-10 hashes; the swarm model is in model.h. Each
 * socket sends a connect first and again every 60 s (BEP 15 connection IDs live 2 minutes),
 * and keeps WINDOW requests in flight (default 8 x 16: a tracker socket with Linux's default
 * 208 KiB receive buffer holds ~200 queued datagrams, and a deeper window measures drops).
 * Sends and receives are batched with sendmmsg/recvmmsg.
 * Warm-up lasts WARMUP seconds and at least until every peer has announced once (capped at
 * 60 s more), so replies carry full peer lists; then DURATION seconds are measured and one
 * JSON object is printed. Error replies (action 3) are counted in `errors`, not as responses;
 * a reply arriving after its request was given up (`late`) still counts as a response.
 * Build: gcc -O2 -o udpload udpload.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model.h"

#define MAX_WINDOW 256
#define MAX_SOCKETS 64
#define BUF_SIZE 1500
#define REQ_SIZE 256
#ifndef RECONNECT_NS
#define RECONNECT_NS (60ULL * 1000000000ULL)
#endif
#define MIN_TIMEOUT_NS (50ULL * 1000000ULL)
#define MAX_TIMEOUT_NS (1000ULL * 1000000ULL)
#define FILL_CAP_NS (60ULL * 1000000000ULL)
#define STALL_NS (10ULL * 1000000000ULL)
#define PROTOCOL_ID 0x41727101980ULL

enum { K_CONNECT, K_ANNOUNCE, K_SCRAPE };

struct slot {
    uint64_t sent_ns;
    uint16_t gen;
    uint8_t kind;
    uint8_t busy;
    uint8_t nhashes;
    uint16_t len;
    uint8_t buf[REQ_SIZE];
};

struct sock {
    int fd;
    int index;
    uint64_t conn_id;
    uint64_t conn_at;
    int connect_busy;
    uint16_t gen;
    uint32_t fill_next; /* prefill walks this socket's peers in order: s, s+S, s+2S, ... */
    uint64_t rng;
    struct slot slots[MAX_WINDOW];
    int free_slots[MAX_WINDOW];
    int nfree;
    struct mmsghdr send_msgs[MAX_WINDOW];
    struct iovec send_iov[MAX_WINDOW];
    struct mmsghdr recv_msgs[MAX_WINDOW];
    struct iovec recv_iov[MAX_WINDOW];
    uint8_t recv_buf[MAX_WINDOW][BUF_SIZE];
};

struct counters {
    uint64_t connects, announces, scrapes, peers, errors, invalid, timeouts, late, refused;
};

static struct sock *socks;
static int nsocks = 8, window = 16;
static uint32_t numwant = 30, ntorrents, npeers;
static uint64_t seed = MODEL_DEFAULT_SEED;
static uint8_t *announced; /* per peer: has sent `started` */
static uint8_t (*hashes)[20];
static struct counters cnt;
static uint64_t last_response_ns;
static int64_t srtt_ns = 1000000;

static void put32(uint8_t *p, uint32_t v) { v = htonl(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) {
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return ntohl(v); }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static uint32_t make_tid(struct sock *s, int slot) {
    /* gen:16 | socket:8 | slot:8 -- a reply names the slot it answers */
    return (uint32_t)s->slots[slot].gen << 16 | (uint32_t)s->index << 8 | (uint32_t)slot;
}

static uint32_t owned(const struct sock *s) { /* peers p with p % SOCKETS == socket index */
    return (npeers - (uint32_t)s->index + (uint32_t)nsocks - 1) / (uint32_t)nsocks;
}

static uint32_t pick_peer(struct sock *s) {
    if (s->fill_next < owned(s)) return (uint32_t)s->index + (s->fill_next++) * (uint32_t)nsocks;
    return (uint32_t)s->index + model_below(&s->rng, owned(s)) * (uint32_t)nsocks;
}

static void build(struct sock *s, int i, int kind) {
    struct slot *sl = &s->slots[i];
    uint8_t *b = sl->buf;
    sl->kind = (uint8_t)kind;
    sl->gen = ++s->gen;
    uint32_t tid = make_tid(s, i);
    if (kind == K_CONNECT) {
        put64(b, PROTOCOL_ID);
        put32(b + 8, 0);
        put32(b + 12, tid);
        sl->len = 16;
        return;
    }
    put64(b, s->conn_id);
    put32(b + 12, tid);
    if (kind == K_SCRAPE) {
        int n = 1 + (int)model_below(&s->rng, ntorrents < 10 ? ntorrents : 10);
        put32(b + 8, 2);
        uint32_t picked[10];
        for (int k = 0; k < n; k++) { /* distinct hashes: one reply entry per hash asked */
            uint32_t t;
        again:
            t = model_below(&s->rng, ntorrents);
            for (int j = 0; j < k; j++)
                if (picked[j] == t) goto again;
            picked[k] = t;
            memcpy(b + 16 + 20 * k, hashes[t], 20);
        }
        sl->nhashes = (uint8_t)n;
        sl->len = (uint16_t)(16 + 20 * n);
        return;
    }
    uint32_t p = pick_peer(s);
    put32(b + 8, 1);
    memcpy(b + 16, hashes[model_peer_torrent(seed, p, ntorrents)], 20);
    model_peer_id(p, b + 36);
    put64(b + 56, 0);                                         /* downloaded */
    put64(b + 64, model_peer_seeder(seed, p) ? 0 : MODEL_LEFT); /* left */
    put64(b + 72, 0);                                         /* uploaded */
    put32(b + 80, announced[p] ? 0 : 2);                      /* none / started */
    announced[p] = 1;
    put32(b + 84, 0);                                         /* ip: the source address */
    put32(b + 88, model_peer_key(seed, p));
    put32(b + 92, numwant);
    b[96] = (uint8_t)(model_peer_port(p) >> 8);
    b[97] = (uint8_t)model_peer_port(p);
    sl->len = 98;
}

static void release(struct sock *s, int i) {
    if (s->slots[i].kind == K_CONNECT) s->connect_busy = 0;
    s->slots[i].busy = 0;
    s->free_slots[s->nfree++] = i;
}

static void refill(struct sock *s, uint64_t now) {
    int n = 0;
    while (s->nfree > 0) {
        int i = s->free_slots[--s->nfree];
        int kind = K_ANNOUNCE;
        if (!s->connect_busy && now - s->conn_at > RECONNECT_NS) {
            kind = K_CONNECT;
            s->connect_busy = 1;
        } else if (model_below(&s->rng, 100) == 0) {
            kind = K_SCRAPE;
        }
        build(s, i, kind);
        s->slots[i].busy = 1;
        s->slots[i].sent_ns = now;
        s->send_iov[n].iov_base = s->slots[i].buf;
        s->send_iov[n].iov_len = s->slots[i].len;
        s->send_msgs[n].msg_hdr.msg_iov = &s->send_iov[n];
        s->send_msgs[n].msg_hdr.msg_iovlen = 1;
        n++;
    }
    int sent = n ? sendmmsg(s->fd, s->send_msgs, (unsigned)n, 0) : 0;
    if (sent < 0) sent = 0;
    for (int k = sent; k < n; k++) { /* not sent (buffer full): give the slots back */
        int i = (int)(get32((uint8_t *)s->send_iov[k].iov_base + 12) & 0xff);
        release(s, i);
    }
}

static void handle(struct sock *s, const uint8_t *b, size_t len, uint64_t now) {
    if (len < 8) { cnt.invalid++; return; }
    uint32_t action = get32(b), tid = get32(b + 4);
    int i = (int)(tid & 0xff);
    if ((int)(tid >> 8 & 0xff) != s->index || i >= window) { cnt.invalid++; return; }
    struct slot *sl = &s->slots[i];
    /* A reply after its request timed out (its slot reused) still counts: the tracker did
     * the work. Only its shape can be checked. */
    int current = sl->busy && sl->gen == (uint16_t)(tid >> 16);
    if (!current) cnt.late++;
    if (action == 3) {
        cnt.errors++;
    } else if (action == 0 && len >= 16 && (!current || sl->kind == K_CONNECT)) {
        if (current) {
            s->conn_id = get64(b + 8);
            s->conn_at = now;
        }
        cnt.connects++;
    } else if (action == 1 && len >= 20 && (len - 20) % 6 == 0 &&
               (!current || sl->kind == K_ANNOUNCE)) {
        cnt.announces++;
        cnt.peers += (len - 20) / 6;
    } else if (action == 2 && (current ? sl->kind == K_SCRAPE && len == 8 + 12 * (size_t)sl->nhashes
                                       : len >= 20 && (len - 8) % 12 == 0)) {
        cnt.scrapes++;
    } else {
        cnt.invalid++;
#ifdef DEBUG_INVALID
        fprintf(stderr, "invalid: action %u len %zu kind %d current %d nhashes %d\n", action, len,
                sl->kind, current, sl->nhashes);
#endif
    }
    last_response_ns = now;
    if (current) {
        /* smoothed round-trip time (RFC 6298's 1/8 gain) sets the loss timeout */
        int64_t rtt = (int64_t)(now - sl->sent_ns);
        srtt_ns += (rtt - srtt_ns) / 8;
        release(s, i);
    }
}

static int receive(struct sock *s, uint64_t now) {
    int n = recvmmsg(s->fd, s->recv_msgs, (unsigned)window, MSG_DONTWAIT, NULL);
    if (n < 0) {
        if (errno == ECONNREFUSED) cnt.refused++;
        return 0;
    }
    for (int k = 0; k < n; k++) handle(s, s->recv_buf[k], s->recv_msgs[k].msg_len, now);
    return n;
}

/* A request is taken as lost after 10 smoothed round trips (50 ms - 1 s): a full server
 * receive buffer drops datagrams, and a slot waiting long for a lost reply leaves the window
 * short and the tracker idle. */
static void expire(uint64_t now) {
    uint64_t timeout = srtt_ns > 0 ? (uint64_t)srtt_ns * 10 : 0;
    if (timeout < MIN_TIMEOUT_NS) timeout = MIN_TIMEOUT_NS;
    if (timeout > MAX_TIMEOUT_NS) timeout = MAX_TIMEOUT_NS;
    for (int j = 0; j < nsocks; j++)
        for (int i = 0; i < window; i++)
            if (socks[j].slots[i].busy && now - socks[j].slots[i].sent_ns > timeout) {
                cnt.timeouts++;
                release(&socks[j], i);
            }
}

static int open_socket(struct sock *s, const struct sockaddr_in *server) {
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0) return -1;
    int buf = 4 << 20;
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(s->index % MODEL_IPS));
    if (bind(s->fd, (struct sockaddr *)&src, sizeof src) < 0) return -1;
    if (connect(s->fd, (const struct sockaddr *)server, sizeof *server) < 0) return -1;
    for (int i = 0; i < window; i++) {
        s->free_slots[s->nfree++] = window - 1 - i;
        s->recv_iov[i].iov_base = s->recv_buf[i];
        s->recv_iov[i].iov_len = BUF_SIZE;
        s->recv_msgs[i].msg_hdr.msg_iov = &s->recv_iov[i];
        s->recv_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    return 0;
}

/* The first connect, synchronously: without a connection ID nothing else can be sent. */
static int first_connect(struct sock *s) {
    for (int attempt = 0; attempt < 20; attempt++) {
        int i = s->free_slots[--s->nfree];
        build(s, i, K_CONNECT);
        s->slots[i].busy = 1;
        s->connect_busy = 1;
        if (send(s->fd, s->slots[i].buf, s->slots[i].len, 0) < 0 && errno != ECONNREFUSED)
            return -1;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, 250) > 0) {
            uint64_t before = cnt.connects;
            receive(s, model_now_ns());
            if (cnt.connects > before) return 0;
        }
        if (s->slots[i].busy) release(s, i);
    }
    return -1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: udpload [-s SOCKETS] [-w WINDOW] [-n NUMWANT] [-S SEED] HOST PORT DURATION "
            "WARMUP TORRENTS PEERS\n       udpload -W FILE [-S SEED] TORRENTS\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *whitelist = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "s:w:n:S:W:")) != -1) {
        switch (opt) {
        case 's': nsocks = atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'n': numwant = (uint32_t)atoi(optarg); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'W': whitelist = optarg; break;
        default: usage();
        }
    }
    if (whitelist) {
        if (argc - optind != 1) usage();
        if (model_write_whitelist(whitelist, seed, (uint32_t)strtoul(argv[optind], NULL, 10))) {
            perror(whitelist);
            return 1;
        }
        return 0;
    }
    if (argc - optind != 6) usage();
    const char *host = argv[optind];
    int port = atoi(argv[optind + 1]);
    double duration = atof(argv[optind + 2]), warmup = atof(argv[optind + 3]);
    ntorrents = (uint32_t)strtoul(argv[optind + 4], NULL, 10);
    npeers = (uint32_t)strtoul(argv[optind + 5], NULL, 10);
    if (nsocks < 1 || nsocks > MAX_SOCKETS || nsocks % MODEL_IPS != 0 || window < 1 ||
        window > MAX_WINDOW || model_check(ntorrents, npeers) || (uint32_t)nsocks > npeers) {
        fprintf(stderr, "udpload: bad arguments (SOCKETS a multiple of %d, WINDOW <= %d, "
                        "PEERS <= %d)\n",
                MODEL_IPS, MAX_WINDOW, (65535 - MODEL_FIRST_PORT) * MODEL_IPS);
        return 2;
    }
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) usage();

    hashes = malloc((size_t)ntorrents * 20);
    announced = calloc(npeers, 1);
    socks = calloc((size_t)nsocks, sizeof *socks);
    if (!hashes || !announced || !socks) { perror("malloc"); return 1; }
    for (uint32_t t = 0; t < ntorrents; t++) model_info_hash(seed, t, hashes[t]);
    for (int j = 0; j < nsocks; j++) {
        socks[j].index = j;
        socks[j].rng = model_mix(seed ^ (uint64_t)(j + 1) * 0x9e3779b97f4a7c15ULL) | 1;
        if (open_socket(&socks[j], &server) < 0) { perror("udpload: socket"); return 1; }
        if (first_connect(&socks[j]) < 0) {
            fprintf(stderr, "udpload: no BEP 15 connect reply from %s:%d\n", host, port);
            return 3;
        }
        socks[j].conn_at = model_now_ns();
    }

    struct pollfd *pfds = calloc((size_t)nsocks, sizeof *pfds);
    for (int j = 0; j < nsocks; j++) pfds[j] = (struct pollfd){.fd = socks[j].fd, .events = POLLIN};
    uint64_t start = model_now_ns(), warm_end = 0, stop = 0, last_expire = start;
    last_response_ns = start;
    uint64_t warm_ns = (uint64_t)(warmup * 1e9), run_ns = (uint64_t)(duration * 1e9);
    for (int j = 0; j < nsocks; j++) refill(&socks[j], start);
    for (;;) {
        uint64_t now = model_now_ns();
        if (!warm_end) {
            int filled = 1;
            for (int j = 0; j < nsocks && filled; j++) filled = socks[j].fill_next >= owned(&socks[j]);
            if (now - start >= warm_ns && (filled || now - start >= warm_ns + FILL_CAP_NS)) {
                memset(&cnt, 0, sizeof cnt);
                warm_end = now;
                stop = now + run_ns;
            }
        } else if (now >= stop) {
            break;
        }
        /* one poll, then read and refill only the sockets with replies waiting */
        int ready = poll(pfds, (nfds_t)nsocks, 10);
        now = model_now_ns();
        for (int j = 0; ready > 0 && j < nsocks; j++) {
            if (!pfds[j].revents) continue;
            receive(&socks[j], now);
            refill(&socks[j], now);
        }
        if (now - last_expire > 10000000ULL) {
            expire(now);
            last_expire = now;
            if (now - last_response_ns > STALL_NS) {
                fprintf(stderr, "udpload: no reply for %.0f s, giving up\n", STALL_NS / 1e9);
                return 3;
            }
        }
        for (int j = 0; j < nsocks; j++)
            if (socks[j].nfree) refill(&socks[j], now); /* slots freed by timeouts */
    }
    double secs = (double)(model_now_ns() - warm_end) / 1e9;
    uint64_t filled = 0;
    for (uint32_t p = 0; p < npeers; p++) filled += announced[p];
    uint64_t responses = cnt.connects + cnt.announces + cnt.scrapes;
    printf("{\"responses_per_s\": %.1f, \"announce_per_s\": %.1f, \"scrape_per_s\": %.1f, "
           "\"connect_per_s\": %.2f, \"avg_peers_per_announce\": %.2f, "
           "\"model_peers_per_announce\": %.2f, \"model_peers_excl_self\": %.2f, "
           "\"errors\": %llu, \"invalid\": %llu, "
           "\"timeouts\": %llu, \"late\": %llu, \"refused\": %llu, \"seconds\": %.2f, "
           "\"warmup_seconds\": %.2f, \"peers_announced\": %.4f}\n",
           responses / secs, cnt.announces / secs, cnt.scrapes / secs, cnt.connects / secs,
           cnt.announces ? (double)cnt.peers / cnt.announces : 0.0,
           model_full_reply_peers(seed, ntorrents, npeers, numwant, 0),
           model_full_reply_peers(seed, ntorrents, npeers, numwant, 1),
           (unsigned long long)cnt.errors, (unsigned long long)cnt.invalid,
           (unsigned long long)cnt.timeouts, (unsigned long long)cnt.late,
           (unsigned long long)cnt.refused, secs, (double)(warm_end - start) / 1e9,
           (double)filled / npeers);
    return 0;
}
