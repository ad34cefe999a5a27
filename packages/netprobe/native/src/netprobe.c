/*
 * netprobe: health-check sockets off the JavaScript thread, as an N-API addon (Linux only).
 *
 * One epoll thread per Node environment does the socket work of every probe: non-blocking
 * connect, send of prepared bytes, reads until a stop rule, a connect deadline and a read
 * deadline (one min-heap), and closes (with a reset for connect-only probes, as haproxy does).
 * Reports go back to JavaScript in batches through one threadsafe function: a probe id, an event
 * code, an errno, the elapsed milliseconds and the bytes read. Judging those bytes stays in
 * TypeScript; this file knows only where to stop reading (see the MODE_* rules below).
 *
 * A recurring probe (submit with an interval) stays on the thread between rounds: after each report it waits its
 * interval (jittered by spread-checks, aligned to a slack grid so rounds start in batches) and
 * starts again, so a server checked every second costs the JS thread one callback per result and
 * no timer, no call out. JavaScript changes the interval (retime) or ends it (drain, cancel).
 *
 * Threads: submit/retime/drain/cancel run on the JS thread and only touch the locked
 * queues; every probe_t belongs to the epoll thread once queued. Results travel back through a
 * locked list; the threadsafe function is called only when that list goes from empty to non-empty.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Stop rules. CONNECT: report as soon as the connection opens, close with RST. HTTP: send, read
 * until the head is complete ("\r\n\r\n"), the first 5 bytes are not "HTTP/", max bytes, close or
 * deadline. HTTP_BODY: the same, but once the head is complete every read is reported as PARTIAL
 * (JavaScript decides when the body is enough and cancels). LINE: send, read until '\n'. */
enum { MODE_CONNECT = 0, MODE_HTTP = 1, MODE_HTTP_BODY = 2, MODE_LINE = 3 };
enum {
  EV_CONNECTED = 0,
  EV_DONE = 1,
  EV_PARTIAL = 2,
  EV_EOF = 3,
  EV_CONNECT_ERROR = 4,
  EV_READ_ERROR = 5,
  EV_WRITE_ERROR = 6,
  EV_CONNECT_TIMEOUT = 7,
  EV_READ_TIMEOUT = 8,
  EV_STOPPED = 9 /* a drained recurring probe was freed between rounds (for the loader only) */
};
/* ST_WAITING: a recurring probe between rounds; its heap deadline is the next start. */
enum { ST_CONNECTING, ST_SENDING, ST_READING, ST_WAITING };
/* Requests from JS applied on the thread, in order, after submissions. */
enum { OP_CANCEL, OP_RETIME, OP_DRAIN };

#define TABLE_SIZE 4096 /* id hash buckets (chained) */
#define READ_CHUNK 65536 /* one read, as libuv reads for a net.Socket */
#define MAX_EVENTS 256
#define SLOTS 256 /* reports per dispatch call: id, event, errno, ms in a shared Float64Array */
#define START_SLACK_NS 16000000u /* start times of recurring rounds rounded to 16 ms (at most 1/8 of the wait) */

typedef struct probe {
  uint32_t id;
  int fd;
  uint8_t mode, state, head_seen, in_epoll;
  uint8_t recurring, draining;
  uint32_t connect_ms, read_ms, max_bytes;
  uint32_t interval_ms, spread_pct; /* recurring: wait between rounds, +/- percent of jitter */
  int64_t carry_ns;                 /* recurring: rounding error of the last start time (see arm) */
  uint64_t start_ns, deadline_ns;
  size_t heap_idx;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  uint8_t *req;
  uint32_t req_len, req_off;
  uint8_t *buf;
  uint32_t len, cap;
  struct probe *hnext; /* id hash chain */
  struct probe *qnext; /* submit queue */
} probe_t;

typedef struct result {
  uint32_t id;
  int32_t event, err;
  double ms;
  uint8_t *data;
  uint32_t len;
  struct result *next;
} result_t;

typedef struct {
  uint32_t id, kind, interval_ms;
  int64_t delay_ms; /* OP_RETIME: next start from now when between rounds; < 0 keeps it */
} op_t;

typedef struct {
  napi_threadsafe_function tsfn;
  napi_ref slots_ref; /* the Float64Array init() returns (JS thread only) */
  double *slots;
  pthread_t thread;
  int started, epfd, evfd;
  uint64_t tick_ns; /* batching cadence while busy (0: wake on every event) */
  pthread_mutex_t lock;
  /* Under lock. */
  probe_t *sub_head, *sub_tail;
  op_t *ops;
  size_t nops, capops;
  result_t *res_head, *res_tail;
  int signalled, stopping;
  /* Epoll thread only. */
  probe_t **heap;
  size_t heap_len, heap_cap;
  probe_t *table[TABLE_SIZE];
  result_t *out_head, *out_tail;
  uint8_t *scratch; /* one read buffer for every probe */
  uint32_t rng;     /* xorshift state for spread-checks jitter */
  atomic_uint active;
} state_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- deadline min-heap (epoll thread) ---- */

