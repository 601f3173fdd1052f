// SPDX-License-Identifier: GPL-2.0
/*
 * mcload - open-loop memcached load generator (ASCII protocol over TCP),
 * on napi_load's core (tools/testing/selftests/net/lib/open_loop.h in the
 * fork's tree: build with -I there and -lm).
 *
 * Usage: mcload [-4|-6] -a ADDR -p PORT -r RATE -d SECONDS [-c CONNS]
 *               [-k KEYS] [-K KEY_SIZE] [-V VALUE_SIZE] [-g GET_RATIO]
 *               [-w WARMUP_SECONDS] [-e] [-S SEED] [-C CPU]
 *               [-T DRAIN_TIMEOUT_SECONDS] [-L] [-m]
 *
 * Defaults: 16 connections, 10000 keys of 30 bytes, 200-byte values, 90%
 * gets, no warm-up, 5 s drain timeout.
 *
 * The schedule and the measurement are open_loop.h's, as napi_load's:
 * request k is due at t0 + k / RATE, or with -e after exponentially
 * distributed gaps of mean 1 / RATE (fixed seed unless -S).  The same PRNG
 * picks, for each request, whether it is a get (with
 * probability GET_RATIO) or a set, and its key, uniformly among KEYS.
 * Requests go to the CONNS connections round-robin and are sent when due
 * whether or not earlier ones were answered (open loop).  Latency is
 * measured from the intended send time, not the actual one, so a stalled
 * sender does not hide queueing delay (no coordinated omission).
 *
 * Key i is "key:" and i in decimal, zero-padded to KEY_SIZE bytes
 * (at most 250, memcached's limit).  Its value is VALUE_SIZE bytes that
 * depend only on i and VALUE_SIZE: i in 10 decimal digits, ':', then a
 * fixed printable pattern rotated by i.  A request is
 *   set <key> 0 0 <VALUE_SIZE>\r\n<value>\r\n   answered STORED\r\n
 *   get <key>\r\n                               answered END\r\n (miss) or
 *   VALUE <key> 0 <VALUE_SIZE>\r\n<value>\r\nEND\r\n (hit, checked byte
 *   for byte)
 * Responses come back in request order, each connection keeps a ring of
 * its outstanding requests to match them.  A hit whose data differs from
 * the expected value is an error, the connection goes on (the response
 * was well framed).  Any other unexpected response (ERROR, CLIENT_ERROR,
 * SERVER_ERROR, wrong key, flags or length, garbage, data when nothing is
 * outstanding) leaves the stream in an unknown state: it counts as one
 * error, the connection is closed, its other outstanding requests are
 * "lost" and later requests routed to it "missed".  A connection closed
 * or reset by the server counts as one error likewise.  So do data of a
 * key stored with another VALUE_SIZE, or by something other than mcload:
 * use a fresh server, or the same -K and -V.
 *
 * With -L every key is first set (pipelined over the connections, keys
 * round-robin, waiting for all the STORED), so that gets hit.  That is
 * not measured and not counted in "sent"; its errors count in "errors".
 * It gives up when no response came for DRAIN_TIMEOUT seconds.
 *
 * Sending stops after -d SECONDS of schedule, then outstanding responses
 * are awaited for up to -T seconds (default 5); those still missing are
 * "lost".  Requests due before t0 + WARMUP are sent and checked but not
 * measured.  A request that finds its connection's queue of outstanding
 * requests (4096, napi_load has 65536: a deeper queue only makes an
 * overloaded server answer warm-up requests during the measurement) or of
 * unsent bytes (16 MiB) full, or its connection closed, is "missed" (not
 * sent).  With -m, the measured window's start and end are marked on
 * stdout as they happen (see open_loop.h).  One JSON line is printed:
 *   rate, duration, conns, keys, key_size, value_size, get_ratio
 *             the parameters (napi_load's "size" is "value_size" here)
 *   sent      requests sent (all)
 *   measured  requests due at or after t0 + WARMUP (sent or missed)
 *   completed measured requests answered correctly
 *   gets      of which gets, hits + misses
 *   sets      of which sets
 *   hits      measured gets answered with the (correct) value
 *   misses    measured gets answered END
 *   missed, lost, errors  as above (errors include warm-up and -L ones)
 *   qps       completed / the time from t0 + WARMUP to the end of the
 *             schedule or the last completion, whichever is later: the
 *             rate achieved, below RATE when the system cannot keep up
 *   elapsed   that time, in seconds
 *   window_ns when the measured window started and ended (CLOCK_MONOTONIC)
 *   lat_us    latency statistics of the completed measured requests
 * Exit status is 0 when there were no errors and no lost requests, 1
 * otherwise, 2 for usage errors.
 */

