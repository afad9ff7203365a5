/* HTTP announce load generator: CONNS HTTP/1.1 connections on one epoll loop (one thread),
 * each with one request in flight (no pipelining), and counts the replies.
 *
 *   httpload [-c CONNS] [-n NUMWANT] [-S SEED] [-P PATH] HOST PORT DURATION WARMUP TORRENTS PEERS
 *
 * Requests are `GET PATH?info_hash=..&peer_id=..&port=..&uploaded=0&downloaded=0&left=..
 * &compact=1&numwant=30` for the swarm of model.h (the same torrents and peers as udpload).
 * Connections are kept alive; a server that closes after every reply (Debian's opentracker
 * does, whatever the request says) is followed: the client waits for its FIN and reconnects,
 * so the TIME_WAIT stays on the server side. Replies are delimited by Content-Length.
 * `errors` counts non-200 replies and bencoded failures; neither counts as a response.
 * Build: gcc -O2 -o httpload httpload.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model.h"

#define MAX_CONNS 4096
#define BUF_SIZE 16384
#define REQ_SIZE 512
#define TIMEOUT_NS (5ULL * 1000000000ULL)
#define FILL_CAP_NS (60ULL * 1000000000ULL)
#define STALL_NS (10ULL * 1000000000ULL)

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { C_IDLE, C_CONNECTING, C_WAITING, C_DRAINING };

struct conn {
    int fd;
    int index;
    int state;
    int has_request; /* req holds a request not yet answered */
    uint64_t sent_ns;
    uint32_t fill_next;
    uint64_t rng;
    int req_len, req_off;
    int buf_len;
    char req[REQ_SIZE];
    char buf[BUF_SIZE];
};

struct counters {
    uint64_t announces, peers, errors, invalid, timeouts, opened, closed_by_server;
};

static struct conn *conns;
static int nconns = 64, epfd;
static uint32_t numwant = 30, ntorrents, npeers;
static uint64_t seed = MODEL_DEFAULT_SEED;
static uint8_t *announced;
static uint8_t (*hashes)[20];
static struct counters cnt;
static struct sockaddr_in server;
static const char *path = "/announce";
static char host_header[64];
static int server_closes; /* learned: the server closes after every reply */
static uint64_t last_response_ns;

static uint32_t owned(const struct conn *c) {
    return (npeers - (uint32_t)c->index + (uint32_t)nconns - 1) / (uint32_t)nconns;
}

static uint32_t pick_peer(struct conn *c) {
    if (c->fill_next < owned(c)) return (uint32_t)c->index + (c->fill_next++) * (uint32_t)nconns;
    return (uint32_t)c->index + model_below(&c->rng, owned(c)) * (uint32_t)nconns;
}

static char *put_escaped(char *o, const uint8_t *b, int n) {
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < n; i++) {
        uint8_t ch = b[i];
        /* RFC 3986 unreserved bytes go as they are, as libtorrent sends them */
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    return o;
}

static void build(struct conn *c) {
    uint32_t p = pick_peer(c);
    uint8_t pid[20];
    model_peer_id(p, pid);
    char *o = c->req;
    o += sprintf(o, "GET %s?info_hash=", path);
    o = put_escaped(o, hashes[model_peer_torrent(seed, p, ntorrents)], 20);
    o += sprintf(o, "&peer_id=");
    o = put_escaped(o, pid, 20);
    o += sprintf(o,
                 "&port=%u&uploaded=0&downloaded=0&left=%llu&compact=1&numwant=%u&key=%08x%s "
                 "HTTP/1.1\r\nHost: %s\r\nUser-Agent: httpload/1\r\n\r\n",
                 model_peer_port(p),
                 (unsigned long long)(model_peer_seeder(seed, p) ? 0 : MODEL_LEFT), numwant,
                 model_peer_key(seed, p), announced[p] ? "" : "&event=started", host_header);
    announced[p] = 1;
    c->req_len = (int)(o - c->req);
    c->req_off = 0;
    c->has_request = 1;
}

static void open_conn(struct conn *c, uint64_t now);

static void drop(struct conn *c, int abortive) {
    if (c->fd >= 0) {
        if (abortive) { /* RST instead of FIN: no TIME_WAIT left behind on our side */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c->fd); /* also removes it from the epoll set */
    }
    c->fd = -1;
    c->state = C_IDLE;
    c->buf_len = 0;
}

static void send_request(struct conn *c, uint64_t now) {
    if (!c->has_request) build(c);
    if (c->req_off == 0) c->sent_ns = now;
    while (c->req_off < c->req_len) {
        ssize_t n = write(c->fd, c->req + c->req_off, (size_t)(c->req_len - c->req_off));
        if (n < 0) {
            if (errno == EAGAIN) break; /* EPOLLOUT (edge-triggered) resumes it */
            drop(c, 1);                 /* the server went away: resend on a new connection */
            open_conn(c, now);
            return;
        }
        c->req_off += (int)n;
    }
    c->state = C_WAITING;
}