static void heap_swap(state_t *s, size_t a, size_t b) {
  probe_t *t = s->heap[a];
  s->heap[a] = s->heap[b];
  s->heap[b] = t;
  s->heap[a]->heap_idx = a;
  s->heap[b]->heap_idx = b;
}

static void heap_up(state_t *s, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (s->heap[p]->deadline_ns <= s->heap[i]->deadline_ns) break;
    heap_swap(s, i, p);
    i = p;
  }
}

static void heap_down(state_t *s, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->heap_len && s->heap[l]->deadline_ns < s->heap[m]->deadline_ns) m = l;
    if (r < s->heap_len && s->heap[r]->deadline_ns < s->heap[m]->deadline_ns) m = r;
    if (m == i) return;
    heap_swap(s, i, m);
    i = m;
  }
}

static int heap_push(state_t *s, probe_t *p) {
  if (s->heap_len == s->heap_cap) {
    size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
    probe_t **h = realloc(s->heap, cap * sizeof *h);
    if (!h) return -1;
    s->heap = h;
    s->heap_cap = cap;
  }
  p->heap_idx = s->heap_len;
  s->heap[s->heap_len++] = p;
  heap_up(s, p->heap_idx);
  return 0;
}

static void heap_remove(state_t *s, probe_t *p) {
  size_t i = p->heap_idx;
  if (i >= s->heap_len || s->heap[i] != p) return;
  s->heap_len--;
  if (i != s->heap_len) {
    s->heap[i] = s->heap[s->heap_len];
    s->heap[i]->heap_idx = i;
    heap_down(s, i);
    heap_up(s, i);
  }
  p->heap_idx = (size_t)-1;
}

static void heap_update(state_t *s, probe_t *p) {
  heap_down(s, p->heap_idx);
  heap_up(s, p->heap_idx);
}

/* ---- id table (epoll thread) ---- */

static void table_add(state_t *s, probe_t *p) {
  probe_t **b = &s->table[p->id & (TABLE_SIZE - 1)];
  p->hnext = *b;
  *b = p;
}

static probe_t *table_take(state_t *s, uint32_t id) {
  for (probe_t **pp = &s->table[id & (TABLE_SIZE - 1)]; *pp; pp = &(*pp)->hnext) {
    if ((*pp)->id == id) {
      probe_t *p = *pp;
      *pp = p->hnext;
      return p;
    }
  }
  return NULL;
}

/* ---- probe lifecycle (epoll thread) ---- */

static void probe_free(probe_t *p) {
  free(p->req);
  free(p->buf);
  free(p);
}

/* Queues a report; `data` (owned, may be NULL) goes with it. */
static void emit(state_t *s, probe_t *p, int event, int err, uint8_t *data, uint32_t len) {
  result_t *r = malloc(sizeof *r);
  if (!r) {
    free(data);
    return;
  }
  r->id = p->id;
  r->event = event;
  r->err = err;
  r->ms = (double)(now_ns() - p->start_ns) / 1e6;
  r->data = data;
  r->len = len;
  r->next = NULL;
  if (s->out_tail)
    s->out_tail->next = r;
  else
    s->out_head = r;
  s->out_tail = r;
}

/* A wait of `ms` with spread-checks jitter (+/- spread_pct percent), as the engine's jitter(). */
static uint64_t jittered_ns(state_t *s, probe_t *p, uint64_t ms) {
  if (p->spread_pct > 0) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    double r = (double)s->rng / 4294967296.0; /* [0,1) */
    double j = (double)ms * (1.0 + ((r * 2.0 - 1.0) * p->spread_pct) / 100.0);
    ms = j < 1.0 ? 1 : (uint64_t)(j + 0.5);
  }
  return ms * 1000000u;
}

/* Next round of a recurring probe in `wait_ns` from now, rounded to a slack grid (at most an eighth
 * of the wait) so the rounds of many servers start together: fewer wake-ups, as the engine's timers.
 * The rounding error is carried to the next round: a wait that is not a multiple of the grid (1 s on
 * a 16 ms grid) would otherwise always round the same way, and every period be 8 ms too long. */
