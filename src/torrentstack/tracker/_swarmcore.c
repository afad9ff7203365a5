/* The compiled swarm: torrentstack.tracker.swarm's `Swarm` in C, plus the UDP announce/scrape
 * fast path that runs on it.
 *
 * `Swarm` keeps the exact rules of the Python reference class in swarm.py (peers keyed by
 * peer_id + IP, four lists by seeder/family with swap-remove, contiguous-run sampling, completed
 * counted once from a known peer, deltas never negative); tests/tracker/test_swarm.py runs the
 * same behavioural suite against both and compares them on random announce sequences.
 *
 * `UdpFastPath.serve` reads up to 1024 datagrams with recvmmsg, answers the announces and scrapes
 * it can answer exactly as the Python front end would (public or listed mode, a connection id
 * already checked by Python's ConnectionIds, a plain announce without BEP 41 options) and hands
 * every other datagram back to Python untouched. It reads the same dicts Python uses (swarms,
 * aliases, checked connection ids, the whitelist), so both paths share one state.
 *
 * Protocol constants (event numbers, the peer id length, BEP 15 sizes and actions, connection id
 * buckets) are not written here: native.py passes them to configure() from the Python modules
 * that define them. The time is always passed in (`now`); nothing here reads a clock.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#ifdef __linux__
#include <netinet/in.h>
#include <sys/socket.h>
#define HAVE_MMSG 1
#endif

#define PEER_ID_MAX 20 /* key storage; the peer id length itself comes from configure() */
#define KEY_MAX (PEER_ID_MAX + 16) /* peer_id + IPv6 address */
#define POS_BITS 30
#define POS_MASK ((1u << POS_BITS) - 1)

/* ---- protocol constants: set once by configure() from the Python modules that define them
 * (bittorrent.announce, bittorrent.tracker_udp, tracker.connection_id), so no copy here can
 * drift from Python's. Only layout and buffer facts of this file are #defines. -------------- */

static int constants_set;
static uint8_t peer_id_len;          /* announce.PEER_ID_LENGTH */
static uint8_t event_count;          /* len(AnnounceEvent): events are 0 .. event_count - 1 */
static uint8_t event_completed;      /* AnnounceEvent.COMPLETED */
static uint8_t event_stopped;        /* AnnounceEvent.STOPPED */
static uint32_t action_announce;     /* tracker_udp.Action.ANNOUNCE */
static uint32_t action_scrape;       /* tracker_udp.Action.SCRAPE */
static size_t announce_size;         /* tracker_udp.ANNOUNCE_SIZE: a plain announce, no options */
static long max_scrape_hashes;       /* tracker_udp.MAX_SCRAPE_HASHES */
static long long bucket_seconds;     /* connection_id.BUCKET_SECONDS */
static long long buckets_accepted;   /* connection_id.BUCKETS_ACCEPTED */

/* ---- hashing: SipHash-1-3 under a random per-process key (peer ids are chosen by clients) --- */

static uint64_t sip_k0, sip_k1;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                 \
    do {                                                                                         \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                   \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                   \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                \
    } while (0)