#define _GNU_SOURCE

#include "open_loop.h"

#define RING_SIZE	4096	/* outstanding requests per connection */
#define OUT_MAX		(16 << 20)	/* unsent bytes per connection */
#define RBUF_SIZE	262144
#define RLINE_MAX	1024	/* longest response line */
#define KEY_MAX		250	/* memcached's limit */
#define VALUE_MAX	1048576
#define VHDR_LEN	11	/* value prefix: 10 digits and ':' */
#define PAT_LEN		4093	/* value pattern period, a prime */
#define MAX_EVENTS	64
#define MAX_MSGS	10	/* data mismatches reported on stderr */

enum kind { K_GET, K_SET };
enum result { R_STORED, R_HIT, R_MISS, R_BAD };

struct slot {
	__u64 due;		/* intended send time, ns */
	__u32 key;
	__u32 kind;
};

struct conn {
	int fd;
	bool dead;
	bool want_out;
	struct slot *ring;
	__u32 head, tail;	/* ring indexes, count = tail - head */
	char *out;		/* bytes waiting to be sent */
	size_t out_off, out_len, out_cap;
	char *in;		/* start of a response not fully received */
	size_t in_len, in_cap;
};

struct ctx {
	struct conn *conns;
	int nconns;
	int ep;
	__u32 keys;
	size_t key_size, value_size;
	double get_ratio;
	size_t get_len, set_len;	/* request lengths */
	char set_mid[32];	/* " 0 0 <VALUE_SIZE>\r\n" */
	size_t set_mid_len;
	char *pat;		/* PAT_LEN + VALUE_SIZE pattern bytes */
	char *vbuf;		/* expected value */
	char *rbuf;
	const struct ol_sched *sch;	/* the schedule, its window */
	__u64 last_done;	/* time of the last measured completion */
	unsigned long long sent, measured, completed, missed, errors;
	unsigned long long gets, sets, hits, misses;
	unsigned long long responses;	/* all, for -L progress */
	int nmsgs;
	struct ol_lat lat;
	__u64 seed;		/* picks each request's kind and key */
};

static void grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need * 2;
	*buf = realloc(*buf, *cap);
	if (!*buf)
		die("realloc");
}

/* Write @v in decimal into p[0..n), zero-padded on the left. */
static void put_dec(char *p, size_t n, __u32 v)
{
	while (n > 0) {
		p[--n] = '0' + v % 10;
		v /= 10;
	}
}

static void key_fill(const struct ctx *x, __u32 idx, char *p)
{
	memcpy(p, "key:", 4);
	put_dec(p + 4, x->key_size - 4, idx);
}

static void value_fill(const struct ctx *x, __u32 idx, char *p)
{
	char hdr[VHDR_LEN];
	size_t n = x->value_size < VHDR_LEN ? x->value_size : VHDR_LEN;

	put_dec(hdr, VHDR_LEN - 1, idx);
	hdr[VHDR_LEN - 1] = ':';
	memcpy(p, hdr, n);
	memcpy(p + n, x->pat + idx % PAT_LEN, x->value_size - n);
}

static void set_out(struct ctx *x, struct conn *c, bool want)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (c->want_out == want)
		return;
	if (want)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(x->ep, EPOLL_CTL_MOD, c->fd, &ev))
		die("epoll_ctl(MOD)");
	c->want_out = want;
}

static void conn_fail(struct ctx *x, struct conn *c, const char *why)
{
	fprintf(stderr, "mcload: connection %d: %s\n",
		(int)(c - x->conns), why);
	close(c->fd);
	c->dead = true;
	c->in_len = 0;
	x->errors++;
}