static void arm(state_t *s, probe_t *p, uint64_t wait_ns) {
  uint64_t now = now_ns(), slack = wait_ns / 8 < START_SLACK_NS ? wait_ns / 8 : START_SLACK_NS;
  int64_t exact = (int64_t)(now + wait_ns) + p->carry_ns;
  int64_t at = exact;
  if (slack > 1000000u) at = (exact + (int64_t)slack / 2) / (int64_t)slack * (int64_t)slack;
  if (at <= (int64_t)now) at = (int64_t)(now + 1000000u);
  p->carry_ns = exact - at;
  if (p->carry_ns > (int64_t)slack || p->carry_ns < -(int64_t)slack) p->carry_ns = 0;
  p->deadline_ns = (uint64_t)at;
  p->state = ST_WAITING;
  if (p->heap_idx == (size_t)-1)
    heap_push(s, p);
  else
    heap_update(s, p);
}

/* Ends a probe (or a recurring probe's round): reports `event` with what was read, closes (RST
 * with `reset`), then frees it or, recurring, waits for the next round. */
static void finish(state_t *s, probe_t *p, int event, int err, int reset) {
  uint8_t *data = p->buf;
  uint32_t len = p->len;
  p->buf = NULL;
  p->len = p->cap = 0;
  emit(s, p, event, err, data, len);
  if (p->fd >= 0) {
    if (reset) {
      struct linger lg = {1, 0};
      setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(p->fd); /* also drops it from the epoll set */
    p->fd = -1;
  }
  if (p->recurring && !p->draining) {
    p->in_epoll = p->head_seen = 0;
    p->req_off = 0;
    arm(s, p, jittered_ns(s, p, p->interval_ms));
    return;
  }
  heap_remove(s, p);
  table_take(s, p->id);
  probe_free(p);
  atomic_fetch_sub(&s->active, 1);
}

/* Closes a probe without a report (cancel, shutdown). */
static void discard(state_t *s, probe_t *p) {
  if (p->fd >= 0) close(p->fd);
  heap_remove(s, p);
  probe_free(p);
  atomic_fetch_sub(&s->active, 1);
}

static int watch(state_t *s, probe_t *p, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = p};
  int rc = epoll_ctl(s->epfd, p->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, p->fd, &ev);
  if (rc == 0) p->in_epoll = 1;
  return rc;
}

static void start_reading(state_t *s, probe_t *p) {
  p->state = ST_READING;
  if (watch(s, p, EPOLLIN) != 0) finish(s, p, EV_READ_ERROR, errno, 0);
}

