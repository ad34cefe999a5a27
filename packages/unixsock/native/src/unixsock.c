/*
 * unixsock: unix datagram sockets for Node (which has none), as an N-API addon.
 *
 * Syslog daemons listen on a unix datagram socket (/dev/log, rsyslog's imuxsock, journald's
 * /run/systemd/journal/dev-log). HAProxy sends each log line there with one sendmsg() on a
 * non-blocking socket and drops the line when the daemon's queue is full; this does the same:
 * one sendto() with MSG_DONTWAIT, the errno handed back, never a wait. Receiving (bind + recv)
 * is here for tests and tools that play the daemon.
 *
 * Descriptor passing (SCM_RIGHTS) for hitless restarts: HAProxy's `_getsocks` exchange on a
 * unix stream socket (src/cli.c _getsocks, src/sock.c sock_get_old_sockets in 2.6): the old
 * process sends an int with the number of descriptors, then batches of at most MAX_SEND_FD
 * descriptors, each with per-socket bytes <ns len><ns><if len><if><4 zero bytes>, waiting for a
 * 4-byte ack after each full batch. Both ends run with the socket blocking for the exchange and a
 * 1 s receive timeout, as HAProxy's do, so either side can talk to a real haproxy.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/time.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, "UNIXSOCK_ARG", "unixsock: bad arguments");                            \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static napi_value int_value(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* Fills `sa` with `path`; returns the address length, or -1 when the path does not fit. */
static socklen_t fill_addr(struct sockaddr_un *sa, const char *path, size_t len) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (len == 0 || len >= sizeof(sa->sun_path)) return (socklen_t)-1;
  memcpy(sa->sun_path, path, len);
  /* `@name`: Linux's abstract namespace (systemd's NOTIFY_SOCKET may be one); no trailing NUL */
  if (path[0] == '@') {
    sa->sun_path[0] = 0;
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

/* open() -> fd, or -errno. A non-blocking, close-on-exec AF_UNIX/SOCK_DGRAM socket. */
static napi_value Open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return int_value(env, fd < 0 ? -errno : fd);
}

/* sendTo(fd, path, buffer) -> 0 or the errno of sendto() (EAGAIN: the receiver's queue is full). */
static napi_value SendTo(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t plen;
  CHECK(napi_get_value_string_utf8(env, argv[1], path, sizeof(path), &plen));
  void *data;
  size_t len;
  CHECK(napi_get_buffer_info(env, argv[2], &data, &len));
  struct sockaddr_un sa;
  socklen_t salen = fill_addr(&sa, path, plen);
  if (salen == (socklen_t)-1) return int_value(env, ENAMETOOLONG);
  ssize_t r = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  return int_value(env, r < 0 ? errno : 0);
}

/* bind(fd, path) -> 0 or errno (for a receiver). */
static napi_value Bind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t plen;
  CHECK(napi_get_value_string_utf8(env, argv[1], path, sizeof(path), &plen));
  struct sockaddr_un sa;
  socklen_t salen = fill_addr(&sa, path, plen);
  if (salen == (socklen_t)-1) return int_value(env, ENAMETOOLONG);
  return int_value(env, bind(fd, (struct sockaddr *)&sa, salen) < 0 ? errno : 0);
}

/* recv(fd, buffer) -> bytes read, or -errno (-EAGAIN when nothing is queued). */
static napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  void *data;
  size_t len;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  ssize_t r = recv(fd, data, len, MSG_DONTWAIT);
  return int_value(env, r < 0 ? -errno : (int)r);
}

/* close(fd) -> 0 or errno. */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  return int_value(env, close(fd) < 0 ? errno : 0);
}

/* HAProxy's MAX_SEND_FD (include/haproxy/defaults.h). */
#define MAX_SEND_FD 253
/* Bytes per socket in a batch: <ns len><ns><if len><if><options>, as haproxy sizes them. */
#define PER_SOCK (1 + 4096 + 1 + 16 + sizeof(int))