/*
 * The response at p[0..n) is not what the request at the head of the ring
 * expects: count it as that request's error and give up the connection.
 */
static void bad_resp(struct ctx *x, struct conn *c, const char *p, size_t n,
		     const char *why)
{
	char msg[160];
	size_t i, l;

	l = snprintf(msg, sizeof(msg), "%s: \"", why);
	for (i = 0; i < n && i < 48 && p[i] != '\r' && p[i] != '\n'; i++)
		msg[l++] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '?';
	msg[l++] = '"';
	msg[l] = '\0';
	if (c->head != c->tail) {
		c->head++;
		x->responses++;
	}
	conn_fail(x, c, msg);
}

static void flush_out(struct ctx *x, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_fail(x, c, strerror(errno));
			return;
		}
		c->out_off += n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
	}
	set_out(x, c, c->out_len > 0);
}

/* Queue a request on @c and try to send it; false if @c is full or dead. */
static bool enqueue(struct ctx *x, struct conn *c, __u64 due, __u32 key,
		    enum kind kind)
{
	size_t len = kind == K_GET ? x->get_len : x->set_len;
	char *p;

	if (c->dead || c->tail - c->head == RING_SIZE ||
	    c->out_len - c->out_off + len > OUT_MAX)
		return false;
	c->ring[c->tail % RING_SIZE] = (struct slot){
		.due = due, .key = key, .kind = kind,
	};
	c->tail++;

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	grow(&c->out, &c->out_cap, c->out_len + len);
	p = c->out + c->out_len;
	memcpy(p, kind == K_GET ? "get " : "set ", 4);
	p += 4;
	key_fill(x, key, p);
	p += x->key_size;
	if (kind == K_SET) {
		memcpy(p, x->set_mid, x->set_mid_len);
		p += x->set_mid_len;
		value_fill(x, key, p);
		p += x->value_size;
	}
	memcpy(p, "\r\n", 2);
	c->out_len += len;
	if (!c->want_out)	/* else EPOLLOUT will flush it */
		flush_out(x, c);
	return true;
}

static void send_req(struct ctx *x, struct conn *c, __u64 due, __u32 key,
		     enum kind kind)
{
	if (due >= x->sch->measure_from)
		x->measured++;
	if (!enqueue(x, c, due, key, kind)) {
		x->missed++;
		return;
	}
	x->sent++;
}

/* The request at the head of @c's ring got a well-framed response. */
static void complete(struct ctx *x, struct conn *c, __u64 now,
		     enum result r)
{
	struct slot *s = &c->ring[c->head % RING_SIZE];

	c->head++;
	x->responses++;
	if (r == R_BAD) {
		if (x->nmsgs++ < MAX_MSGS)
			fprintf(stderr,
				"mcload: connection %d: wrong data for key %u\n",
				(int)(c - x->conns), s->key);
		x->errors++;
		return;
	}
	if (s->due < x->sch->measure_from)
		return;
	x->completed++;
	if (r == R_STORED) {
		x->sets++;
	} else {
		x->gets++;
		if (r == R_HIT)
			x->hits++;
		else
			x->misses++;
	}
	x->last_done = now;
	ol_lat_add(&x->lat, now > s->due ? now - s->due : 0);
}

static bool line_is(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && !memcmp(p, s, n);
}

/* Parse a decimal number at *pp, before @end, that fits 32 bits. */
static bool get_num(const char **pp, const char *end,
		    unsigned long long *v)
{
	const char *p = *pp;

	*v = 0;
	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		*v = *v * 10 + (*p - '0');
		if (*v > 0xffffffffULL)
			return false;
	}
	*pp = p;
	return true;
}

/* "VALUE <key> 0 <VALUE_SIZE>\r\n" for key @idx, @n bytes with the CRLF */
static bool value_line_ok(const struct ctx *x, __u32 idx, const char *p,
			  size_t n)
{
	const char *end = p + n - 2;
	char key[KEY_MAX];
	unsigned long long flags, bytes;

	if (n < 6 + x->key_size + 2 || memcmp(p, "VALUE ", 6))
		return false;
	p += 6;
	key_fill(x, idx, key);
	if (memcmp(p, key, x->key_size) || p[x->key_size] != ' ')
		return false;
	p += x->key_size + 1;
	if (!get_num(&p, end, &flags) || p == end || *p++ != ' ' ||
	    !get_num(&p, end, &bytes) || p != end)
		return false;
	return !flags && bytes == x->value_size;
}

