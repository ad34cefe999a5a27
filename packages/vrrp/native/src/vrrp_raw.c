/*
 * vrrp_raw: the little Node lacks for VRRP, as an N-API addon (Linux only).
 * Raw IPv4 sockets for IP protocol 112, the few socket options VRRP needs, non-blocking
 * sendto/recv, and readiness through libuv's uv_poll on the Node event loop (no thread blocks).
 * Policy (which options, which addresses) lives in TypeScript; this file only wraps syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "VRRP_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return "EIO";
  }
}

/* Throws an Error with .code = errno name and .syscall, like Node's own system errors. */
static napi_value throw_errno(napi_env env, const char *syscall, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s failed: %s (%s)", syscall, strerror(e), errno_code(e));
  napi_value code, message, err, sc;
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &err);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  napi_value en;
  napi_create_int32(env, e, &en);
  napi_set_named_property(env, err, "errno", en);
  napi_throw(env, err);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "wrong number of arguments");
    return 0;
  }
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a number");
    return 0;
  }
  return 1;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected an unsigned number");
    return 0;
  }
  return 1;
}

static napi_value make_i32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* socket(protocol) -> fd: raw IPv4, non-blocking, close-on-exec. */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t proto;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &proto)) return NULL;
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_i32(env, fd);
}

/* setsockoptInt(fd, level, name, value) */
static napi_value js_setsockopt_int(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, name, value;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_i32(env, argv[3], &value))
    return NULL;
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

/* bindToDevice(fd, ifname): SO_BINDTODEVICE. */
static napi_value js_bind_to_device(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  char name[IFNAMSIZ];
  size_t len = 0;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected an interface name");
    return NULL;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)len + 1) < 0)
    return throw_errno(env, "setsockopt(SO_BINDTODEVICE)", errno);
  return NULL;
}

/* ifIndex(ifname) -> index (0 and ENODEV error when absent). */
static napi_value js_if_index(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IFNAMSIZ];
  size_t len = 0;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected an interface name");
    return NULL;
  }
  unsigned idx = if_nametoindex(name);
  if (idx == 0) return throw_errno(env, "if_nametoindex", errno ? errno : ENODEV);
  return make_i32(env, (int32_t)idx);
}

/* multicastIf(fd, ifindex): IP_MULTICAST_IF with ip_mreqn. */
static napi_value js_multicast_if(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, ifindex;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &ifindex)) return NULL;
  struct ip_mreqn m;
  memset(&m, 0, sizeof m);
  m.imr_ifindex = ifindex;
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0)
    return throw_errno(env, "setsockopt(IP_MULTICAST_IF)", errno);
  return NULL;
}

/* membership(fd, group, ifindex, join): IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP with ip_mreqn. */
static napi_value js_membership(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, ifindex;
  uint32_t group;
  bool join;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_u32(env, argv[1], &group) ||
      !get_i32(env, argv[2], &ifindex))
    return NULL;
  if (napi_get_value_bool(env, argv[3], &join) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a boolean");
    return NULL;
  }
  struct ip_mreqn m;
  memset(&m, 0, sizeof m);
  m.imr_multiaddr.s_addr = htonl(group);
  m.imr_ifindex = ifindex;
  if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m) < 0)
    return throw_errno(env, join ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IP_DROP_MEMBERSHIP)", errno);
  return NULL;
}

/* sendTo(fd, buffer, dst) -> bytes sent; dst is an IPv4 address as uint32. */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t dst;
  void *data;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &fd) || !get_u32(env, argv[2], &dst)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a Buffer");
    return NULL;
  }
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(dst);
  ssize_t n = sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa);
  if (n < 0) return throw_errno(env, "sendto", errno);
  return make_i32(env, (int32_t)n);
}

/* recv(fd, buffer) -> bytes received, or -1 when nothing is waiting (EAGAIN). */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a Buffer");
    return NULL;
  }
  for (;;) {
    ssize_t n = recv(fd, data, len, MSG_TRUNC);
    if (n >= 0) return make_i32(env, (int32_t)n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return make_i32(env, -1);
    return throw_errno(env, "recv", errno);
  }
}

/* close(fd) */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int stopped;
} poller_t;

static void on_poll_closed(uv_handle_t *h) { free(h->data); }

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  poller_t *w = (poller_t *)p->data;
  if (w->stopped) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &arg);
  if (cb != NULL) {
    napi_status st = napi_make_callback(env, w->ctx, recv, cb, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void poller_stop(poller_t *w) {
  if (w->stopped) return;
  w->stopped = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->cb);
  napi_async_destroy(w->env, w->ctx);
  uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

/* poll(fd, callback(status)) -> handle: calls back on the event loop whenever fd is readable. */
static napi_value js_poll(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a callback");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_value name;
  napi_create_string_utf8(env, "VRRP_RAW_POLL", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    poller_stop(w);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  napi_value ext;
  CHECK(napi_create_external(env, w, NULL, NULL, &ext));
  return ext;
}

/* pollStop(handle): stops and frees a poller (idempotent). Call before close(fd). */
static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *p = NULL;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a poll handle");
    return NULL;
  }
  poller_stop((poller_t *)p);
  return NULL;
}

static napi_value constants(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  struct { const char *n; int v; } c[] = {
      {"SOL_SOCKET", SOL_SOCKET}, {"IPPROTO_IP", IPPROTO_IP}, {"IP_HDRINCL", IP_HDRINCL},
      {"IP_MULTICAST_TTL", IP_MULTICAST_TTL}, {"IP_MULTICAST_LOOP", IP_MULTICAST_LOOP},
      {"IP_MULTICAST_ALL", IP_MULTICAST_ALL}, {"SO_RCVBUF", SO_RCVBUF}, {"IP_TTL", IP_TTL},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) napi_set_named_property(env, o, c[i].n, make_i32(env, c[i].v));
  return o;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"socket", NULL, js_socket, NULL, NULL, NULL, napi_default, NULL},
      {"setsockoptInt", NULL, js_setsockopt_int, NULL, NULL, NULL, napi_default, NULL},
      {"bindToDevice", NULL, js_bind_to_device, NULL, NULL, NULL, napi_default, NULL},
      {"ifIndex", NULL, js_if_index, NULL, NULL, NULL, napi_default, NULL},
      {"multicastIf", NULL, js_multicast_if, NULL, NULL, NULL, napi_default, NULL},
      {"membership", NULL, js_membership, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"poll", NULL, js_poll, NULL, NULL, NULL, napi_default, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_default, NULL},
      {"constants", NULL, NULL, NULL, NULL, constants(env), napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