static uint64_t
siphash13(const uint8_t *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ sip_k0, v1 = 0x646f72616e646f6dULL ^ sip_k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ sip_k0, v3 = 0x7465646279746573ULL ^ sip_k1;
    uint64_t b = ((uint64_t)len) << 56, m;
    const uint8_t *end = in + (len & ~(size_t)7);
    for (; in != end; in += 8) {
        memcpy(&m, in, 8);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    switch (len & 7) {
    case 7: b |= ((uint64_t)in[6]) << 48; /* fall through */
    case 6: b |= ((uint64_t)in[5]) << 40; /* fall through */
    case 5: b |= ((uint64_t)in[4]) << 32; /* fall through */
    case 4: b |= ((uint64_t)in[3]) << 24; /* fall through */
    case 3: b |= ((uint64_t)in[2]) << 16; /* fall through */
    case 2: b |= ((uint64_t)in[1]) << 8; /* fall through */
    case 1: b |= ((uint64_t)in[0]); break;
    case 0: break;
    }
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* xorshift64*: where to start a peer run (shuffling, not crypto) */
static uint64_t rng_state;

static uint32_t
random_below(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)(((rng_state * 0x2545F4914F6CDD1DULL) >> 32) % n);
}

/* ---- the Python classes results are built from (set by configure()) ------------------------ */

static PyObject *PeerClass, *CountsClass, *OutcomeClass, *EventMembers; /* EventMembers: tuple */
static PyObject *str_peer_id, *str_endpoint, *str_uploaded, *str_downloaded, *str_left,
    *str_event, *str_updated, *str_completed_counted;

/* ---- entries, peer lists, the swarm -------------------------------------------------------- */

typedef struct {
    uint8_t key[KEY_MAX]; /* peer_id + IP address (4 or 16 bytes) */
    uint8_t keylen;       /* 24 (IPv4) or 36 (IPv6) */
    uint8_t port[2];      /* big-endian, as on the wire */
    uint8_t event;
    uint8_t completed_counted;
    uint32_t hash;
    int64_t uploaded, downloaded, left;
    double updated;
    PyObject *obj; /* the Python Peer for this entry (cached), or NULL */
} Entry;

typedef struct {
    Entry *items;
    uint32_t n, cap;
} PeerList;

typedef struct {
    PyObject_HEAD
    PeerList lists[4]; /* seeder * 2 + family */
    uint32_t *slots;   /* open addressing, linear probing: 0 empty, else (list << 30 | pos) + 1 */
    uint32_t mask;     /* slot count - 1 */
    uint32_t count;
    long long downloaded;
} SwarmObject;

static PyTypeObject SwarmType;

static inline int entry_family(const Entry *e) { return e->keylen != peer_id_len + 4; }
static inline int entry_list(const Entry *e) { return (e->left == 0) * 2 + entry_family(e); }
static inline uint32_t slot_value(int list, uint32_t pos) { return (((uint32_t)list << POS_BITS) | pos) + 1; }

static inline Entry *
entry_at(SwarmObject *sw, uint32_t value)
{
    value -= 1;
    return &sw->lists[value >> POS_BITS].items[value & POS_MASK];
}

static inline uint32_t
key_hash(const uint8_t *key, size_t len)
{
    return (uint32_t)siphash13(key, len);
}

/* The slot holding `key`, or the empty slot where it would go. Needs sw->slots. */
static uint32_t *
find_slot(SwarmObject *sw, const uint8_t *key, uint8_t keylen, uint32_t hash)
{
    uint32_t i = hash & sw->mask;
    for (;;) {
        uint32_t v = sw->slots[i];
        if (v == 0)
            return &sw->slots[i];
        Entry *e = entry_at(sw, v);
        if (e->hash == hash && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
            return &sw->slots[i];
        i = (i + 1) & sw->mask;
    }
}

static int
grow_slots(SwarmObject *sw)
{
    uint32_t cap = sw->slots ? (sw->mask + 1) * 2 : 16;
    uint32_t *slots = PyMem_Calloc(cap, sizeof(uint32_t));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    PyMem_Free(sw->slots);
    sw->slots = slots;
    sw->mask = cap - 1;
    for (int l = 0; l < 4; l++) {
        for (uint32_t p = 0; p < sw->lists[l].n; p++) {
            Entry *e = &sw->lists[l].items[p];
            uint32_t i = e->hash & sw->mask;
            while (slots[i])
                i = (i + 1) & sw->mask;
            slots[i] = slot_value(l, p);
        }
    }
    return 0;
}

/* Append a copy of `e` (taking over its obj reference) to its list and index it. */
static int
insert_entry(SwarmObject *sw, const Entry *e)
{
    if (sw->count + 1 > POS_MASK) {
        PyErr_SetString(PyExc_OverflowError, "too many peers in one swarm");
        return -1;
    }
    if (!sw->slots || (sw->count + 1) * 2 > sw->mask + 1) {
        if (grow_slots(sw) < 0)
            return -1;
    }
    int l = entry_list(e);
    PeerList *list = &sw->lists[l];
    if (list->n == list->cap) {
        uint32_t cap = list->cap ? list->cap * 2 : 4;
        Entry *items = PyMem_Realloc(list->items, (size_t)cap * sizeof(Entry));
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n] = *e;
    *find_slot(sw, e->key, e->keylen, e->hash) = slot_value(l, list->n);
    list->n++;
    sw->count++;
    return 0;
}

/* Empty slot i, shifting later entries of its probe run back (no tombstones). */
static void
delete_slot(SwarmObject *sw, uint32_t i)
{
    uint32_t mask = sw->mask, j = i;
    sw->slots[i] = 0;
    for (;;) {
        j = (j + 1) & mask;
        uint32_t v = sw->slots[j];
        if (v == 0)
            return;
        uint32_t home = entry_at(sw, v)->hash & mask;
        /* leave v where it is when its home lies cyclically in (i, j] */
        int stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            sw->slots[i] = v;
            sw->slots[j] = 0;
            i = j;
        }
    }
}

/* Remove the entry in `slot`: swap the list's last entry into its place, as _PeerSet.remove. */
static void
remove_at_slot(SwarmObject *sw, uint32_t *slot)
{
    uint32_t v = *slot - 1;
    int l = (int)(v >> POS_BITS);
    uint32_t pos = v & POS_MASK;
    PeerList *list = &sw->lists[l];
    delete_slot(sw, (uint32_t)(slot - sw->slots));
    Py_CLEAR(list->items[pos].obj);
    uint32_t last = list->n - 1;
    if (pos != last) {
        Entry *moved = &list->items[last];
        uint32_t old_value = slot_value(l, last), i = moved->hash & sw->mask;
        while (sw->slots[i] != old_value)
            i = (i + 1) & sw->mask;
        sw->slots[i] = slot_value(l, pos);
        list->items[pos] = *moved;
    }
    list->n--;
    sw->count--;
}

/* Up to k entries of one list, never position `skip` (-1: none): _PeerSet.sample's rule. */
static uint32_t
sample(PeerList *list, uint32_t k, long skip, Entry **out)
{
    uint32_t n = list->n, got = 0;
    if (k == 0 || n == 0)
        return 0;
    if (n <= k) {
        for (uint32_t p = 0; p < n; p++)
            if ((long)p != skip)
                out[got++] = &list->items[p];
        return got;
    }
    uint32_t start = random_below(n);
    uint32_t run = k;
    if (skip >= 0 && ((uint32_t)skip + n - start) % n <= k)
        run = k + 1; /* the requester falls inside a run of k + 1: take it and cut it out */
    for (uint32_t i = 0; i < run; i++) {
        uint32_t p = (start + i) % n;
        if ((long)p != skip || run == k)
            out[got++] = &list->items[p];
    }
    return got;
}

typedef struct {
    int64_t up, down;
    int known, completed_now;
} Applied;

/* Apply one announce (`e` owns a reference to e->obj or NULL) and pick peers into `chosen`;
 * returns how many were picked, -1 on error. Mirrors Swarm.announce in swarm.py. */
static long
apply_announce(SwarmObject *sw, Entry *e, uint32_t numwant, int both_families, Applied *r,
               Entry **chosen)
{
    uint32_t *slot = sw->slots ? find_slot(sw, e->key, e->keylen, e->hash) : NULL;
    Entry *old = (slot && *slot) ? entry_at(sw, *slot) : NULL;
    r->up = r->down = 0;
    r->known = old != NULL;
    if (old) {
        /* a client restart resets its counters: a decrease credits nothing */
        r->up = e->uploaded > old->uploaded ? e->uploaded - old->uploaded : 0;
        r->down = e->downloaded > old->downloaded ? e->downloaded - old->downloaded : 0;
    }
    r->completed_now = e->event == event_completed && old && !old->completed_counted;
    if (r->completed_now)
        sw->downloaded++;
    e->completed_counted = r->completed_now || (old && old->completed_counted);
    if (old)
        remove_at_slot(sw, slot);
    if (e->event == event_stopped) {
        Py_CLEAR(e->obj);
        return 0;
    }
    if (insert_entry(sw, e) < 0) {
        Py_CLEAR(e->obj);
        return -1;
    }
    int family = entry_family(e), seeder = e->left == 0;
    int mine = seeder * 2 + family;
    long skip = (long)sw->lists[mine].n - 1; /* the announcer was just appended */
    uint32_t got = 0;
    for (int f = 0; f < (both_families ? 2 : 1); f++) {
        int fam = f == 0 ? family : 1 - family;
        for (int kind = seeder ? 0 : 1; kind >= 0; kind--) { /* seeders first, for leechers */
            if (got >= numwant)
                return got;
            int l = kind * 2 + fam;
            got += sample(&sw->lists[l], numwant - got, l == mine ? skip : -1, chosen + got);
        }
    }
    return got;
}

static inline uint32_t swarm_complete(SwarmObject *sw) { return sw->lists[2].n + sw->lists[3].n; }
static inline uint32_t swarm_incomplete(SwarmObject *sw) { return sw->lists[0].n + sw->lists[1].n; }

/* ---- Python-facing Swarm -------------------------------------------------------------------- */

static PyObject *
Swarm_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"downloaded", NULL};
    long long downloaded = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|L", kwlist, &downloaded))
        return NULL;
    SwarmObject *sw = (SwarmObject *)type->tp_alloc(type, 0);
    if (sw)
        sw->downloaded = downloaded;
    return (PyObject *)sw;
}

