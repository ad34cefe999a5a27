/*
 * vrrp_raw: the little Node lacks for VRRP, as an N-API addon (Linux only).
 * Raw IPv4 sockets for IP protocol 112, raw IPv6 sockets (VRRPv3 over IPv6, and ICMPv6 for
 * unsolicited neighbour advertisements), the few socket options VRRP needs, non-blocking
 * sendto/recv (recvmsg with hop limit and destination for IPv6), and readiness through libuv's uv_poll on the Node event loop (no thread blocks).
 * Policy (which options, which addresses) lives in TypeScript; this file only wraps syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
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

/* Reads a 16-byte IPv6 address from a Buffer argument. */
static int get_in6(napi_env env, napi_value v, struct in6_addr *out) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len != 16) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a 16-byte IPv6 address Buffer");
    return 0;
  }
  memcpy(out, data, 16);
  return 1;
}

/* socket6(protocol) -> fd: raw IPv6, non-blocking, close-on-exec. */
static napi_value js_socket6(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t proto;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &proto)) return NULL;
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_i32(env, fd);
}

/* bind6(fd, addr16, scopeId): bind to a local IPv6 address (the source of what we send). */
static napi_value js_bind6(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t scope;
  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &fd) || !get_in6(env, argv[1], &sa.sin6_addr) ||
      !get_u32(env, argv[2], &scope))
    return NULL;
  sa.sin6_family = AF_INET6;
  sa.sin6_scope_id = scope;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

/* membership6(fd, group16, ifindex, join): IPV6_ADD_MEMBERSHIP / IPV6_DROP_MEMBERSHIP. */
static napi_value js_membership6(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, ifindex;
  bool join;
  struct ipv6_mreq m;
  memset(&m, 0, sizeof m);
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_in6(env, argv[1], &m.ipv6mr_multiaddr) ||
      !get_i32(env, argv[2], &ifindex))
    return NULL;
  if (napi_get_value_bool(env, argv[3], &join) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a boolean");
    return NULL;
  }
  m.ipv6mr_interface = (unsigned)ifindex;
  if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &m, sizeof m) < 0)
    return throw_errno(env, join ? "setsockopt(IPV6_ADD_MEMBERSHIP)" : "setsockopt(IPV6_DROP_MEMBERSHIP)", errno);
  return NULL;
}

/*
 * sendTo6(fd, buffer, dst16, scopeId, src16) -> bytes sent. The kernel builds the IPv6 header;
 * src16 (unless all zeros) is the source, set per packet with IPV6_PKTINFO as keepalived does.
 */
static napi_value js_send_to6(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t fd;
  uint32_t scope;
  void *data;
  size_t len;
  struct sockaddr_in6 sa;
  struct in6_pktinfo pi;
  memset(&sa, 0, sizeof sa);
  memset(&pi, 0, sizeof pi);
  if (!get_args(env, info, 5, argv) || !get_i32(env, argv[0], &fd) || !get_in6(env, argv[2], &sa.sin6_addr) ||
      !get_u32(env, argv[3], &scope) || !get_in6(env, argv[4], &pi.ipi6_addr))
    return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a Buffer");
    return NULL;
  }
  sa.sin6_family = AF_INET6;
  sa.sin6_scope_id = scope;
  struct iovec iov = {data, len};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_name = &sa;
  mh.msg_namelen = sizeof sa;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  memset(cbuf, 0, sizeof cbuf);
  if (!IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr)) {
    pi.ipi6_ifindex = scope;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  ssize_t n = sendmsg(fd, &mh, 0);
  if (n < 0) return throw_errno(env, "sendmsg", errno);
  return make_i32(env, (int32_t)n);
}

/*
 * recv6(fd, buffer, meta) -> bytes received, or -1 when nothing is waiting. meta (36 bytes) gets
 * the source address [0,16), the destination [16,32) from IPV6_PKTINFO, the hop limit [32] from
 * IPV6_HOPLIMIT, and flags [33]: bit 0 hop limit present, bit 1 destination present.
 */
static napi_value js_recv6(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  void *data, *meta;
  size_t len, mlen;
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &meta, &mlen) != napi_ok || mlen < 36) {
    napi_throw_type_error(env, "VRRP_NATIVE_ARGS", "expected a Buffer and a 36-byte meta Buffer");
    return NULL;
  }
  struct sockaddr_in6 from;
  char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, len};
  for (;;) {
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    memset(&from, 0, sizeof from);
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n = recvmsg(fd, &mh, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return make_i32(env, -1);
      return throw_errno(env, "recvmsg", errno);
    }
    unsigned char *m = meta;
    memset(m, 0, 36);
    memcpy(m, &from.sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_HOPLIMIT) {
        int h;
        memcpy(&h, CMSG_DATA(c), sizeof h);
        m[32] = (unsigned char)h;
        m[33] |= 1;
      } else if (c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        memcpy(m + 16, &pi.ipi6_addr, 16);
        m[33] |= 2;
      }
    }
    return make_i32(env, (int32_t)n);
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
      {"IPPROTO_IPV6", IPPROTO_IPV6}, {"IPPROTO_ICMPV6", IPPROTO_ICMPV6},
      {"IPV6_MULTICAST_HOPS", IPV6_MULTICAST_HOPS}, {"IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS},
      {"IPV6_MULTICAST_LOOP", IPV6_MULTICAST_LOOP}, {"IPV6_MULTICAST_IF", IPV6_MULTICAST_IF},
      {"IPV6_MULTICAST_ALL", IPV6_MULTICAST_ALL}, {"IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT},
      {"IPV6_RECVPKTINFO", IPV6_RECVPKTINFO}, {"IPV6_TCLASS", IPV6_TCLASS},
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
      {"socket6", NULL, js_socket6, NULL, NULL, NULL, napi_default, NULL},
      {"bind6", NULL, js_bind6, NULL, NULL, NULL, napi_default, NULL},
      {"membership6", NULL, js_membership6, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo6", NULL, js_send_to6, NULL, NULL, NULL, napi_default, NULL},
      {"recv6", NULL, js_recv6, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"poll", NULL, js_poll, NULL, NULL, NULL, napi_default, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_default, NULL},
      {"constants", NULL, NULL, NULL, NULL, constants(env), napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