/*
 * Handle the complete responses in p[0..n) received on @c at @now.
 * Returns the bytes used, less than @n when the last response is not
 * complete, or -1 when @c failed.
 */
static long parse(struct ctx *x, struct conn *c, const char *p, size_t n,
		  __u64 now)
{
	size_t used = 0;

	while (used < n) {
		const char *b = p + used, *eol;
		size_t avail = n - used, ll, need;
		const struct slot *s;

		if (c->head == c->tail) {
			bad_resp(x, c, b, avail, "unexpected data");
			return -1;
		}
		s = &c->ring[c->head % RING_SIZE];
		eol = memchr(b, '\n', avail < RLINE_MAX ? avail : RLINE_MAX);
		if (!eol) {
			if (avail < RLINE_MAX)
				break;	/* wait for the rest of the line */
			bad_resp(x, c, b, avail, "line too long");
			return -1;
		}
		ll = eol - b + 1;
		if (s->kind == K_SET) {
			if (!line_is(b, ll, "STORED\r\n")) {
				bad_resp(x, c, b, ll, "set");
				return -1;
			}
			complete(x, c, now, R_STORED);
			used += ll;
			continue;
		}
		if (line_is(b, ll, "END\r\n")) {
			complete(x, c, now, R_MISS);
			used += ll;
			continue;
		}
		if (!value_line_ok(x, s->key, b, ll)) {
			bad_resp(x, c, b, ll, "get");
			return -1;
		}
		need = ll + x->value_size + 7;
		if (avail < need)
			break;	/* wait for the data */
		if (memcmp(b + ll + x->value_size, "\r\nEND\r\n", 7)) {
			bad_resp(x, c, b, ll, "get, no END after");
			return -1;
		}
		value_fill(x, s->key, x->vbuf);
		complete(x, c, now, memcmp(b + ll, x->vbuf, x->value_size) ?
			 R_BAD : R_HIT);
		used += need;
	}
	return used;
}

static void read_resp(struct ctx *x, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, x->rbuf, RBUF_SIZE, 0);
		__u64 now = now_ns();
		size_t len, rest;
		const char *p;
		long used;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_fail(x, c, n ? strerror(errno) : "peer closed");
			return;
		}
		/* append to a partial response, if any, parse from there */
		p = x->rbuf;
		len = n;
		if (c->in_len) {
			grow(&c->in, &c->in_cap, c->in_len + n);
			memcpy(c->in + c->in_len, x->rbuf, n);
			p = c->in;
			len = c->in_len + n;
		}
		used = parse(x, c, p, len, now);
		if (used < 0)
			return;
		rest = len - used;
		if (rest && p == c->in) {
			memmove(c->in, c->in + used, rest);
		} else if (rest) {
			grow(&c->in, &c->in_cap, rest);
			memcpy(c->in, p + used, rest);
		}
		c->in_len = rest;
	}
}

/* Wait for events until @until (ns) at the latest and handle them. */
static void poll_once(void *ctx, __u64 until)
{
	struct epoll_event ev[MAX_EVENTS];
	struct ctx *x = ctx;
	int i, n;

	n = ol_wait(x->ep, ev, MAX_EVENTS, until);
	for (i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;

		if (!c->dead && (ev[i].events & (EPOLLIN | EPOLLERR |
						 EPOLLHUP)))
			read_resp(x, c);
		if (!c->dead && (ev[i].events & EPOLLOUT))
			flush_out(x, c);
	}
}

static unsigned long long outstanding(const struct ctx *x)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < x->nconns; i++)
		if (!x->conns[i].dead)
			n += x->conns[i].tail - x->conns[i].head;
	return n;
}

/*
 * Wait for a response, up to @tmo ns after *@last, the time of the last
 * one.  False when none came in time.
 */