static void
Swarm_dealloc(SwarmObject *sw)
{
    for (int l = 0; l < 4; l++) {
        for (uint32_t p = 0; p < sw->lists[l].n; p++)
            Py_CLEAR(sw->lists[l].items[p].obj);
        PyMem_Free(sw->lists[l].items);
    }
    PyMem_Free(sw->slots);
    Py_TYPE(sw)->tp_free((PyObject *)sw);
}

static int
require_configured(void)
{
    if (!PeerClass) {
        PyErr_SetString(PyExc_RuntimeError, "_swarmcore.configure() was not called");
        return -1;
    }
    return 0;
}

/* The Python Peer of an entry: the cached one, else a new one (then cached). New reference. */
static PyObject *
entry_peer(Entry *e)
{
    if (e->obj) {
        Py_INCREF(e->obj);
        return e->obj;
    }
    uint8_t endpoint[18];
    size_t iplen = e->keylen - peer_id_len;
    memcpy(endpoint, e->key + peer_id_len, iplen);
    memcpy(endpoint + iplen, e->port, 2);
    PyObject *args[7];
    args[0] = PyBytes_FromStringAndSize((const char *)e->key, peer_id_len);
    args[1] = PyBytes_FromStringAndSize((const char *)endpoint, (Py_ssize_t)iplen + 2);
    args[2] = PyLong_FromLongLong(e->uploaded);
    args[3] = PyLong_FromLongLong(e->downloaded);
    args[4] = PyLong_FromLongLong(e->left);
    args[5] = PyTuple_GET_ITEM(EventMembers, e->event);
    Py_INCREF(args[5]);
    args[6] = PyFloat_FromDouble(e->updated);
    PyObject *peer = NULL;
    if (args[0] && args[1] && args[2] && args[3] && args[4] && args[6]) {
        peer = PyObject_Vectorcall(PeerClass, args, 7, NULL);
        if (peer && PyObject_SetAttr(peer, str_completed_counted,
                                     e->completed_counted ? Py_True : Py_False) < 0)
            Py_CLEAR(peer);
    }
    for (int i = 0; i < 7; i++)
        Py_XDECREF(args[i]);
    if (peer) {
        Py_INCREF(peer);
        e->obj = peer;
    }
    return peer;
}

static int
get_int64(PyObject *obj, PyObject *name, int64_t *out)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (!v)
        return -1;
    long long x = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

/* Fill an entry from a Python Peer (peer_id 20 bytes; endpoint 6 or 18 bytes). */
static int
entry_from_peer(PyObject *peer, Entry *e)
{
    memset(e, 0, sizeof(*e));
    PyObject *peer_id = PyObject_GetAttr(peer, str_peer_id);
    PyObject *endpoint = PyObject_GetAttr(peer, str_endpoint);
    int ok = peer_id && endpoint && PyBytes_Check(peer_id) && PyBytes_Check(endpoint) &&
             PyBytes_GET_SIZE(peer_id) == peer_id_len &&
             (PyBytes_GET_SIZE(endpoint) == 6 || PyBytes_GET_SIZE(endpoint) == 18);
    if (ok) {
        Py_ssize_t iplen = PyBytes_GET_SIZE(endpoint) - 2;
        memcpy(e->key, PyBytes_AS_STRING(peer_id), peer_id_len);
        memcpy(e->key + peer_id_len, PyBytes_AS_STRING(endpoint), iplen);
        memcpy(e->port, PyBytes_AS_STRING(endpoint) + iplen, 2);
        e->keylen = (uint8_t)(peer_id_len + iplen);
        e->hash = key_hash(e->key, e->keylen);
    }
    Py_XDECREF(peer_id);
    Py_XDECREF(endpoint);
    if (!ok) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError,
                            "a peer needs a 20-byte peer_id and a 6- or 18-byte endpoint");
        return -1;
    }
    int64_t event;
    if (get_int64(peer, str_uploaded, &e->uploaded) < 0 ||
        get_int64(peer, str_downloaded, &e->downloaded) < 0 ||
        get_int64(peer, str_left, &e->left) < 0 || get_int64(peer, str_event, &event) < 0)
        return -1;
    if (event < 0 || event >= event_count) {
        PyErr_SetString(PyExc_ValueError, "announce event out of range");
        return -1;
    }
    e->event = (uint8_t)event;
    PyObject *updated = PyObject_GetAttr(peer, str_updated);
    if (!updated)
        return -1;
    e->updated = PyFloat_AsDouble(updated);
    Py_DECREF(updated);
    if (e->updated == -1.0 && PyErr_Occurred())
        return -1;
    return 0;
}

static PyObject *
make_counts(SwarmObject *sw)
{
    return PyObject_CallFunction(CountsClass, "IIL", swarm_complete(sw), swarm_incomplete(sw),
                                 sw->downloaded);
}

static PyObject *
Swarm_counts(SwarmObject *sw, PyObject *Py_UNUSED(ignored))
{
    if (require_configured() < 0)
        return NULL;
    return make_counts(sw);
}

