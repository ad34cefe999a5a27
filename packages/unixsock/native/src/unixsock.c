/*
 * unixsock: unix datagram sockets for Node (which has none), as an N-API addon.
 *
 * Syslog daemons listen on a unix datagram socket (/dev/log, rsyslog's imuxsock, journald's
 * /run/systemd/journal/dev-log). HAProxy sends each log line there with one sendmsg() on a
 * non-blocking socket and drops the line when the daemon's queue is full; this does the same:
 * one sendto() with MSG_DONTWAIT, the errno handed back, never a wait. Receiving (bind + recv)
 * is here for tests and tools that play the daemon.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stddef.h>
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

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, SendTo, NULL, NULL, NULL, napi_default, NULL},
      {"bind", NULL, Bind, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