static bool preload_wait(struct ctx *x, __u64 *last, __u64 tmo)
{
	unsigned long long seen = x->responses;

	poll_once(x, *last + tmo);
	if (x->responses != seen) {
		*last = now_ns();
		return true;
	}
	return now_ns() < *last + tmo;
}

/* -L: set every key, closed loop, before the schedule starts. */
static void preload(struct ctx *x, double timeout)
{
	__u64 tmo = (__u64)(timeout * NSEC), last = now_ns();
	__u32 i = 0;

	while (i < x->keys) {
		struct conn *c = &x->conns[i % x->nconns];

		if (c->dead || enqueue(x, c, 0, i, K_SET))
			i++;
		else if (!preload_wait(x, &last, tmo))
			goto stalled;
	}
	while (outstanding(x))
		if (!preload_wait(x, &last, tmo))
			goto stalled;
	return;
stalled:
	fprintf(stderr, "mcload: -L: no response for %.3f s, %u of %u keys queued, going on\n",
		timeout, i, x->keys);
}

static void open_conns(struct ctx *x, int family, const char *addr, int port)
{
	int i;

	for (i = 0; i < x->nconns; i++) {
		struct conn *c = &x->conns[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		c->fd = ol_connect(family, addr, port);
		if (c->fd < 0) {
			fprintf(stderr, "mcload: bad address %s\n", addr);
			exit(2);
		}
		c->ring = calloc(RING_SIZE, sizeof(*c->ring));
		if (!c->ring)
			die("calloc");
		if (epoll_ctl(x->ep, EPOLL_CTL_ADD, c->fd, &ev))
			die("epoll_ctl(ADD)");
	}
}

/* ol_run()'s: request @k, due at @due, a get or a set of a random key */
static void send_one(void *ctx, __u64 k, __u64 due)
{
	struct ctx *x = ctx;
	enum kind kind = rand_unit(&x->seed) <= x->get_ratio ? K_GET : K_SET;
	__u32 key = rand_u64(&x->seed) % x->keys;

	send_req(x, &x->conns[k % x->nconns], due, key, kind);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-4|-6] -a ADDR -p PORT -r RATE -d SECONDS [-c CONNS]\n"
		"       [-k KEYS] [-K KEY_SIZE] [-V VALUE_SIZE] [-g GET_RATIO]\n"
		"       [-w WARMUP_SECONDS] [-e] [-S SEED] [-C CPU]\n"
		"       [-T DRAIN_TIMEOUT_SECONDS] [-L] [-m]\n", prog);
	exit(2);
}

/* a finite number, or usage() */
static double arg_num(const char *s, const char *prog)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		usage(prog);
	return v;
}

/* a whole number in [@min, @max], or usage() */
static long long arg_int(const char *s, const char *prog, long long min,
			 long long max)
{
	double v = arg_num(s, prog);

	if (v < min || v > max || v != (long long)v)
		usage(prog);
	return (long long)v;
}

