// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_params.c - LD_PRELOAD shim applying epoll busy-poll parameters
 *
 * Applies EPIOCSPARAMS (Linux 6.9+) to the epoll instances of an unmodified
 * server, e.g. Debian's memcached (libevent), which has no option for it.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -fPIC -shared \
 *            -o epoll_params.so epoll_params.c -ldl
 * Use:   EP_BUSY_POLL_USECS=64 EP_PREFER_BUSY_POLL=1 \
 *            LD_PRELOAD=./epoll_params.so memcached ...
 *
 * Environment (read once, when the library is loaded):
 *   EP_BUSY_POLL_USECS   busy_poll_usecs, 0..2147483647 (the kernel
 *                        rejects larger values)
 *   EP_BUSY_POLL_BUDGET  busy_poll_budget, 0..65535; 0 means the kernel
 *                        default (BUSY_POLL_BUDGET, 8).  Values above
 *                        NAPI_POLL_WEIGHT (64) need CAP_NET_ADMIN, else
 *                        the kernel fails with EPERM.
 *   EP_PREFER_BUSY_POLL  prefer_busy_poll, 0 or 1 (only range-checked to
 *                        0..255 here; the kernel rejects > 1 with EINVAL)
 *   EP_MAX_TIMEOUT_USECS wait at most this long, 0..2147483647 us, in
 *                        epoll_wait/epoll_pwait/epoll_pwait2 on an eligible
 *                        instance: a longer or infinite timeout is cut to
 *                        it (a zero one stays zero), as the IRQ-suspension
 *                        study's libevent patch does for its fullbusy
 *                        mode.  With busy_poll_usecs at least as long, the
 *                        event loop busy polls, and sleeps only after a
 *                        busy poll that found nothing (the kernel then
 *                        skips busy polling until the next event), for at
 *                        most that long.
 *   EP_VERBOSE=1         one stderr line per epoll fd that becomes eligible
 *
 * Unset parameters are passed as 0.  If none of the three parameters is
 * set, no ioctl is issued.  A malformed value, or a failing EPIOCSPARAMS
 * (ENOTTY on kernels without it, EINVAL, EPERM), prints one message to
 * stderr and terminates the process with _exit(4): a benchmark must never
 * silently measure the wrong configuration.  The values are tried once on
 * a scratch epoll instance at load time, so most errors show at startup;
 * an error that appears only later (e.g. EPERM after the server dropped
 * CAP_NET_ADMIN) ends the process at its first connection.
 *
 * Eligible instances: only epoll instances that serve connections.  When
 * epoll_ctl(EPOLL_CTL_ADD) adds a connected stream socket (SO_TYPE is
 * SOCK_STREAM and SO_ACCEPTCONN is 0; listening sockets, pipes, eventfds
 * do not qualify) the epoll fd is marked eligible and, that first time,
 * EPIOCSPARAMS is applied, before the real epoll_ctl so that the insertion
 * already records the socket's NAPI ID.  memcached's main thread (listening
 * socket + notify pipe) is thus left alone and does not compete with the
 * worker threads.
 *
 * AF_UNIX stream sockets qualify too (harmless: no NAPI ID, no busy poll).
 *
 * Marks live in an atomic bitmap indexed by fd; fds >= EP_MAX_FD are never
 * eligible.  A mark is cleared when epoll_create/epoll_create1 return that
 * fd number, so a new instance on a reused fd starts unmarked.  Limitation:
 * an epoll fd obtained otherwise (dup(), the raw syscall, fd passing) can
 * inherit a stale mark or carry none.
 *
 * A wait cut short returns 0, as a timeout does: event loops handle that.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#ifndef EPIOCSPARAMS
struct epoll_params {
	__u32 busy_poll_usecs;
	__u16 busy_poll_budget;
	__u8 prefer_busy_poll;
	__u8 __pad;
};

#define EPOLL_IOC_TYPE 0x8A
#define EPIOCSPARAMS _IOW(EPOLL_IOC_TYPE, 0x01, struct epoll_params)
#endif