static PyObject *
Swarm_announce(SwarmObject *sw, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"peer", "numwant", "both_families", NULL};
    PyObject *peer;
    long numwant;
    int both = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Ol|$p", kwlist, &peer, &numwant, &both))
        return NULL;
    if (require_configured() < 0)
        return NULL;
    Entry e;
    if (entry_from_peer(peer, &e) < 0)
        return NULL;
    uint32_t want = numwant <= 0 ? 0 : (numwant > (long)sw->count + 1 ? sw->count + 1 : (uint32_t)numwant);
    Entry **chosen = PyMem_Malloc(sizeof(Entry *) * (want + 1));
    if (!chosen)
        return PyErr_NoMemory();
    Py_INCREF(peer);
    e.obj = peer;
    Applied r;
    long got = apply_announce(sw, &e, want, both, &r, chosen);
    PyObject *peers = NULL, *counts = NULL, *result = NULL;
    if (got < 0)
        goto done;
    if (PyObject_SetAttr(peer, str_completed_counted, e.completed_counted ? Py_True : Py_False) < 0)
        goto done;
    peers = PyList_New(got);
    if (!peers)
        goto done;
    for (long i = 0; i < got; i++) {
        PyObject *p = entry_peer(chosen[i]);
        if (!p)
            goto done;
        PyList_SET_ITEM(peers, i, p);
    }
    counts = make_counts(sw);
    if (counts)
        result = PyObject_CallFunction(OutcomeClass, "OOLLOO", counts, peers, (long long)r.up,
                                       (long long)r.down, r.known ? Py_True : Py_False,
                                       r.completed_now ? Py_True : Py_False);
done:
    PyMem_Free(chosen);
    Py_XDECREF(peers);
    Py_XDECREF(counts);
    return result;
}

static PyObject *
Swarm_peers(SwarmObject *sw, PyObject *Py_UNUSED(ignored))
{
    if (require_configured() < 0)
        return NULL;
    PyObject *out = PyList_New(sw->count);
    if (!out)
        return NULL;
    Py_ssize_t i = 0;
    for (int l = 0; l < 4; l++) {
        for (uint32_t p = 0; p < sw->lists[l].n; p++) {
            PyObject *peer = entry_peer(&sw->lists[l].items[p]);
            if (!peer) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, i++, peer);
        }
    }
    PyObject *it = PyObject_GetIter(out);
    Py_DECREF(out);
    return it;
}

static PyObject *
Swarm_merge(SwarmObject *sw, PyObject *other)
{
    if (!PyObject_TypeCheck(other, &SwarmType)) {
        PyErr_SetString(PyExc_TypeError, "merge() takes a compiled Swarm");
        return NULL;
    }
    SwarmObject *o = (SwarmObject *)other;
    if (o == sw)
        Py_RETURN_NONE;
    sw->downloaded += o->downloaded;
    for (int l = 0; l < 4; l++) {
        for (uint32_t p = 0; p < o->lists[l].n; p++) {
            Entry e = o->lists[l].items[p];
            if (sw->slots && *find_slot(sw, e.key, e.keylen, e.hash))
                continue; /* ours wins on a clash */
            Py_XINCREF(e.obj);
            if (insert_entry(sw, &e) < 0) {
                Py_XDECREF(e.obj);
                return NULL;
            }
        }
    }
    Py_RETURN_NONE;
}

static PyObject *
Swarm_expire(SwarmObject *sw, PyObject *arg)
{
    double cutoff = PyFloat_AsDouble(arg);
    if (cutoff == -1.0 && PyErr_Occurred())
        return NULL;
    long dropped = 0;
    for (int l = 0; l < 4; l++) {
        PeerList *list = &sw->lists[l];
        /* collect first, then remove in order (swap-remove reorders): as swarm.py does */
        uint32_t stale = 0;
        for (uint32_t p = 0; p < list->n; p++)
            stale += list->items[p].updated < cutoff;
        if (!stale)
            continue;
        Entry *keys = PyMem_Malloc(sizeof(Entry) * stale);
        if (!keys)
            return PyErr_NoMemory();
        uint32_t k = 0;
        for (uint32_t p = 0; p < list->n; p++)
            if (list->items[p].updated < cutoff)
                keys[k++] = list->items[p];
        for (uint32_t i = 0; i < k; i++)
            remove_at_slot(sw, find_slot(sw, keys[i].key, keys[i].keylen, keys[i].hash));
        PyMem_Free(keys);
        dropped += stale;
    }
    return PyLong_FromLong(dropped);
}

static Py_ssize_t
Swarm_len(SwarmObject *sw)
{
    return sw->count;
}

static PyObject *
Swarm_get_complete(SwarmObject *sw, void *Py_UNUSED(closure))
{
    return PyLong_FromUnsignedLong(swarm_complete(sw));
}

static PyObject *
Swarm_get_incomplete(SwarmObject *sw, void *Py_UNUSED(closure))
{
    return PyLong_FromUnsignedLong(swarm_incomplete(sw));
}