static void try_send(state_t *s, probe_t *p) {
  while (p->req_off < p->req_len) {
    ssize_t n = send(p->fd, p->req + p->req_off, p->req_len - p->req_off, MSG_NOSIGNAL);
    if (n >= 0) {
      p->req_off += (uint32_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (p->state != ST_SENDING) {
        p->state = ST_SENDING;
        if (watch(s, p, EPOLLOUT) != 0) finish(s, p, EV_WRITE_ERROR, errno, 0);
      }
      return;
    }
    finish(s, p, EV_WRITE_ERROR, errno, 0);
    return;
  }
  start_reading(s, p);
}

static void on_connected(state_t *s, probe_t *p) {
  if (p->mode == MODE_CONNECT) {
    finish(s, p, EV_CONNECTED, 0, 1);
    return;
  }
  /* The exchange is bounded by the read timeout from now on. */
  p->deadline_ns = now_ns() + (uint64_t)p->read_ms * 1000000u;
  heap_update(s, p);
  p->state = ST_SENDING;
  try_send(s, p);
}

/* Starts a round: socket, connect, the connect deadline. The probe is in the table already. */
static void start_round(state_t *s, probe_t *p) {
  /* Durations and the connect deadline count from the connect, as the JS probe's do. */
  p->start_ns = now_ns();
  p->deadline_ns = p->start_ns + (uint64_t)p->connect_ms * 1000000u;
  if (p->heap_idx != (size_t)-1) {
    heap_update(s, p);
  } else if (heap_push(s, p) != 0) {
    p->recurring = 0; /* cannot wait without the heap either: report and free */
    finish(s, p, EV_CONNECT_ERROR, ENOMEM, 0);
    return;
  }
  p->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0) {
    finish(s, p, EV_CONNECT_ERROR, errno, 0);
    return;
  }
  /* As haproxy does for checks (TCP_QUICKACK 0 before connect): the last ACK of the handshake
   * leaves with the request, or, for a connect-only probe, never (the reset closes it first), so
   * the server never sees a connection to accept. Less work for both kernels per check. */
  if (p->mode == MODE_CONNECT || p->req_len > 0) {
    int zero = 0;
    setsockopt(p->fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  }
  p->state = ST_CONNECTING;
  if (connect(p->fd, (struct sockaddr *)&p->addr, p->addrlen) == 0) {
    on_connected(s, p);
    return;
  }
  if (errno != EINPROGRESS) {
    finish(s, p, EV_CONNECT_ERROR, errno, 0);
    return;
  }
  if (watch(s, p, EPOLLOUT) != 0) finish(s, p, EV_CONNECT_ERROR, errno, 0);
}

/* A new probe from JS: one round now, or, recurring, the first round after its first delay
 * (deadline_ns holds that delay in ns until here). */
static void start_probe(state_t *s, probe_t *p) {
  table_add(s, p);
  if (p->recurring && p->deadline_ns > 0) {
    arm(s, p, p->deadline_ns);
    return;
  }
  start_round(s, p);
}

/* Applies a retime/drain/cancel from JS to the probe `o->id` if the thread still holds it. */
static int apply_op(state_t *s, const op_t *o) {
  if (o->kind == OP_CANCEL) {
    probe_t *p = table_take(s, o->id);
    if (p) discard(s, p);
    return 0;
  }
  probe_t *p = NULL;
  for (p = s->table[o->id & (TABLE_SIZE - 1)]; p && p->id != o->id; p = p->hnext) {
  }
  if (!p || !p->recurring) return 0;
  if (o->kind == OP_DRAIN) {
    p->draining = 1;
    if (p->state != ST_WAITING) return 0; /* the round in flight reports, then the probe is freed */
    emit(s, p, EV_STOPPED, 0, NULL, 0);
    table_take(s, p->id);
    discard(s, p);
    return 0;
  }
  p->interval_ms = o->interval_ms ? o->interval_ms : 1;
  if (p->state == ST_WAITING && o->delay_ms >= 0) {
    p->carry_ns = 0;
    arm(s, p, (uint64_t)o->delay_ms * 1000000u);
    return 1;
  }
  return 0;
}

/* Appends `n` bytes to the probe's buffer; -1 when out of memory. */
static int append(probe_t *p, const uint8_t *d, uint32_t n) {
  if (p->len + n > p->cap) {
    uint32_t cap = p->cap ? p->cap : 1024;
    while (cap < p->len + n) cap *= 2;
    uint8_t *b = realloc(p->buf, cap);
    if (!b) return -1;
    p->buf = b;
    p->cap = cap;
  }
  memcpy(p->buf + p->len, d, n);
  p->len += n;
  return 0;
}

/* True when the stop rule of the probe's mode is met after `from` (first new byte). */
static int should_stop(probe_t *p, uint32_t from) {
  if (p->len >= p->max_bytes) return 1;
  if (p->mode == MODE_LINE) return memchr(p->buf + from, '\n', p->len - from) != NULL;
  if (p->len >= 5 && memcmp(p->buf, "HTTP/", 5) != 0) return 1;
  if (!p->head_seen) {
    uint32_t at = from > 3 ? from - 3 : 0;
    if (p->len >= 4 && memmem(p->buf + at, p->len - at, "\r\n\r\n", 4) != NULL) p->head_seen = 1;
  }
  return p->head_seen && p->mode == MODE_HTTP;
}

static void do_read(state_t *s, probe_t *p) {
  int got = 0;
  for (;;) {
    ssize_t n = recv(p->fd, s->scratch, READ_CHUNK, 0);
    if (n > 0) {
      uint32_t from = p->len;
      if (append(p, s->scratch, (uint32_t)n) != 0) {
        finish(s, p, EV_READ_ERROR, ENOMEM, 0);
        return;
      }
      got = 1;
      if (should_stop(p, from)) {
        finish(s, p, EV_DONE, 0, 0);
        return;
      }
      continue;
    }
    if (n == 0) {
      finish(s, p, EV_EOF, 0, 0);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    finish(s, p, EV_READ_ERROR, errno, 0);
    return;
  }
  if (got && p->mode == MODE_HTTP_BODY && p->head_seen) {
    uint8_t *copy = malloc(p->len);
    if (copy) {
      memcpy(copy, p->buf, p->len);
      emit(s, p, EV_PARTIAL, 0, copy, p->len);
    }
  }
}

static void on_io(state_t *s, probe_t *p, uint32_t events) {
  switch (p->state) {
    case ST_CONNECTING: {
      int err = 0;
      socklen_t el = sizeof err;
      /* Writable without an error flag: connected (no SO_ERROR lookup needed, as haproxy). */
      if ((events & (EPOLLERR | EPOLLHUP)) && getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) err = errno;
      if (err != 0) {
        finish(s, p, EV_CONNECT_ERROR, err, 0);
      } else if (events & EPOLLOUT) {
        on_connected(s, p);
      } else if (events & (EPOLLERR | EPOLLHUP)) {
        finish(s, p, EV_CONNECT_ERROR, ECONNREFUSED, 0);
      }
      return;
    }
    case ST_SENDING:
      try_send(s, p);
      return;
    default:
      do_read(s, p);
  }
}

/* Deadlines passed: timeouts, and rounds of recurring probes due to start. True if rounds started. */
static int expire(state_t *s) {
  uint64_t now = now_ns();
  int started = 0;
  while (s->heap_len > 0 && s->heap[0]->deadline_ns <= now) {
    probe_t *p = s->heap[0];
    if (p->state == ST_WAITING) {
      start_round(s, p);
      started = 1;
    } else {
      finish(s, p, p->state == ST_CONNECTING ? EV_CONNECT_TIMEOUT : EV_READ_TIMEOUT, 0, 0);
    }
  }
  return started;
}

static int next_timeout_ms(state_t *s) {
  if (s->heap_len == 0) return -1;
  uint64_t now = now_ns(), d = s->heap[0]->deadline_ns;
  if (d <= now) return 0;
  uint64_t ms = (d - now + 999999u) / 1000000u;
  return ms > 60000 ? 60000 : (int)ms;
}

/* Hands this round's reports to the JS thread; one threadsafe call per non-empty batch. */
static void flush(state_t *s) {
  if (!s->out_head) return;
  int call = 0;
  pthread_mutex_lock(&s->lock);
  if (s->res_tail)
    s->res_tail->next = s->out_head;
  else
    s->res_head = s->out_head;
  s->res_tail = s->out_tail;
  if (!s->signalled && !s->stopping) s->signalled = call = 1;
  pthread_mutex_unlock(&s->lock);
  s->out_head = s->out_tail = NULL;
  if (call) napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking);
}

static void *run(void *arg) {
  state_t *s = arg;
  struct epoll_event events[MAX_EVENTS];
  uint64_t last = 0;
  int busy = 0, started = 0;
  for (;;) {
    /* While busy, look at everything once per tick instead of waking for each event: a thousand
     * checks a second then cost a few hundred wake-ups here and in the JS thread, not thousands.
     * Quiet (nothing happened in the last tick), block until an event or the next deadline.
     * Right after starting probes, look again at once: loopback connects are already done. */
    int timeout = next_timeout_ms(s);
    if (started) {
      timeout = 0;
    } else if (busy && s->tick_ns) {
      uint64_t now = now_ns(), next = last + s->tick_ns;
      /* A deadline inside the tick (a recurring round due, a timeout) is not made to wait for it. */
      if (s->heap_len > 0 && s->heap[0]->deadline_ns < next) next = s->heap[0]->deadline_ns;
      if (next > now) {
        struct timespec ts = {(time_t)((next - now) / 1000000000u), (long)((next - now) % 1000000000u)};
        nanosleep(&ts, NULL);
      }
      timeout = 0;
    }
    int n = epoll_wait(s->epfd, events, MAX_EVENTS, timeout);
    if (n < 0 && errno != EINTR) break;
    if (!started) last = now_ns();
    busy = n > 0;
    started = 0;
    int woken = 0;
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL)
        woken = 1;
      else
        on_io(s, events[i].data.ptr, events[i].events);
    }
    if (woken) {
      uint64_t v;
      if (read(s->evfd, &v, sizeof v) < 0) { /* nothing to do: the queues are read below anyway */
      }
      pthread_mutex_lock(&s->lock);
      probe_t *subs = s->sub_head;
      s->sub_head = s->sub_tail = NULL;
      size_t nops = s->nops;
      op_t *ops = NULL;
      if (nops) {
        ops = s->ops;
        s->ops = NULL;
        s->nops = s->capops = 0;
      }
      int stopping = s->stopping;
      pthread_mutex_unlock(&s->lock);
      /* Submissions first: a cancel may name a probe submitted in the same batch. */
      started = subs != NULL && !stopping;
      while (subs) {
        probe_t *p = subs;
        subs = p->qnext;
        if (stopping)
          discard(s, p);
        else
          start_probe(s, p);
      }
      for (size_t i = 0; i < nops; i++) apply_op(s, &ops[i]);
      free(ops);
      if (stopping) break;
    }
    if (expire(s)) started = 1;
    flush(s);
  }
  for (size_t i = 0; i < TABLE_SIZE; i++) {
    while (s->table[i]) discard(s, table_take(s, s->table[i]->id));
  }
  while (s->out_head) {
    result_t *r = s->out_head;
    s->out_head = r->next;
    free(r->data);
    free(r);
  }
  return NULL;
}