#define EP_MAX_FD	65536
#define BITS		(8 * sizeof(unsigned long))

static unsigned long eligible[EP_MAX_FD / BITS];
static struct epoll_params params;
static int set_params, cap_set, verbose;
static long long max_timeout_ns;

static int (*real_epoll_create)(int);
static int (*real_epoll_create1)(int);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int,
			       const sigset_t *);
static int (*real_epoll_pwait2)(int, struct epoll_event *, int,
				const struct timespec *, const sigset_t *);

static unsigned long env_num(const char *name, unsigned long max, int *isset)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || strchr(s, '-') || v > max) {
		fprintf(stderr, "epoll_params: invalid %s=\"%s\" (0..%lu)\n",
			name, s, max);
		_exit(4);
	}
	*isset = 1;
	return v;
}

static void apply(int epfd, const char *what)
{
	if (set_params && ioctl(epfd, EPIOCSPARAMS, &params)) {
		fprintf(stderr,
			"epoll_params: EPIOCSPARAMS on %s epoll fd %d (busy_poll_usecs=%u busy_poll_budget=%u prefer_busy_poll=%u) failed: %s\n",
			what, epfd, params.busy_poll_usecs, params.busy_poll_budget,
			params.prefer_busy_poll, strerror(errno));
		_exit(4);
	}
}

static void init(void)
{
	int dummy = 0, fd;

	real_epoll_create = dlsym(RTLD_NEXT, "epoll_create");
	real_epoll_create1 = dlsym(RTLD_NEXT, "epoll_create1");
	real_epoll_ctl = dlsym(RTLD_NEXT, "epoll_ctl");
	real_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
	real_epoll_pwait = dlsym(RTLD_NEXT, "epoll_pwait");
	real_epoll_pwait2 = dlsym(RTLD_NEXT, "epoll_pwait2");

	params.busy_poll_usecs = env_num("EP_BUSY_POLL_USECS", INT_MAX,
					 &set_params);
	params.busy_poll_budget = env_num("EP_BUSY_POLL_BUDGET", USHRT_MAX,
					  &set_params);
	params.prefer_busy_poll = env_num("EP_PREFER_BUSY_POLL", UCHAR_MAX,
					  &set_params);
	max_timeout_ns = 1000LL * env_num("EP_MAX_TIMEOUT_USECS", INT_MAX,
					   &cap_set);
	verbose = env_num("EP_VERBOSE", 1, &dummy);

	/* Probe a scratch instance so that bad values fail at startup. */
	if (set_params) {
		fd = real_epoll_create1(EPOLL_CLOEXEC);
		apply(fd, "scratch");
		close(fd);
	}
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

__attribute__((constructor)) static void ep_init(void)
{
	pthread_once(&once, init);
}

static int is_eligible(int fd)
{
	if (fd < 0 || fd >= EP_MAX_FD)
		return 0;
	return !!(__atomic_load_n(&eligible[fd / BITS], __ATOMIC_RELAXED) &
		  (1UL << (fd % BITS)));
}

static void clear_mark(int fd)
{
	if (fd >= 0 && fd < EP_MAX_FD)
		__atomic_fetch_and(&eligible[fd / BITS], ~(1UL << (fd % BITS)),
				   __ATOMIC_RELAXED);
}

/* Sets the mark; returns 1 if this call set it (first time). */
static int set_mark(int fd)
{
	unsigned long bit = 1UL << (fd % BITS);

	return !(__atomic_fetch_or(&eligible[fd / BITS], bit,
				   __ATOMIC_RELAXED) & bit);
}

static int is_connected_stream(int fd)
{
	int type = 0, acc = 1;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM)
		return 0;
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len))
		return 0;
	return !acc;
}