static PyMethodDef Swarm_methods[] = {
    {"counts", (PyCFunction)Swarm_counts, METH_NOARGS, "SwarmCounts of this swarm."},
    {"announce", (PyCFunction)(void (*)(void))Swarm_announce, METH_VARARGS | METH_KEYWORDS,
     "Apply one announce and choose up to numwant other peers."},
    {"peers", (PyCFunction)Swarm_peers, METH_NOARGS, "Iterate over every peer."},
    {"merge", (PyCFunction)Swarm_merge, METH_O, "Take in another swarm's peers and count."},
    {"expire", (PyCFunction)Swarm_expire, METH_O, "Drop peers older than cutoff; return how many."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Swarm_members[] = {
    {"downloaded", T_LONGLONG, offsetof(SwarmObject, downloaded), 0, "completed downloads"},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Swarm_getset[] = {
    {"complete", (getter)Swarm_get_complete, NULL, "seeders", NULL},
    {"incomplete", (getter)Swarm_get_incomplete, NULL, "leechers", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods Swarm_as_sequence = {.sq_length = (lenfunc)Swarm_len};

static PyTypeObject SwarmType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "torrentstack.tracker._swarmcore.Swarm",
    .tp_basicsize = sizeof(SwarmObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The peers of one torrent (compiled; same rules as swarm.Swarm).",
    .tp_new = Swarm_new,
    .tp_dealloc = (destructor)Swarm_dealloc,
    .tp_methods = Swarm_methods,
    .tp_members = Swarm_members,
    .tp_getset = Swarm_getset,
    .tp_as_sequence = &Swarm_as_sequence,
};

/* ---- the UDP fast path ---------------------------------------------------------------------- */

#define BATCH 64
#define BATCHES_PER_SERVE 16
#define IN_SIZE 2048
#define MAX_NUMWANT 4096 /* most numwant_max; udp.py leaves bigger settings to Python */
#define MAX_SCRAPE_LIMIT 4096 /* bound on configure()'s max_scrape_hashes (buffer sizing) */
/* The fixed BEP 15 announce fields this file reads (tracker_udp's _HEADER + _ANNOUNCE) end at
 * byte 98 (the port at 96); configure() refuses a plain announce size shorter than that. */
#define ANNOUNCE_FIELDS_END 98

typedef struct {
    PyObject_HEAD
    PyObject *swarms, *aliases, *checked, *lookup, *recorded, *on_completed;
    uint32_t interval;
    long numwant_default, numwant_max, max_scrape; /* max_scrape: min(setting, BEP 15 cap) */
    size_t out_size;
    uint8_t *in_buf, *out_buf;
    Entry **chosen;
#ifdef HAVE_MMSG
    struct mmsghdr in_msgs[BATCH], out_msgs[BATCH];
    struct iovec in_iov[BATCH], out_iov[BATCH];
    struct sockaddr_in6 names[BATCH];
#endif
} FastPathObject;

static inline uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static inline uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }
static inline void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static void
FastPath_dealloc(FastPathObject *self)
{
    Py_XDECREF(self->swarms);
    Py_XDECREF(self->aliases);
    Py_XDECREF(self->checked);
    Py_XDECREF(self->lookup);
    Py_XDECREF(self->recorded);
    Py_XDECREF(self->on_completed);
    PyMem_Free(self->in_buf);
    PyMem_Free(self->out_buf);
    PyMem_Free(self->chosen);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
FastPath_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"swarms", "aliases", "checked", "completed_lookup",
                             "recorded_completed", "on_completed", "interval", "numwant_default",
                             "numwant_max", "max_scrape", NULL};
    PyObject *swarms, *aliases, *checked, *lookup, *recorded, *on_completed;
    unsigned int interval;
    long numwant_default, numwant_max, max_scrape;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!OOO$Illl", kwlist, &PyDict_Type, &swarms,
                                     &PyDict_Type, &aliases, &PyDict_Type, &checked, &lookup,
                                     &recorded, &on_completed, &interval, &numwant_default,
                                     &numwant_max, &max_scrape))
        return NULL;
    if (require_configured() < 0)
        return NULL;
    if (numwant_max < 0 || numwant_max > MAX_NUMWANT || numwant_default < 0 || max_scrape < 0) {
        PyErr_Format(PyExc_ValueError, "numwant_max must be 0..%d; counts non-negative",
                     MAX_NUMWANT);
        return NULL;
    }
    if (max_scrape > max_scrape_hashes)
        max_scrape = max_scrape_hashes; /* BEP 15: hashes beyond that are ignored */
    FastPathObject *self = (FastPathObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    Py_INCREF(swarms);
    Py_INCREF(aliases);
    Py_INCREF(checked);
    Py_INCREF(lookup);
    Py_INCREF(recorded);
    Py_INCREF(on_completed);
    self->swarms = swarms;
    self->aliases = aliases;
    self->checked = checked;
    self->lookup = lookup;
    self->recorded = recorded;
    self->on_completed = on_completed;
    self->interval = interval;
    self->numwant_default = numwant_default;
    self->numwant_max = numwant_max;
    self->max_scrape = max_scrape;
    long most = numwant_max > numwant_default ? numwant_max : numwant_default;
    self->out_size = 20 + 18 * (size_t)most;
    if (self->out_size < 8 + 12 * (size_t)max_scrape)
        self->out_size = 8 + 12 * (size_t)max_scrape;
    self->in_buf = PyMem_Malloc((size_t)BATCH * IN_SIZE);
    self->out_buf = PyMem_Malloc((size_t)BATCH * self->out_size);
    self->chosen = PyMem_Malloc(sizeof(Entry *) * (size_t)(most + 1));
    if (!self->in_buf || !self->out_buf || !self->chosen) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
#ifdef HAVE_MMSG
    for (int i = 0; i < BATCH; i++) {
        self->in_iov[i].iov_base = self->in_buf + (size_t)i * IN_SIZE;
        self->in_iov[i].iov_len = IN_SIZE;
        self->out_iov[i].iov_base = self->out_buf + (size_t)i * self->out_size;
    }
#endif
    return (PyObject *)self;
}

/* Whether Python's ConnectionIds already checked `connection_id` for this IP in the accepted
 * window (its cache: ip -> (id, bucket)). A miss goes to Python, which checks and caches. */
static int
id_checked(FastPathObject *self, PyObject *ip, uint64_t connection_id, double now)
{
    PyObject *known = PyDict_GetItemWithError(self->checked, ip);
    if (!known)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyTuple_Check(known) || PyTuple_GET_SIZE(known) != 2)
        return 0;
    unsigned long long id = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(known, 0));
    long long issued = PyLong_AsLongLong(PyTuple_GET_ITEM(known, 1));
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    /* connection_id.py: bucket = int(now) // BUCKET_SECONDS (truncate, then floor-divide) */
    if (!(now > -9.0e18 && now < 9.0e18))
        return 0; /* not a time a long long holds (or NaN): Python's turn */
    long long t = (long long)now, bucket = t / bucket_seconds;
    if (t % bucket_seconds != 0 && t < 0)
        bucket--;
    return id == connection_id && bucket - buckets_accepted < issued && issued <= bucket;
}

/* The swarm of `info_hash` (through its alias), created with its persisted count when `create`
 * is set. Borrowed reference; NULL with no error set when absent and not created. */