/* ---- JS side ---- */

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, "NETPROBE_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static void wake(state_t *s) {
  uint64_t one = 1;
  if (write(s->evfd, &one, sizeof one) < 0) { /* the counter is saturated: the thread is awake anyway */
  }
}

/* Runs on the JS thread for each batch: writes up to SLOTS reports (id, event, errno, ms) into the
 * shared Float64Array and calls dispatch(count, datas) once for them; datas[i] is the bytes read
 * by report i (a sparse array, undefined when no report carries bytes). One call per batch rather
 * than one per report: the N-API cost of a check is then shared by the batch. */
static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)data;
  state_t *s = context;
  pthread_mutex_lock(&s->lock);
  result_t *r = s->res_head;
  s->res_head = s->res_tail = NULL;
  s->signalled = 0;
  pthread_mutex_unlock(&s->lock);
  while (r) {
    int live = env != NULL && cb != NULL && s->slots != NULL;
    napi_handle_scope scope = NULL;
    napi_value datas = NULL, argv[2];
    if (live) napi_open_handle_scope(env, &scope);
    uint32_t n = 0;
    for (; r && n < SLOTS; n++) {
      result_t *next = r->next;
      if (live) {
        double *d = s->slots + 4 * n;
        d[0] = r->id;
        d[1] = r->event;
        d[2] = r->err;
        d[3] = r->ms;
        if (r->data != NULL) {
          napi_value buf;
          if (datas == NULL) napi_create_array(env, &datas);
          if (napi_create_buffer_copy(env, r->len, r->data, NULL, &buf) == napi_ok) napi_set_element(env, datas, n, buf);
        }
      }
      free(r->data);
      free(r);
      r = next;
    }
    if (!live) continue;
    napi_create_uint32(env, n, &argv[0]);
    if (datas == NULL) napi_get_undefined(env, &datas);
    argv[1] = datas;
    napi_value undef;
    napi_get_undefined(env, &undef);
    if (napi_call_function(env, undef, cb, 2, argv, NULL) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
    napi_close_handle_scope(env, scope);
  }
}