static void configure(int epfd, int sockfd)
{
	apply(epfd, "server");
	if (verbose && set_params)
		fprintf(stderr,
			"epoll_params: epoll fd %d (first socket fd %d): busy_poll_usecs=%u busy_poll_budget=%u prefer_busy_poll=%u max_timeout_ns=%lld\n",
			epfd, sockfd, params.busy_poll_usecs,
			params.busy_poll_budget, params.prefer_busy_poll,
			cap_set ? max_timeout_ns : -1LL);
	else if (verbose)
		fprintf(stderr,
			"epoll_params: epoll fd %d (first socket fd %d): no EPIOCSPARAMS, max_timeout_ns=%lld\n",
			epfd, sockfd, cap_set ? max_timeout_ns : -1LL);
}

int epoll_create(int size)
{
	int fd;

	pthread_once(&once, init);
	fd = real_epoll_create(size);
	clear_mark(fd);
	return fd;
}

int epoll_create1(int flags)
{
	int fd;

	pthread_once(&once, init);
	fd = real_epoll_create1(flags);
	clear_mark(fd);
	return fd;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	pthread_once(&once, init);
	if (op == EPOLL_CTL_ADD && (set_params || cap_set) &&
	    epfd >= 0 && epfd < EP_MAX_FD && !is_eligible(epfd) &&
	    is_connected_stream(fd) && set_mark(epfd))
		configure(epfd, fd);
	return real_epoll_ctl(epfd, op, fd, event);
}

/*
 * The timeout to wait with on @epfd instead of @t (NULL: forever), in
 * @buf, or NULL if @t stays.  An invalid @t stays, for the kernel to
 * reject.
 */
static const struct timespec *cut(int epfd, const struct timespec *t,
				  struct timespec *buf)
{
	if (!cap_set || !is_eligible(epfd))
		return NULL;
	if (t && (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000 ||
		  t->tv_sec < max_timeout_ns / 1000000000 ||
		  (t->tv_sec == max_timeout_ns / 1000000000 &&
		   t->tv_nsec <= max_timeout_ns % 1000000000)))
		return NULL;
	buf->tv_sec = max_timeout_ns / 1000000000;
	buf->tv_nsec = max_timeout_ns % 1000000000;
	return buf;
}

/*
 * Wait with the cut timeout @t, through epoll_pwait2 where the C library
 * and the kernel (5.11+) have it, else with the cut rounded up to ms.
 */
static int wait_cut(int epfd, struct epoll_event *ev, int max,
		    const struct timespec *t, const sigset_t *sigmask)
{
	int n;

	if (real_epoll_pwait2) {
		n = real_epoll_pwait2(epfd, ev, max, t, sigmask);
		if (n >= 0 || errno != ENOSYS)
			return n;
	}
	return real_epoll_pwait(epfd, ev, max,
				(int)((max_timeout_ns + 999999) / 1000000),
				sigmask);
}

/* Millisecond timeout as a timespec; NULL (forever) if negative. */
static const struct timespec *ms_to_ts(int ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000L;
	return ms < 0 ? NULL : ts;
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	struct timespec ts, buf;
	const struct timespec *t;

	pthread_once(&once, init);
	t = cut(epfd, ms_to_ts(timeout, &ts), &buf);
	if (!t)
		return real_epoll_wait(epfd, ev, max, timeout);
	return wait_cut(epfd, ev, max, t, NULL);
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
		const sigset_t *sigmask)
{
	struct timespec ts, buf;
	const struct timespec *t;

	pthread_once(&once, init);
	t = cut(epfd, ms_to_ts(timeout, &ts), &buf);
	if (!t)
		return real_epoll_pwait(epfd, ev, max, timeout, sigmask);
	return wait_cut(epfd, ev, max, t, sigmask);
}

int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
		 const struct timespec *timeout, const sigset_t *sigmask)
{
	struct timespec buf;
	const struct timespec *t;

	pthread_once(&once, init);
	if (!real_epoll_pwait2) {
		errno = ENOSYS;
		return -1;
	}
	t = cut(epfd, timeout, &buf);
	return real_epoll_pwait2(epfd, ev, max, t ? t : timeout, sigmask);
}