static SwarmObject *
swarm_for(FastPathObject *self, PyObject *info_hash, int create)
{
    PyObject *canonical = info_hash;
    if (PyDict_GET_SIZE(self->aliases)) {
        PyObject *alias = PyDict_GetItemWithError(self->aliases, info_hash);
        if (alias)
            canonical = alias;
        else if (PyErr_Occurred())
            return NULL;
    }
    PyObject *swarm = PyDict_GetItemWithError(self->swarms, canonical);
    if (swarm) {
        if (Py_IS_TYPE(swarm, &SwarmType))
            return (SwarmObject *)swarm;
        PyErr_SetString(PyExc_TypeError, "the fast path needs a table of compiled swarms");
        return NULL;
    }
    if (PyErr_Occurred() || !create)
        return NULL;
    Py_INCREF(canonical); /* borrowed from the aliases dict, which the lookup could change */
    SwarmObject *sw = NULL;
    PyObject *count = PyObject_CallOneArg(self->lookup, canonical);
    if (!count)
        goto done;
    long long downloaded = PyLong_AsLongLong(count);
    Py_DECREF(count);
    if (downloaded == -1 && PyErr_Occurred())
        goto done;
    sw = (SwarmObject *)SwarmType.tp_alloc(&SwarmType, 0);
    if (!sw)
        goto done;
    sw->downloaded = downloaded;
    if (PyDict_SetItem(self->swarms, canonical, (PyObject *)sw) < 0) {
        Py_CLEAR(sw);
        goto done;
    }
    Py_DECREF(sw); /* the dict holds it */
done:
    Py_DECREF(canonical);
    return sw;
}

/* Outcome of one datagram: bytes written to `out`, 0 to hand it to Python, -1 on error. */
static long
answer_announce(FastPathObject *self, const uint8_t *b, const uint8_t *ip, int iplen,
                PyObject *whitelist, double now, uint8_t *out)
{
    int64_t downloaded = (int64_t)get64(b + 56), left = (int64_t)get64(b + 64),
            uploaded = (int64_t)get64(b + 72);
    uint32_t event = get32(b + 80);
    int32_t num_want = (int32_t)get32(b + 92);
    if (event >= event_count || downloaded < 0 || left < 0 || uploaded < 0)
        return 0; /* Python sends the error reply */
    PyObject *info_hash = PyBytes_FromStringAndSize((const char *)b + 16, 20);
    if (!info_hash)
        return -1;
    long written = 0;
    if (whitelist != Py_None) {
        int listed = PySet_Contains(whitelist, info_hash);
        if (listed <= 0) {
            written = listed; /* -1 error, 0: Python refuses it with Torrust's reason */
            goto done;
        }
    }
    SwarmObject *sw = swarm_for(self, info_hash, 1);
    if (!sw) {
        written = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    Entry e;
    memcpy(e.key, b + 36, peer_id_len);
    memcpy(e.key + peer_id_len, ip, iplen);
    e.keylen = (uint8_t)(peer_id_len + iplen);
    e.hash = key_hash(e.key, e.keylen);
    memcpy(e.port, b + 96, 2);
    e.event = (uint8_t)event;
    e.completed_counted = 0;
    e.uploaded = uploaded;
    e.downloaded = downloaded;
    e.left = left;
    e.updated = now;
    e.obj = NULL;
    long want = num_want < 0 ? self->numwant_default
                             : (num_want < self->numwant_max ? num_want : self->numwant_max);
    Applied r;
    long got = apply_announce(sw, &e, (uint32_t)want, 0, &r, self->chosen);
    if (got < 0) {
        written = -1;
        goto done;
    }
    put32(out, action_announce);
    memcpy(out + 4, b + 12, 4);
    put32(out + 8, self->interval);
    put32(out + 12, swarm_incomplete(sw));
    put32(out + 16, swarm_complete(sw));
    uint8_t *p = out + 20;
    for (long i = 0; i < got; i++) {
        Entry *c = self->chosen[i];
        size_t n = c->keylen - peer_id_len;
        memcpy(p, c->key + peer_id_len, n);
        memcpy(p + n, c->port, 2);
        p += n + 2;
    }
    written = p - out;
    /* Only now call back into Python: `sw` and the chosen entries are borrowed, and Python code
     * may change the swarms dict. */
    if (r.completed_now) {
        PyObject *res = PyObject_CallOneArg(self->on_completed, info_hash);
        if (!res)
            written = -1;
        Py_XDECREF(res);
    }
done:
    Py_DECREF(info_hash);
    return written;
}

static long
answer_scrape(FastPathObject *self, const uint8_t *b, size_t n, PyObject *whitelist, uint8_t *out)
{
    size_t count = (n - 16) / 20;
    if (count > (size_t)self->max_scrape)
        count = (size_t)self->max_scrape;
    put32(out, action_scrape);
    memcpy(out + 4, b + 12, 4);
    uint8_t *p = out + 8;
    for (size_t i = 0; i < count; i++, p += 12) {
        PyObject *info_hash = PyBytes_FromStringAndSize((const char *)b + 16 + 20 * i, 20);
        if (!info_hash)
            return -1;
        uint32_t complete = 0, downloaded = 0, incomplete = 0;
        int shown = 1;
        if (whitelist != Py_None) {
            shown = PySet_Contains(whitelist, info_hash);
            if (shown < 0) {
                Py_DECREF(info_hash);
                return -1;
            }
        }
        if (shown) {
            SwarmObject *sw = swarm_for(self, info_hash, 0);
            if (sw) {
                complete = swarm_complete(sw);
                incomplete = swarm_incomplete(sw);
                downloaded = (uint32_t)sw->downloaded;
            } else if (PyErr_Occurred()) {
                Py_DECREF(info_hash);
                return -1;
            } else {
                /* no swarm now: its completed count may still be on record */
                PyObject *v = PyObject_CallOneArg(self->recorded, info_hash);
                if (!v) {
                    Py_DECREF(info_hash);
                    return -1;
                }
                downloaded = (uint32_t)PyLong_AsUnsignedLongMask(v);
                Py_DECREF(v);
            }
        }
        Py_DECREF(info_hash);
        put32(p, complete);
        put32(p + 4, downloaded);
        put32(p + 8, incomplete);
    }
    return p - out;
}

/* Answer one datagram from `ip` into `out`: bytes written, 0 for Python's turn, -1 on error. */
static long
answer_datagram(FastPathObject *self, const uint8_t *b, size_t n, const uint8_t *ip, int iplen,
                double now, PyObject *whitelist, uint8_t *out, unsigned long long counts[4])
{
    if (n < 16)
        return 0;
    uint32_t action = get32(b + 8);
    int is_announce = action == action_announce && n == announce_size;
    int is_scrape = action == action_scrape && n >= 36 && (n - 16) % 20 == 0;
    if (!is_announce && !is_scrape)
        return 0;
    PyObject *ipobj = PyBytes_FromStringAndSize((const char *)ip, iplen);
    int ok = ipobj ? id_checked(self, ipobj, get64(b), now) : -1;
    Py_XDECREF(ipobj);
    if (ok <= 0)
        return ok;
    long written = is_announce ? answer_announce(self, b, ip, iplen, whitelist, now, out)
                               : answer_scrape(self, b, n, whitelist, out);
    if (written > 0)
        counts[(is_announce ? 0 : 2) + (iplen == 16)]++;
    return written;
}

static int
check_whitelist(PyObject *whitelist)
{
    if (whitelist != Py_None && !PyAnySet_Check(whitelist)) {
        PyErr_SetString(PyExc_TypeError, "whitelist must be a set or None");
        return -1;
    }
    return require_configured();
}

/* answer(datagram, address, now, whitelist) -> reply bytes, or None for Python's turn.
 * `address` is the packed IP + port, as UdpTracker.handle takes it. One datagram, no socket:
 * what serve() does per datagram, for tests and fuzzing. */
static PyObject *
FastPath_answer(FastPathObject *self, PyObject *args)
{
    Py_buffer data, address;
    double now;
    PyObject *whitelist;
    if (!PyArg_ParseTuple(args, "y*y*dO", &data, &address, &now, &whitelist))
        return NULL;
    PyObject *result = NULL;
    unsigned long long counts[4] = {0, 0, 0, 0};
    if (check_whitelist(whitelist) < 0)
        goto done;
    if (address.len != 6 && address.len != 18) {
        PyErr_SetString(PyExc_ValueError, "address: packed IPv4 or IPv6 address + port");
        goto done;
    }
    long written = answer_datagram(self, data.buf, (size_t)data.len, address.buf,
                                   (int)address.len - 2, now, whitelist, self->out_buf, counts);
    if (written > 0)
        result = PyBytes_FromStringAndSize((const char *)self->out_buf, written);
    else if (written == 0)
        result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&address);
    return result;
}