static void set_rcv_timeout(int fd, int ms) {
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One sendmsg() of `len` bytes of `data` with `n` descriptors; 0 or errno. */
static int send_batch(int fd, void *data, size_t len, const int *fds, int n) {
  struct msghdr m;
  struct iovec iov = {.iov_base = data, .iov_len = len};
  char *cbuf = NULL;
  memset(&m, 0, sizeof(m));
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (n > 0) {
    cbuf = calloc(1, CMSG_SPACE(sizeof(int) * n));
    if (!cbuf) return ENOMEM;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  ssize_t r;
  do r = sendmsg(fd, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  int e = r < 0 ? errno : ((size_t)r != len ? EIO : 0);
  free(cbuf);
  return e;
}

/*
 * sendSocks(connFd, fds[]) -> 0 or errno: the old process's side of `_getsocks` on an accepted
 * runtime API connection (made blocking for the exchange, its flags restored after).
 */
static napi_value SendSocks(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  uint32_t n;
  CHECK(napi_get_array_length(env, argv[1], &n));
  int *fds = calloc(n + 1, sizeof(int));
  unsigned char *buf = malloc(MAX_SEND_FD * (2 + sizeof(int)));
  if (!fds || !buf) {
    free(fds);
    free(buf);
    return int_value(env, ENOMEM);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || napi_get_value_int32(env, v, &fds[i]) != napi_ok) {
      free(fds);
      free(buf);
      CHECK(napi_invalid_arg);
    }
  }
  int flags = fcntl(fd, F_GETFL);
  int e = 0;
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) e = errno;
  if (!e) {
    set_rcv_timeout(fd, 1000);
    int total = (int)n;
    e = send_batch(fd, &total, sizeof(total), NULL, 0);
    for (uint32_t i = 0; !e && i < n; i += MAX_SEND_FD) {
      int batch = (int)(n - i < MAX_SEND_FD ? n - i : MAX_SEND_FD);
      /* no namespace, no interface, 32 bits of zeroes (haproxy's layout) */
      memset(buf, 0, (size_t)batch * (2 + sizeof(int)));
      e = send_batch(fd, buf, (size_t)batch * (2 + sizeof(int)), fds + i, batch);
      if (!e && batch == MAX_SEND_FD) {
        int ack;
        ssize_t r;
        do r = recv(fd, &ack, sizeof(ack), 0);
        while (r < 0 && errno == EINTR);
        if (r <= 0) e = r < 0 ? errno : EPIPE;
      }
    }
  }
  if (flags >= 0) fcntl(fd, F_SETFL, flags);
  free(fds);
  free(buf);
  return int_value(env, e);
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));
  napi_throw_error(env, "UNIXSOCK_GETSOCKS", msg);
  return NULL;
}

/*
 * getSocks(path, timeoutMs) -> fds[]: the new process's side (`-x PATH`): connects to the old
 * process's runtime API socket, sends `_getsocks`, receives the descriptors (close-on-exec).
 * Throws with the reason; descriptors received before a failure are closed.
 */