static void open_conn(struct conn *c, uint64_t now) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) { perror("httpload: socket"); exit(1); }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    /* the source address is the peer's IP (model.h): trackers that store the connection's
     * address, not the `ip` parameter, then see the same peers as over UDP */
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(c->index % MODEL_IPS));
    if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) { perror("httpload: bind"); exit(1); }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    cnt.opened++;
    c->req_off = 0;
    c->sent_ns = now;
    if (connect(c->fd, (struct sockaddr *)&server, sizeof server) == 0) {
        send_request(c, now);
    } else if (errno == EINPROGRESS) {
        c->state = C_CONNECTING;
    } else {
        perror("httpload: connect");
        exit(3);
    }
}

/* Parse one complete reply at the start of buf; return its length, 0 if incomplete, -1 if
 * malformed. */
static int parse_reply(struct conn *c, uint64_t now) {
    char *end = memmem(c->buf, (size_t)c->buf_len, "\r\n\r\n", 4);
    if (!end) return c->buf_len >= BUF_SIZE ? -1 : 0;
    int head = (int)(end - c->buf) + 4;
    if (c->buf_len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0) return -1;
    int status = atoi(c->buf + 9);
    long length = -1;
    int closes = c->buf[7] == '0';
    for (char *line = memchr(c->buf, '\n', (size_t)head); line && line < end;
         line = memchr(line + 1, '\n', (size_t)(end - line))) {
        line++;
        if (!strncasecmp(line, "content-length:", 15)) length = strtol(line + 15, NULL, 10);
        else if (!strncasecmp(line, "connection:", 11)) {
            char *v = line + 11;
            while (*v == ' ') v++;
            if (!strncasecmp(v, "close", 5)) closes = 1;
            else if (!strncasecmp(v, "keep-alive", 10)) closes = 0;
        }
    }
    if (length < 0 || head + length > BUF_SIZE) return -1; /* chunked is not supported */
    if (c->buf_len < head + length) return 0;
    const char *body = c->buf + head;
    if (status != 200 || memmem(body, (size_t)length, "14:failure reason", 17)) {
        cnt.errors++;
    } else {
        const char *peers = memmem(body, (size_t)length, "5:peers", 7);
        if (!peers) {
            cnt.invalid++;
        } else {
            cnt.announces++;
            if (peers[7] >= '0' && peers[7] <= '9') cnt.peers += strtoul(peers + 7, NULL, 10) / 6;
        }
    }
    last_response_ns = now;
    c->has_request = 0;
    if (closes) server_closes = 1;
    return head + (int)length;
}

static void on_readable(struct conn *c, uint64_t now) {
    int eof = 0;
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->buf_len, (size_t)(BUF_SIZE - c->buf_len));
        if (n > 0) {
            c->buf_len += (int)n;
            if (c->buf_len < BUF_SIZE) continue;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            eof = 1;
        }
        break;
    }
    if (c->state == C_WAITING && c->buf_len > 0) {
        int used = parse_reply(c, now);
        if (used < 0) {
            cnt.invalid++;
            c->has_request = 0;
            drop(c, 1);
            open_conn(c, now);
            return;
        }
        if (used > 0) {
            memmove(c->buf, c->buf + used, (size_t)(c->buf_len - used));
            c->buf_len -= used;
            if (!eof && !server_closes) {
                send_request(c, now);
                return;
            }
            c->state = C_DRAINING; /* wait for the server's FIN, then reconnect */
        }
    }
    if (!eof) return;
    if (c->state == C_WAITING && c->buf_len == 0) {
        /* closed before answering: it closes idle keep-alive connections after a reply */
        cnt.closed_by_server++;
        if (cnt.closed_by_server > 3) server_closes = 1;
    } else if (c->state == C_WAITING) {
        cnt.invalid++; /* closed in the middle of a reply */
        c->has_request = 0;
    }
    drop(c, 0);
    open_conn(c, now);
}

static void on_event(struct conn *c, uint32_t events, uint64_t now) {
    if (c->state == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            fprintf(stderr, "httpload: connect: %s\n", strerror(err));
            exit(3);
        }
        send_request(c, now);
        return;
    }
    if (c->state == C_WAITING && c->req_off < c->req_len && (events & EPOLLOUT)) {
        send_request(c, now);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c, now);
}

static void usage(void) {
    fprintf(stderr, "usage: httpload [-c CONNS] [-n NUMWANT] [-S SEED] [-P PATH] HOST PORT "
                    "DURATION WARMUP TORRENTS PEERS\n");
    exit(2);
}