/* Env teardown, before the threadsafe function's own hook (see js_init): stop and join the thread. */
static void cleanup(void *arg) {
  state_t *s = arg;
  pthread_mutex_lock(&s->lock);
  s->stopping = 1;
  pthread_mutex_unlock(&s->lock);
  wake(s);
  pthread_join(s->thread, NULL);
  while (s->sub_head) {
    probe_t *p = s->sub_head;
    s->sub_head = p->qnext;
    probe_free(p);
  }
  close(s->epfd);
  close(s->evfd);
}

/* The threadsafe function is gone (after call_js drained what was queued): free the state. */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state_t *s = data;
  while (s->res_head) {
    result_t *r = s->res_head;
    s->res_head = r->next;
    free(r->data);
    free(r);
  }
  free(s->ops);
  free(s->heap);
  free(s->scratch);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* The state bound to the function, and its arguments: `room` slots, at least `want` given. */
static state_t *get_state(napi_env env, napi_callback_info info, size_t want, size_t room, napi_value *argv) {
  size_t argc = room;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < want) {
    napi_throw_type_error(env, "NETPROBE_ARGS", "wrong number of arguments");
    return NULL;
  }
  return data;
}

/* init(dispatch, tickMs?): creates the threadsafe function (unref'd), starts the epoll thread and
 * returns the Float64Array the reports are written to (see call_js). */
static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  state_t *s = get_state(env, info, 1, 2, argv);
  if (!s) return NULL;
  uint32_t tick_ms = 0;
  napi_valuetype t = napi_undefined;
  if (napi_typeof(env, argv[1], &t) == napi_ok && t == napi_number) napi_get_value_uint32(env, argv[1], &tick_ms);
  s->tick_ns = (uint64_t)tick_ms * 1000000u;
  if (s->started) {
    napi_throw_error(env, "NETPROBE_INIT", "netprobe: init() called twice");
    return NULL;
  }
  napi_value name;
  CHECK(napi_create_string_utf8(env, "netprobe", NAPI_AUTO_LENGTH, &name));
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  s->scratch = malloc(READ_CHUNK);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (s->epfd < 0 || s->evfd < 0 || !s->scratch || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) != 0) {
    napi_throw_error(env, "NETPROBE_INIT", "netprobe: cannot create the epoll set");
    return NULL;
  }
  void *slots = NULL;
  napi_value ab, slots_array;
  CHECK(napi_create_arraybuffer(env, SLOTS * 4 * sizeof(double), &slots, &ab));
  CHECK(napi_create_typedarray(env, napi_float64_array, SLOTS * 4, ab, 0, &slots_array));
  CHECK(napi_create_reference(env, slots_array, 1, &s->slots_ref));
  s->slots = slots;
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, s, finalize, s, call_js, &s->tsfn));
  CHECK(napi_unref_threadsafe_function(env, s->tsfn));
  if (pthread_create(&s->thread, NULL, run, s) != 0) {
    napi_throw_error(env, "NETPROBE_INIT", "netprobe: cannot start the epoll thread");
    return NULL;
  }
  s->started = 1;
  /* Registered after the threadsafe function's own hook, so it runs first (hooks run in reverse):
   * the thread is joined before the function it calls is torn down. */
  CHECK(napi_add_env_cleanup_hook(env, cleanup, s));
  return slots_array;
}