/* digits of @v in decimal */
static size_t ndigits(__u32 v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	/* -L is not measured: no due time is in the window before ol_run() */
	struct ol_sched sch = { .measure_from = ~0ULL };
	__u64 seed = 0x9e3779b97f4a7c15ULL, pseed = 0x2545f4914f6cdd1dULL;
	double dur = 0, warmup = 0, drain = 5;
	int family = AF_INET, port = -1, cpu = -1, opt;
	unsigned long long lost = 0;
	const char *addr = NULL;
	struct ctx x = {};
	bool load = false;
	__u64 t_end;
	size_t i;

	x.nconns = 16;
	x.keys = 10000;
	x.key_size = 30;
	x.value_size = 200;
	x.get_ratio = 0.9;
	while ((opt = getopt(argc, argv, "46a:p:r:d:c:k:K:V:g:w:eS:C:T:Lm")) !=
	       -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_int(optarg, argv[0], 0, 65535);
			break;
		case 'r':
			sch.rate = arg_num(optarg, argv[0]);
			break;
		case 'd':
			dur = arg_num(optarg, argv[0]);
			break;
		case 'c':
			x.nconns = arg_int(optarg, argv[0], 1, 1 << 20);
			break;
		case 'k':
			x.keys = arg_int(optarg, argv[0], 1, 0xffffffffU);
			break;
		case 'K':
			x.key_size = arg_int(optarg, argv[0], 5, KEY_MAX);
			break;
		case 'V':
			x.value_size = arg_int(optarg, argv[0], 0,
					       VALUE_MAX);
			break;
		case 'g':
			x.get_ratio = arg_num(optarg, argv[0]);
			break;
		case 'w':
			warmup = arg_num(optarg, argv[0]);
			break;
		case 'e':
			sch.expo = true;
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'C':
			cpu = arg_int(optarg, argv[0], 0, CPU_SETSIZE - 1);
			break;
		case 'T':
			drain = arg_num(optarg, argv[0]);
			break;
		case 'L':
			load = true;
			break;
		case 'm':
			sch.marks = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!seed)
		seed = 1;	/* xorshift needs a non-zero state */
	sch.seed = seed;				/* the gaps */
	x.seed = seed * 0x9e3779b97f4a7c15ULL | 1;	/* kinds and keys */
	if (optind != argc || !addr || port < 0 || sch.rate <= 0 ||
	    sch.rate > 1e9 ||
	    dur <= 0 || dur > 1e6 || x.key_size < 4 + ndigits(x.keys - 1) ||
	    x.get_ratio < 0 || x.get_ratio > 1 || warmup < 0 ||
	    warmup >= dur || drain < 0 || drain > 1e6)
		usage(argv[0]);

	ol_setup(cpu);

	x.set_mid_len = snprintf(x.set_mid, sizeof(x.set_mid), " 0 0 %zu\r\n",
				 x.value_size);
	x.get_len = 4 + x.key_size + 2;
	x.set_len = 4 + x.key_size + x.set_mid_len + x.value_size + 2;
	x.conns = calloc(x.nconns, sizeof(*x.conns));
	x.pat = malloc(PAT_LEN + x.value_size);
	x.vbuf = malloc(x.value_size + 1);
	x.rbuf = malloc(RBUF_SIZE);
	if (!x.conns || !x.pat || !x.vbuf || !x.rbuf)
		die("malloc");
	/* values depend on the key and VALUE_SIZE only, never on -S */
	for (i = 0; i < PAT_LEN; i++)
		x.pat[i] = '!' + rand_u64(&pseed) % 94;
	for (; i < PAT_LEN + x.value_size; i++)
		x.pat[i] = x.pat[i - PAT_LEN];
	x.ep = epoll_create1(EPOLL_CLOEXEC);
	if (x.ep < 0)
		die("epoll_create1");
	open_conns(&x, family, addr, port);
	x.sch = &sch;

	if (load)
		preload(&x, drain);
	ol_run(&sch, dur, warmup, &x, send_one, poll_once);

	t_end = now_ns() + (__u64)(drain * NSEC);
	for (;;) {
		lost = outstanding(&x);
		if (!lost || now_ns() >= t_end)
			break;
		poll_once(&x, t_end);
	}
	for (i = 0; i < (size_t)x.nconns; i++)
		if (x.conns[i].dead)
			lost += x.conns[i].tail - x.conns[i].head;

	printf("{\"rate\": %.15g, \"duration\": %.3f, \"conns\": %d, ",
	       sch.rate, dur, x.nconns);
	printf("\"keys\": %u, \"key_size\": %zu, \"value_size\": %zu, ",
	       x.keys, x.key_size, x.value_size);
	printf("\"get_ratio\": %.15g, ", x.get_ratio);
	printf("\"sent\": %llu, \"measured\": %llu, \"completed\": %llu, ",
	       x.sent, x.measured, x.completed);
	printf("\"gets\": %llu, \"sets\": %llu, \"hits\": %llu, ",
	       x.gets, x.sets, x.hits);
	printf("\"misses\": %llu, ", x.misses);
	printf("\"missed\": %llu, \"lost\": %llu, \"errors\": %llu, ",
	       x.missed, lost, x.errors);
	ol_report(&sch, &x.lat, x.completed, x.last_done);
	return x.errors || lost ? 1 : 0;
}