#ifdef HAVE_MMSG
/* serve(fd, now, whitelist) -> (received, deferred, (announces4, announces6, scrapes4, scrapes6))
 * `whitelist`: None in public mode, the whitelist set in listed mode. `deferred` lists
 * (datagram, raw sockaddr) pairs for Python to answer. received == 0: nothing was waiting. */
static PyObject *
FastPath_serve(FastPathObject *self, PyObject *args)
{
    int fd;
    double now;
    PyObject *whitelist;
    if (!PyArg_ParseTuple(args, "idO", &fd, &now, &whitelist))
        return NULL;
    if (check_whitelist(whitelist) < 0)
        return NULL;
    PyObject *deferred = PyList_New(0);
    if (!deferred)
        return NULL;
    unsigned long long counts[4] = {0, 0, 0, 0};
    long received = 0;
    int failed = 0;
    for (int round = 0; round < BATCHES_PER_SERVE && !failed; round++) {
        for (int i = 0; i < BATCH; i++) {
            memset(&self->in_msgs[i], 0, sizeof(struct mmsghdr));
            self->in_msgs[i].msg_hdr.msg_name = &self->names[i];
            self->in_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
            self->in_msgs[i].msg_hdr.msg_iov = &self->in_iov[i];
            self->in_msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int got;
        Py_BEGIN_ALLOW_THREADS
        got = recvmmsg(fd, self->in_msgs, BATCH, MSG_DONTWAIT, NULL);
        Py_END_ALLOW_THREADS
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            PyErr_SetFromErrno(PyExc_OSError);
            failed = 1;
            break;
        }
        received += got;
        int replies = 0;
        for (int i = 0; i < got && !failed; i++) {
            const uint8_t *b = self->in_iov[i].iov_base;
            size_t n = self->in_msgs[i].msg_len;
            struct sockaddr_in6 *name = &self->names[i];
            socklen_t namelen = self->in_msgs[i].msg_hdr.msg_namelen;
            const uint8_t *ip = NULL;
            int iplen = 0;
            if (name->sin6_family == AF_INET && namelen >= sizeof(struct sockaddr_in)) {
                ip = (const uint8_t *)&((struct sockaddr_in *)name)->sin_addr;
                iplen = 4;
            } else if (name->sin6_family == AF_INET6 && namelen >= sizeof(struct sockaddr_in6)) {
                static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                ip = (const uint8_t *)&name->sin6_addr;
                iplen = 16;
                if (memcmp(ip, mapped, 12) == 0) {
                    ip += 12;
                    iplen = 4;
                }
            }
            uint8_t *slot = self->out_buf + self->out_size * (size_t)replies;
            long written = ip ? answer_datagram(self, b, n, ip, iplen, now, whitelist, slot, counts) : 0;
            if (written < 0) {
                failed = 1;
                break;
            }
            if (written > 0) {
                struct mmsghdr *m = &self->out_msgs[replies];
                memset(m, 0, sizeof(*m));
                self->out_iov[replies].iov_base = slot;
                self->out_iov[replies].iov_len = (size_t)written;
                m->msg_hdr.msg_name = name;
                m->msg_hdr.msg_namelen = namelen;
                m->msg_hdr.msg_iov = &self->out_iov[replies];
                m->msg_hdr.msg_iovlen = 1;
                replies++;
                continue;
            }
            PyObject *item = Py_BuildValue("(y#y#)", (const char *)b, (Py_ssize_t)n,
                                           (const char *)name, (Py_ssize_t)namelen);
            if (!item || PyList_Append(deferred, item) < 0)
                failed = 1;
            Py_XDECREF(item);
        }
        for (int sent = 0; sent < replies;) {
            int done;
            Py_BEGIN_ALLOW_THREADS
            done = sendmmsg(fd, self->out_msgs + sent, (unsigned)(replies - sent), MSG_DONTWAIT);
            Py_END_ALLOW_THREADS
            if (done <= 0)
                break; /* the socket buffer is full: drop the rest, as UDP may */
            sent += done;
        }
        if (got < BATCH)
            break;
    }
    if (failed) {
        Py_DECREF(deferred);
        return NULL;
    }
    return Py_BuildValue("(lN(KKKK))", received, deferred, counts[0], counts[1], counts[2],
                         counts[3]);
}
#endif