/* Reads the probe arguments shared by submit and schedule into a new probe_t. Returns NULL with
 * *bad set when the host is not an IP literal (or the port or mode is out of range), NULL with an
 * exception pending on a type or memory error. */
static probe_t *parse_probe(napi_env env, state_t *s, napi_value *argv, int *bad) {
  char host[64];
  size_t hl = 0;
  uint32_t id, port, mode, conn_ms, read_ms, max_bytes;
  *bad = 0;
  if (napi_get_value_uint32(env, argv[0], &id) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hl) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok || napi_get_value_uint32(env, argv[3], &mode) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &conn_ms) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &read_ms) != napi_ok ||
      napi_get_value_uint32(env, argv[6], &max_bytes) != napi_ok) {
    napi_throw_type_error(env, "NETPROBE_ARGS", "submit(id, host, port, mode, connectMs, readMs, maxBytes, send?)");
    return NULL;
  }
  probe_t *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, "NETPROBE_NOMEM", "netprobe: out of memory");
    return NULL;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)&p->addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&p->addr;
  if (!s->started || hl >= sizeof host - 1 || port == 0 || port > 65535 || mode > MODE_LINE) {
    free(p);
    *bad = 1;
    return NULL;
  }
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    p->addrlen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    p->addrlen = sizeof *a6;
  } else {
    free(p);
    *bad = 1;
    return NULL;
  }
  napi_valuetype t = napi_undefined;
  if (mode != MODE_CONNECT && napi_typeof(env, argv[7], &t) == napi_ok && t == napi_object) {
    void *bytes = NULL;
    size_t blen = 0;
    if (napi_get_buffer_info(env, argv[7], &bytes, &blen) == napi_ok && blen > 0) {
      p->req = malloc(blen);
      if (!p->req) {
        free(p);
        napi_throw_error(env, "NETPROBE_NOMEM", "netprobe: out of memory");
        return NULL;
      }
      memcpy(p->req, bytes, blen);
      p->req_len = (uint32_t)blen;
    }
  }
  p->id = id;
  p->fd = -1;
  p->mode = (uint8_t)mode;
  p->read_ms = read_ms;
  p->max_bytes = max_bytes ? max_bytes : 1;
  p->connect_ms = conn_ms;
  p->heap_idx = (size_t)-1;
  return p;
}

/* Hands a new probe to the thread. */
static void enqueue(state_t *s, probe_t *p) {
  atomic_fetch_add(&s->active, 1);
  pthread_mutex_lock(&s->lock);
  int was_empty = s->sub_head == NULL && s->nops == 0;
  if (s->sub_tail)
    s->sub_tail->qnext = p;
  else
    s->sub_head = p;
  s->sub_tail = p;
  pthread_mutex_unlock(&s->lock);
  if (was_empty) wake(s);
}

static napi_value boolean(napi_env env, int v) {
  napi_value b;
  CHECK(napi_get_boolean(env, v, &b));
  return b;
}

/* submit(id, host, port, mode, connectMs, readMs, maxBytes, send?, intervalMs?, firstDelayMs?,
 * spreadPct?): false if host is not an IP. With intervalMs, a recurring probe: its first round after
 * firstDelayMs, then one intervalMs (+/- spreadPct percent) after each report, until drain or cancel. */
static napi_value js_submit(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  state_t *s = get_state(env, info, 7, 11, argv);
  if (!s) return NULL;
  napi_valuetype t = napi_undefined;
  uint32_t interval_ms = 0, first_ms = 0, spread = 0;
  int recurring = napi_typeof(env, argv[8], &t) == napi_ok && t == napi_number;
  if (recurring && (napi_get_value_uint32(env, argv[8], &interval_ms) != napi_ok ||
                    napi_get_value_uint32(env, argv[9], &first_ms) != napi_ok ||
                    napi_get_value_uint32(env, argv[10], &spread) != napi_ok)) {
    napi_throw_type_error(env, "NETPROBE_ARGS", "submit(..., intervalMs, firstDelayMs, spreadPct)");
    return NULL;
  }
  int bad = 0;
  probe_t *p = parse_probe(env, s, argv, &bad);
  if (!p) return bad ? boolean(env, 0) : NULL;
  if (recurring) {
    p->recurring = 1;
    p->interval_ms = interval_ms ? interval_ms : 1;
    p->spread_pct = spread > 50 ? 50 : spread;
    p->deadline_ns = (uint64_t)first_ms * 1000000u; /* carried to start_probe */
  }
  enqueue(s, p);
  return boolean(env, 1);
}