static napi_value GetSocks(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) CHECK(napi_invalid_arg);
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t plen;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &plen));
  int timeout;
  CHECK(napi_get_value_int32(env, argv[1], &timeout));
  struct sockaddr_un sa;
  socklen_t salen = fill_addr(&sa, path, plen);
  if (salen == (socklen_t)-1) return throw_errno(env, "connect", ENAMETOOLONG);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, "socket", errno);
  set_rcv_timeout(s, timeout);
  if (connect(s, (struct sockaddr *)&sa, salen) < 0) {
    int e = errno;
    close(s);
    return throw_errno(env, "connect", e);
  }
  const char cmd[] = "_getsocks\n";
  int total = 0, got = 0, e = 0;
  int *fds = NULL;
  unsigned char *buf = NULL;
  char *cbuf = NULL;
  if (send(s, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(cmd) - 1)) e = errno ? errno : EIO;
  if (!e) {
    ssize_t r = recv(s, &total, sizeof(total), MSG_WAITALL);
    if (r != (ssize_t)sizeof(total)) e = r < 0 ? errno : EPROTO;
    else if (total < 0 || total > 65536) e = EPROTO;
  }
  if (!e && total > 0) {
    fds = calloc((size_t)total, sizeof(int));
    buf = malloc(MAX_SEND_FD * PER_SOCK);
    cbuf = malloc(CMSG_SPACE(sizeof(int) * MAX_SEND_FD));
    if (!fds || !buf || !cbuf) e = ENOMEM;
  }
  while (!e && got < total) {
    struct msghdr m;
    struct iovec iov = {.iov_base = buf, .iov_len = MAX_SEND_FD * PER_SOCK};
    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * MAX_SEND_FD);
    ssize_t r = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      e = r < 0 ? errno : EPIPE;
      break;
    }
    int ack = got;
    send(s, &ack, sizeof(ack), MSG_NOSIGNAL);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      int *in = (int *)CMSG_DATA(c);
      for (int j = 0; j < k; j++) {
        int one;
        memcpy(&one, in + j, sizeof(int));
        if (got < total) fds[got++] = one;
        else {
          close(one);
          e = EPROTO;
        }
      }
    }
    if (m.msg_flags & MSG_CTRUNC) e = EPROTO;
  }
  close(s);
  free(buf);
  free(cbuf);
  if (e) {
    for (int i = 0; i < got; i++) close(fds[i]);
    free(fds);
    return throw_errno(env, "_getsocks", e);
  }
  napi_value arr;
  napi_create_array_with_length(env, (size_t)got, &arr);
  for (int i = 0; i < got; i++) napi_set_element(env, arr, (uint32_t)i, int_value(env, fds[i]));
  free(fds);
  return arr;
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *v) {
  napi_value s;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, key, s);
}

static void set_int(napi_env env, napi_value obj, const char *key, int v) {
  napi_set_named_property(env, obj, key, int_value(env, v));
}

/*
 * sockInfo(fd) -> { family: 'inet'|'inet6'|'unix', address, port, path, stream, listening,
 * v6only } or -errno: what a received or inherited socket is, to match it to a `bind` line.
 */
static napi_value SockInfo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) CHECK(napi_invalid_arg);
  int fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  memset(&ss, 0, sizeof(ss));
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return int_value(env, -errno);
  napi_value o;
  napi_create_object(env, &o);
  char addr[INET6_ADDRSTRLEN] = "";
  int val = 0;
  socklen_t vlen = sizeof(val);
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
    set_str(env, o, "family", "inet");
    set_str(env, o, "address", addr);
    set_int(env, o, "port", ntohs(in->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
    set_str(env, o, "family", "inet6");
    set_str(env, o, "address", addr);
    set_int(env, o, "port", ntohs(in6->sin6_port));
    val = 0;
    vlen = sizeof(val);
    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &val, &vlen);
    napi_value b;
    napi_get_boolean(env, val > 0, &b);
    napi_set_named_property(env, o, "v6only", b);
  } else if (ss.ss_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)&ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    char p[sizeof(un->sun_path) + 1];
    memcpy(p, un->sun_path, n);
    p[n] = 0;
    set_str(env, o, "family", "unix");
    set_str(env, o, "path", p);
  } else {
    set_str(env, o, "family", "other");
  }
  val = 0;
  vlen = sizeof(val);
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &vlen);
  napi_value b;
  napi_get_boolean(env, val == SOCK_STREAM, &b);
  napi_set_named_property(env, o, "stream", b);
  val = 0;
  vlen = sizeof(val);
  getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &vlen);
  napi_get_boolean(env, val != 0, &b);
  napi_set_named_property(env, o, "listening", b);
  return o;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, SendTo, NULL, NULL, NULL, napi_default, NULL},
      {"bind", NULL, Bind, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"sendSocks", NULL, SendSocks, NULL, NULL, NULL, napi_default, NULL},
      {"getSocks", NULL, GetSocks, NULL, NULL, NULL, napi_default, NULL},
      {"sockInfo", NULL, SockInfo, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