static PyMethodDef FastPath_methods[] = {
    {"answer", (PyCFunction)FastPath_answer, METH_VARARGS,
     "Answer one datagram; None when Python has to."},
#ifdef HAVE_MMSG
    {"serve", (PyCFunction)FastPath_serve, METH_VARARGS,
     "Answer waiting datagrams; return (received, deferred, counts)."},
#endif
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FastPathType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "torrentstack.tracker._swarmcore.UdpFastPath",
    .tp_basicsize = sizeof(FastPathObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Answers plain UDP announces and scrapes in C; hands the rest to Python.",
    .tp_new = FastPath_new,
    .tp_dealloc = (destructor)FastPath_dealloc,
    .tp_methods = FastPath_methods,
};

/* ---- module ----------------------------------------------------------------------------------- */

/* A small non-negative int argument within [low, high], or -1 with ValueError set. */
static long long
int_in(PyObject *value, const char *name, long long low, long long high)
{
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < low || v > high) {
        PyErr_Format(PyExc_ValueError, "%s must be %lld..%lld, not %lld", name, low, high, v);
        return -1;
    }
    return v;
}

/* configure(*, peer, counts, outcome, events, event_completed, event_stopped, peer_id_length,
 * announce_size, action_announce, action_scrape, max_scrape_hashes, bucket_seconds,
 * buckets_accepted): the classes results are built from and the protocol constants, all from
 * Python (native.py). The classes may be set again; the constants only to the same values,
 * since swarms and fast paths built on them may exist. */
static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"peer", "counts", "outcome", "events", "event_completed",
                             "event_stopped", "peer_id_length", "announce_size",
                             "action_announce", "action_scrape", "max_scrape_hashes",
                             "bucket_seconds", "buckets_accepted", NULL};
    PyObject *peer, *counts, *outcome, *events;
    PyObject *v[9];
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "$OOOO!OOOOOOOOO", kwlist, &peer, &counts,
                                     &outcome, &PyTuple_Type, &events, &v[0], &v[1], &v[2],
                                     &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]))
        return NULL;
    Py_ssize_t n_events = PyTuple_GET_SIZE(events);
    if (n_events < 1 || n_events > 255) {
        PyErr_SetString(PyExc_ValueError, "events: the AnnounceEvent members in wire order");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n_events; i++) {
        long long number = PyLong_AsLongLong(PyTuple_GET_ITEM(events, i));
        if (number == -1 && PyErr_Occurred())
            return NULL;
        if (number != i) {
            PyErr_SetString(PyExc_ValueError, "events: member i must be numbered i on the wire");
            return NULL;
        }
    }
    long long c[9];
    static const char *names[9] = {"event_completed", "event_stopped", "peer_id_length",
                                   "announce_size", "action_announce", "action_scrape",
                                   "max_scrape_hashes", "bucket_seconds", "buckets_accepted"};
    const long long low[9] = {0, 0, 1, ANNOUNCE_FIELDS_END, 0, 0, 1, 1, 1};
    const long long high[9] = {n_events - 1, n_events - 1, PEER_ID_MAX, IN_SIZE, UINT32_MAX,
                               UINT32_MAX, MAX_SCRAPE_LIMIT, 1LL << 32, 1LL << 32};
    for (int i = 0; i < 9; i++) {
        c[i] = int_in(v[i], names[i], low[i], high[i]);
        if (c[i] == -1 && PyErr_Occurred())
            return NULL;
    }
    if (constants_set &&
        (n_events != event_count || c[0] != event_completed || c[1] != event_stopped ||
         c[2] != peer_id_len || (size_t)c[3] != announce_size || c[4] != action_announce ||
         c[5] != action_scrape || c[6] != max_scrape_hashes || c[7] != bucket_seconds ||
         c[8] != buckets_accepted)) {
        PyErr_SetString(PyExc_ValueError,
                        "configure(): the constants are set already and cannot change");
        return NULL;
    }
    event_count = (uint8_t)n_events;
    event_completed = (uint8_t)c[0];
    event_stopped = (uint8_t)c[1];
    peer_id_len = (uint8_t)c[2];
    announce_size = (size_t)c[3];
    action_announce = (uint32_t)c[4];
    action_scrape = (uint32_t)c[5];
    max_scrape_hashes = (long)c[6];
    bucket_seconds = c[7];
    buckets_accepted = c[8];
    constants_set = 1;
    Py_INCREF(peer);
    Py_INCREF(counts);
    Py_INCREF(outcome);
    Py_INCREF(events);
    Py_XSETREF(PeerClass, peer);
    Py_XSETREF(CountsClass, counts);
    Py_XSETREF(OutcomeClass, outcome);
    Py_XSETREF(EventMembers, events);
    Py_RETURN_NONE;
}

static PyObject *
seed(PyObject *Py_UNUSED(module), PyObject *arg)
{
    /* 32 random bytes: the SipHash key and the run-start generator's state */
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len != 32) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "seed() takes 32 bytes");
        return NULL;
    }
    const uint8_t *b = view.buf;
    memcpy(&sip_k0, b, 8);
    memcpy(&sip_k1, b + 8, 8);
    memcpy(&rng_state, b + 16, 8);
    rng_state |= 1; /* xorshift must not start at 0 */
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, peer, counts, outcome, events, ...constants): what results are built from "
     "and the protocol constants, from the Python modules that define them."},
    {"seed", seed, METH_O, "seed(32 random bytes): hashing key and shuffling state."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_swarmcore", "Compiled swarm and UDP fast path.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__swarmcore(void)
{
    if (PyType_Ready(&SwarmType) < 0 || PyType_Ready(&FastPathType) < 0)
        return NULL;
#define INTERN(var, text) if (!(var = PyUnicode_InternFromString(text))) return NULL
    INTERN(str_peer_id, "peer_id");
    INTERN(str_endpoint, "endpoint");
    INTERN(str_uploaded, "uploaded");
    INTERN(str_downloaded, "downloaded");
    INTERN(str_left, "left");
    INTERN(str_event, "event");
    INTERN(str_updated, "updated");
    INTERN(str_completed_counted, "completed_counted");
#undef INTERN
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    Py_INCREF(&SwarmType);
    Py_INCREF(&FastPathType);
    if (PyModule_AddObject(m, "Swarm", (PyObject *)&SwarmType) < 0 ||
        PyModule_AddObject(m, "UdpFastPath", (PyObject *)&FastPathType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "HAVE_MMSG",
#ifdef HAVE_MMSG
                                1
#else
                                0
#endif
                                ) < 0 ||
        PyModule_AddIntConstant(m, "MAX_NUMWANT", MAX_NUMWANT) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