/* Queues a request for the thread (cancel, retime, drain). */
static napi_value push_op(napi_env env, state_t *s, op_t op) {
  pthread_mutex_lock(&s->lock);
  int was_empty = s->sub_head == NULL && s->nops == 0;
  if (s->nops == s->capops) {
    size_t cap = s->capops ? s->capops * 2 : 64;
    op_t *c = realloc(s->ops, cap * sizeof *c);
    if (!c) {
      pthread_mutex_unlock(&s->lock);
      napi_throw_error(env, "NETPROBE_NOMEM", "netprobe: out of memory");
      return NULL;
    }
    s->ops = c;
    s->capops = cap;
  }
  s->ops[s->nops++] = op;
  pthread_mutex_unlock(&s->lock);
  if (was_empty) wake(s);
  return NULL;
}

/* An op naming only a probe id (cancel, drain). */
static napi_value id_op(napi_env env, napi_callback_info info, uint32_t kind) {
  napi_value argv[1];
  state_t *s = get_state(env, info, 1, 1, argv);
  if (!s) return NULL;
  uint32_t id;
  CHECK(napi_get_value_uint32(env, argv[0], &id));
  return push_op(env, s, (op_t){.id = id, .kind = kind});
}

/* cancel(id): closes the probe without a report (one may already be on its way: ignore it). */
static napi_value js_cancel(napi_env env, napi_callback_info info) { return id_op(env, info, OP_CANCEL); }

/* retime(id, intervalMs, delayMs): a recurring probe's new interval; between rounds, the next round
 * starts delayMs from now (delayMs < 0: keep its time). During a round, the interval applies after it. */
static napi_value js_retime(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  state_t *s = get_state(env, info, 3, 3, argv);
  if (!s) return NULL;
  uint32_t id, interval_ms;
  int64_t delay_ms;
  CHECK(napi_get_value_uint32(env, argv[0], &id));
  CHECK(napi_get_value_uint32(env, argv[1], &interval_ms));
  CHECK(napi_get_value_int64(env, argv[2], &delay_ms));
  return push_op(env, s, (op_t){.id = id, .kind = OP_RETIME, .interval_ms = interval_ms, .delay_ms = delay_ms});
}

/* drain(id): no round after the one in flight (which still reports); between rounds, the probe is
 * freed at once and reports EV_STOPPED. */
static napi_value js_drain(napi_env env, napi_callback_info info) { return id_op(env, info, OP_DRAIN); }

/* ref() / unref(): whether pending reports keep the event loop alive (JS refs while probes run). */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  state_t *s = get_state(env, info, 0, 0, NULL);
  if (s && s->started) CHECK(napi_ref_threadsafe_function(env, s->tsfn));
  return NULL;
}

static napi_value js_unref(napi_env env, napi_callback_info info) {
  state_t *s = get_state(env, info, 0, 0, NULL);
  if (s && s->started) CHECK(napi_unref_threadsafe_function(env, s->tsfn));
  return NULL;
}

/* active(): probes the epoll thread holds or has queued (sockets not yet closed). */
static napi_value js_active(napi_env env, napi_callback_info info) {
  state_t *s = get_state(env, info, 0, 0, NULL);
  if (!s) return NULL;
  napi_value v;
  CHECK(napi_create_uint32(env, atomic_load(&s->active), &v));
  return v;
}

NAPI_MODULE_INIT() {
  state_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->epfd = s->evfd = -1;
  pthread_mutex_init(&s->lock, NULL);
  s->rng = 2463534242u;
  atomic_init(&s->active, 0);
  napi_value supported;
  napi_get_boolean(env, 1, &supported);
  napi_property_descriptor d[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, s},
      {"submit", NULL, js_submit, NULL, NULL, NULL, napi_default, s},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_default, s},
      {"retime", NULL, js_retime, NULL, NULL, NULL, napi_default, s},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, s},
      {"ref", NULL, js_ref, NULL, NULL, NULL, napi_default, s},
      {"unref", NULL, js_unref, NULL, NULL, NULL, napi_default, s},
      {"active", NULL, js_active, NULL, NULL, NULL, napi_default, s},
      {"supported", NULL, NULL, NULL, NULL, supported, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof d / sizeof d[0], d) != napi_ok) {
    free(s);
    return NULL;
  }
  /* The state is freed with the threadsafe function (finalize); the loader calls init() at once. */
  return exports;
}

#else /* not Linux: the loader sees supported === false and uses the JS probe. */

NAPI_MODULE_INIT() {
  napi_value supported;
  napi_get_boolean(env, 0, &supported);
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}

#endif