int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "c:n:S:P:")) != -1) {
        switch (opt) {
        case 'c': nconns = atoi(optarg); break;
        case 'n': numwant = (uint32_t)atoi(optarg); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'P': path = optarg; break;
        default: usage();
        }
    }
    if (argc - optind != 6) usage();
    const char *host = argv[optind];
    int port = atoi(argv[optind + 1]);
    double duration = atof(argv[optind + 2]), warmup = atof(argv[optind + 3]);
    ntorrents = (uint32_t)strtoul(argv[optind + 4], NULL, 10);
    npeers = (uint32_t)strtoul(argv[optind + 5], NULL, 10);
    if (nconns < MODEL_IPS || nconns > MAX_CONNS || nconns % MODEL_IPS != 0 ||
        model_check(ntorrents, npeers) || (uint32_t)nconns > npeers || strlen(path) > 64) {
        fprintf(stderr, "httpload: bad arguments (CONNS a multiple of %d, PEERS <= %d)\n",
                MODEL_IPS, (65535 - MODEL_FIRST_PORT) * MODEL_IPS);
        return 2;
    }
    server = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) usage();
    snprintf(host_header, sizeof host_header, "%s:%d", host, port);

    hashes = malloc((size_t)ntorrents * 20);
    announced = calloc(npeers, 1);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!hashes || !announced || !conns) { perror("malloc"); return 1; }
    for (uint32_t t = 0; t < ntorrents; t++) model_info_hash(seed, t, hashes[t]);
    epfd = epoll_create1(0);
    uint64_t start = model_now_ns(), warm_end = 0, stop = 0, last_expire = start;
    last_response_ns = start;
    for (int i = 0; i < nconns; i++) {
        conns[i].index = i;
        conns[i].fd = -1;
        conns[i].rng = model_mix(seed ^ (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL) | 1;
        open_conn(&conns[i], start);
    }
    uint64_t warm_ns = (uint64_t)(warmup * 1e9), run_ns = (uint64_t)(duration * 1e9);
    struct epoll_event events[256];
    for (;;) {
        uint64_t now = model_now_ns();
        if (!warm_end) {
            int filled = 1;
            for (int i = 0; i < nconns && filled; i++)
                filled = conns[i].fill_next >= owned(&conns[i]);
            if (now - start >= warm_ns && (filled || now - start >= warm_ns + FILL_CAP_NS)) {
                memset(&cnt, 0, sizeof cnt);
                warm_end = now;
                stop = now + run_ns;
            }
        } else if (now >= stop) {
            break;
        }
        int n = epoll_wait(epfd, events, 256, 10);
        now = model_now_ns();
        for (int k = 0; k < n; k++) on_event(events[k].data.ptr, events[k].events, now);
        if (now - last_expire > 100000000ULL) {
            last_expire = now;
            for (int i = 0; i < nconns; i++) {
                struct conn *c = &conns[i];
                if (c->state != C_IDLE && now - c->sent_ns > TIMEOUT_NS) {
                    cnt.timeouts++;
                    c->has_request = 0;
                    drop(c, 1);
                    open_conn(c, now);
                }
            }
            if (now - last_response_ns > STALL_NS) {
                fprintf(stderr, "httpload: no reply for %.0f s, giving up\n", STALL_NS / 1e9);
                return 3;
            }
        }
    }
    double secs = (double)(model_now_ns() - warm_end) / 1e9;
    uint64_t filled = 0;
    for (uint32_t p = 0; p < npeers; p++) filled += announced[p];
    printf("{\"responses_per_s\": %.1f, \"announce_per_s\": %.1f, "
           "\"avg_peers_per_announce\": %.2f, "
           "\"model_peers_per_announce\": %.2f, \"model_peers_excl_self\": %.2f, "
           "\"errors\": %llu, \"invalid\": %llu, "
           "\"timeouts\": %llu, \"connects_per_s\": %.1f, \"keep_alive\": %s, \"seconds\": %.2f, "
           "\"warmup_seconds\": %.2f, \"peers_announced\": %.4f}\n",
           cnt.announces / secs, cnt.announces / secs,
           cnt.announces ? (double)cnt.peers / cnt.announces : 0.0,
           model_full_reply_peers(seed, ntorrents, npeers, numwant, 0),
           model_full_reply_peers(seed, ntorrents, npeers, numwant, 1),
           (unsigned long long)cnt.errors, (unsigned long long)cnt.invalid,
           (unsigned long long)cnt.timeouts, cnt.opened / secs, server_closes ? "false" : "true",
           secs, (double)(warm_end - start) / 1e9, (double)filled / npeers);
    return 0;
}
