/* rtnetlink through libmnl: links (bridge, veth, vxlan, dummy), addresses, routes, neighbour and FDB entries,
 * and namespace-scoped sysctls. Every list of ops runs on its own short-lived thread that enters each op's
 * network namespace with setns(); a netlink socket belongs to the namespace it was opened in, so one socket is
 * opened per namespace switch. Nothing here touches the Node main thread's namespace. */
#include "net/nl-ops.h"

#include <net/if.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace {

bool fail(NlError &err, int errnum, const std::string &step, const std::string &message) {
  err.errnum = errnum;
  err.step = step;
  err.message = message;
  return false;
}

/* A netlink route socket bound in the namespace of the thread that opened it. */
class NlSocket {
 public:
  ~NlSocket() { close(); }
  bool open(NlError &err) {
    close();
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (!nl_) return fail(err, errno, "netlink socket", "mnl_socket_open");
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return fail(err, errno, "netlink bind", "mnl_socket_bind");
    portid_ = mnl_socket_get_portid(nl_);
    return true;
  }
  void close() {
    if (nl_) mnl_socket_close(nl_);
    nl_ = nullptr;
  }
  bool isOpen() const { return nl_ != nullptr; }

  /* Sends one request with NLM_F_ACK and waits for its ack; returns false with errno on a NLMSG_ERROR. */
  bool request(struct nlmsghdr *nlh, int &errnum) {
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
      errnum = errno;
      return false;
    }
    char buf[8192];
    for (;;) {
      int n = mnl_socket_recvfrom(nl_, buf, sizeof buf);
      if (n < 0) {
        errnum = errno;
        return false;
      }
      int r = mnl_cb_run(buf, n, seq_, portid_, nullptr, nullptr);
      if (r < 0) {
        errnum = errno;
        return false;
      }
      if (r == MNL_CB_STOP) return true;
    }
  }

  /* Runs a dump, calling `cb` for every message. */
  bool dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, int &errnum) {
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
      errnum = errno;
      return false;
    }
    static thread_local char buf[1 << 16];
    for (;;) {
      int n = mnl_socket_recvfrom(nl_, buf, sizeof buf);
      if (n < 0) {
        errnum = errno;
        return false;
      }
      int r = mnl_cb_run(buf, n, seq_, portid_, cb, data);
      if (r < 0) {
        errnum = errno;
        return false;
      }
      if (r == MNL_CB_STOP) return true;
    }
  }

 private:
  struct mnl_socket *nl_ = nullptr;
  unsigned portid_ = 0;
  unsigned seq_ = 0;
};

bool enter_netns(const std::string &path, NlError &err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(err, errno, "open netns", path);
  int r = setns(fd, CLONE_NEWNET);
  int e = errno;
  ::close(fd);
  if (r < 0) return fail(err, e, "setns", path);
  return true;
}

bool parse_ip(const std::string &s, uint32_t &out) {
  struct in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  out = a.s_addr;
  return true;
}

bool parse_mac(const std::string &s, unsigned char mac[6]) {
  unsigned v[6];
  if (sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)v[i];
  return true;
}

std::string fmt_mac(const unsigned char *m) {
  char b[18];
  snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

std::string fmt_ip(const void *p) {
  char b[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, p, b, sizeof b);
  return b;
}

bool link_index(const std::string &name, int &index, NlError &err, const char *step) {
  index = (int)if_nametoindex(name.c_str());
  if (index == 0) return fail(err, ENODEV, step, "no link named " + name);
  return true;
}

/* The step name that errors report for an op. */
std::string op_step(const NlOp &op) {
  switch (op.kind) {
    case NlOpKind::LinkAdd: return "link add " + op.name;
    case NlOpKind::LinkSet: return "link set " + op.name;
    case NlOpKind::LinkDel: return "link del " + op.name;
    case NlOpKind::AddrAdd: return "addr add " + op.address + " dev " + op.name;
    case NlOpKind::AddrDel: return "addr del " + op.address + " dev " + op.name;
    case NlOpKind::RouteAdd: return "route add " + op.dst;
    case NlOpKind::RouteDel: return "route del " + op.dst;
    case NlOpKind::NeighSet: return "neigh set " + op.address + " dev " + op.name;
    case NlOpKind::NeighDel: return "neigh del " + op.address + " dev " + op.name;
    case NlOpKind::FdbSet: return "fdb set " + op.mac + " dev " + op.name;
    case NlOpKind::FdbDel: return "fdb del " + op.mac + " dev " + op.name;
    case NlOpKind::Sysctl: return "sysctl " + op.sysctlKey;
  }
  return "netlink";
}

class OpRunner {
 public:
  bool run(const std::vector<NlOp> &ops, NlError &err) {
    for (const NlOp &op : ops) {
      if (!sock_.isOpen() || op.netns != current_) {
        if (!op.netns.empty() && !enter_netns(op.netns, err)) return false;
        if (op.netns.empty() && !current_.empty()) {
          if (setns(originalFd_, CLONE_NEWNET) < 0) return fail(err, errno, "setns", "back to the caller's netns");
        }
        current_ = op.netns;
        if (!sock_.open(err)) return false;
      }
      if (!one(op, err)) return false;
    }
    return true;
  }
  OpRunner() {
    std::string self = "/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/ns/net";
    originalFd_ = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~OpRunner() {
    if (originalFd_ >= 0) ::close(originalFd_);
  }

 private:
  /* The thread's namespace on entry, so an op without netns returns to it. */
  int originalFd_ = -1;
  NlSocket sock_;
  std::string current_;
  char buf_[8192];

  bool done(const NlOp &op, bool ok, int errnum, NlError &err) {
    if (ok) return true;
    if (op.ignoreExisting && errnum == EEXIST) return true;
    if (op.ignoreMissing && (errnum == ENODEV || errnum == ENOENT || errnum == ESRCH || errnum == EADDRNOTAVAIL))
      return true;
    return fail(err, errnum, op_step(op), strerror(errnum));
  }

  bool one(const NlOp &op, NlError &err) {
    switch (op.kind) {
      case NlOpKind::LinkAdd: return linkAdd(op, err);
      case NlOpKind::LinkSet: return linkSet(op, err);
      case NlOpKind::LinkDel: return linkDel(op, err);
      case NlOpKind::AddrAdd:
      case NlOpKind::AddrDel: return addr(op, err);
      case NlOpKind::RouteAdd:
      case NlOpKind::RouteDel: return route(op, err);
      case NlOpKind::NeighSet:
      case NlOpKind::NeighDel: return neigh(op, err);
      case NlOpKind::FdbSet:
      case NlOpKind::FdbDel: return fdb(op, err);
      case NlOpKind::Sysctl: return sysctl(op, err);
    }
    return fail(err, EINVAL, "netlink", "unknown op");
  }

  struct nlmsghdr *header(int type, int flags) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf_);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    return nlh;
  }

  bool putMac(struct nlmsghdr *nlh, int attr, const std::string &mac, const NlOp &op, NlError &err) {
    unsigned char m[6];
    if (!parse_mac(mac, m)) return fail(err, EINVAL, op_step(op), "bad MAC " + mac);
    mnl_attr_put(nlh, attr, 6, m);
    return true;
  }

  bool putNetnsFd(struct nlmsghdr *nlh, const std::string &path, int &fd, const NlOp &op, NlError &err) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errno, op_step(op), "open netns " + path);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)fd);
    return true;
  }

  bool linkAdd(const NlOp &op, NlError &err) {
    struct nlmsghdr *nlh = header(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
    ifi->ifi_family = AF_UNSPEC;
    if (op.up == 1) {
      ifi->ifi_flags = IFF_UP;
      ifi->ifi_change = IFF_UP;
    }
    mnl_attr_put_strz(nlh, IFLA_IFNAME, op.name.c_str());
    if (op.mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)op.mtu);
    if (!op.mac.empty() && !putMac(nlh, IFLA_ADDRESS, op.mac, op, err)) return false;
    if (!op.master.empty() && op.master != "-") {
      int m;
      if (!link_index(op.master, m, err, op_step(op).c_str())) return false;
      mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)m);
    }
    int peerFd = -1;
    struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, op.linkKind.c_str());
    if (op.linkKind == "veth") {
      struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
      struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
      struct ifinfomsg *pifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
      pifi->ifi_family = AF_UNSPEC;
      if (op.up == 1 && op.peerNetns.empty()) {
        pifi->ifi_flags = IFF_UP;
        pifi->ifi_change = IFF_UP;
      }
      mnl_attr_put_strz(nlh, IFLA_IFNAME, op.peer.c_str());
      if (op.peerMtu > 0 || op.mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)(op.peerMtu > 0 ? op.peerMtu : op.mtu));
      if (!op.peerMac.empty() && !putMac(nlh, IFLA_ADDRESS, op.peerMac, op, err)) return false;
      if (!op.peerNetns.empty() && !putNetnsFd(nlh, op.peerNetns, peerFd, op, err)) return false;
      mnl_attr_nest_end(nlh, peer);
      mnl_attr_nest_end(nlh, data);
    } else if (op.linkKind == "vxlan") {
      struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
      mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, op.vni);
      if (!op.vxlanLocal.empty()) {
        uint32_t local;
        if (!parse_ip(op.vxlanLocal, local)) return fail(err, EINVAL, op_step(op), "bad local " + op.vxlanLocal);
        mnl_attr_put_u32(nlh, IFLA_VXLAN_LOCAL, local);
      }
      if (!op.vxlanDev.empty()) {
        int d;
        if (!link_index(op.vxlanDev, d, err, op_step(op).c_str())) return false;
        mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)d);
      }
      mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons((uint16_t)op.vxlanPort));
      mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
      mnl_attr_put_u8(nlh, IFLA_VXLAN_PROXY, 1);
      mnl_attr_nest_end(nlh, data);
    }
    mnl_attr_nest_end(nlh, linkinfo);
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    if (peerFd >= 0) ::close(peerFd);
    return done(op, ok, errnum, err);
  }

  bool linkSet(const NlOp &op, NlError &err) {
    struct nlmsghdr *nlh = header(RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
    ifi->ifi_family = AF_UNSPEC;
    int idx;
    if (!link_index(op.name, idx, err, op_step(op).c_str())) return done(op, false, ENODEV, err);
    ifi->ifi_index = idx;
    if (op.up >= 0) {
      ifi->ifi_flags = op.up ? IFF_UP : 0;
      ifi->ifi_change = IFF_UP;
    }
    if (op.mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)op.mtu);
    if (!op.newName.empty()) mnl_attr_put_strz(nlh, IFLA_IFNAME, op.newName.c_str());
    if (!op.mac.empty() && !putMac(nlh, IFLA_ADDRESS, op.mac, op, err)) return false;
    if (op.master == "-") {
      mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
    } else if (!op.master.empty()) {
      int m;
      if (!link_index(op.master, m, err, op_step(op).c_str())) return false;
      mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)m);
    }
    int fd = -1;
    if (!op.moveNetns.empty() && !putNetnsFd(nlh, op.moveNetns, fd, op, err)) return false;
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    if (fd >= 0) ::close(fd);
    if (ok && op.hairpin >= 0) ok = setHairpin(idx, op.hairpin, errnum);
    return done(op, ok, errnum, err);
  }

  /* Bridge port hairpin mode: lets the bridge send a frame back out of the port it came in on, which a
   * DNAT to a task on the same bridge needs when br_netfilter short-cuts the routed path. */
  bool setHairpin(int idx, int on, int &errnum) {
    struct nlmsghdr *nlh = header(RTM_SETLINK, 0);
    struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
    ifi->ifi_family = AF_BRIDGE;
    ifi->ifi_index = idx;
    struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, (uint8_t)on);
    mnl_attr_nest_end(nlh, pi);
    return sock_.request(nlh, errnum);
  }

  bool linkDel(const NlOp &op, NlError &err) {
    struct nlmsghdr *nlh = header(RTM_DELLINK, 0);
    struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, op.name.c_str());
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    return done(op, ok, errnum, err);
  }

  bool addr(const NlOp &op, NlError &err) {
    bool add = op.kind == NlOpKind::AddrAdd;
    struct nlmsghdr *nlh = header(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    struct ifaddrmsg *ifa = (struct ifaddrmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg));
    int idx;
    if (!link_index(op.name, idx, err, op_step(op).c_str())) return done(op, false, ENODEV, err);
    uint32_t a;
    if (!parse_ip(op.address, a)) return fail(err, EINVAL, op_step(op), "bad address " + op.address);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)op.prefix;
    ifa->ifa_index = (unsigned)idx;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    mnl_attr_put_u32(nlh, IFA_LOCAL, a);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
    if (add && op.prefix < 31) {
      uint32_t mask = op.prefix == 0 ? 0 : htonl(0xffffffffu << (32 - op.prefix));
      mnl_attr_put_u32(nlh, IFA_BROADCAST, (a & mask) | ~mask);
    }
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    return done(op, ok, errnum, err);
  }

  bool route(const NlOp &op, NlError &err) {
    bool add = op.kind == NlOpKind::RouteAdd;
    struct nlmsghdr *nlh = header(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    struct rtmsg *rtm = (struct rtmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg));
    rtm->rtm_family = AF_INET;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_type = RTN_UNICAST;
    rtm->rtm_scope = op.gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    if (op.dst != "default") {
      std::string ip = op.dst;
      int len = 32;
      size_t slash = ip.find('/');
      if (slash != std::string::npos) {
        len = atoi(ip.c_str() + slash + 1);
        ip = ip.substr(0, slash);
      }
      uint32_t d;
      if (!parse_ip(ip, d)) return fail(err, EINVAL, op_step(op), "bad destination " + op.dst);
      rtm->rtm_dst_len = (unsigned char)len;
      mnl_attr_put_u32(nlh, RTA_DST, d);
    }
    if (!op.gateway.empty()) {
      uint32_t g;
      if (!parse_ip(op.gateway, g)) return fail(err, EINVAL, op_step(op), "bad gateway " + op.gateway);
      mnl_attr_put_u32(nlh, RTA_GATEWAY, g);
    }
    if (!op.name.empty()) {
      int idx;
      if (!link_index(op.name, idx, err, op_step(op).c_str())) return done(op, false, ENODEV, err);
      mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
    }
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    return done(op, ok, errnum, err);
  }

  bool neighLike(const NlOp &op, NlError &err, bool bridge) {
    bool set = op.kind == NlOpKind::NeighSet || op.kind == NlOpKind::FdbSet;
    struct nlmsghdr *nlh = header(set ? RTM_NEWNEIGH : RTM_DELNEIGH, set ? NLM_F_CREATE | NLM_F_REPLACE : 0);
    struct ndmsg *ndm = (struct ndmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
    int idx;
    if (!link_index(op.name, idx, err, op_step(op).c_str())) return done(op, false, ENODEV, err);
    ndm->ndm_family = bridge ? PF_BRIDGE : AF_INET;
    ndm->ndm_ifindex = idx;
    ndm->ndm_state = NUD_PERMANENT | (bridge ? NUD_NOARP : 0);
    ndm->ndm_flags = bridge ? NTF_SELF : 0;
    if (!op.mac.empty() && !putMac(nlh, NDA_LLADDR, op.mac, op, err)) return false;
    if (!op.address.empty()) {
      uint32_t a;
      if (!parse_ip(op.address, a)) return fail(err, EINVAL, op_step(op), "bad address " + op.address);
      mnl_attr_put_u32(nlh, NDA_DST, a);
    }
    int errnum = 0;
    bool ok = sock_.request(nlh, errnum);
    return done(op, ok, errnum, err);
  }
  bool neigh(const NlOp &op, NlError &err) { return neighLike(op, err, false); }
  bool fdb(const NlOp &op, NlError &err) { return neighLike(op, err, true); }

  bool sysctl(const NlOp &op, NlError &err) {
    if (op.sysctlKey.find("..") != std::string::npos) return fail(err, EINVAL, op_step(op), "bad key");
    std::string path = "/proc/sys/" + op.sysctlKey;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return done(op, false, errno, err);
    ssize_t n = write(fd, op.sysctlValue.data(), op.sysctlValue.size());
    int e = errno;
    ::close(fd);
    return done(op, n >= 0, e, err);
  }
};

/* ---- dumps ---- */

struct DumpCtx {
  NlDumpKind kind;
  std::vector<NlRow> *rows;
};

int attr_cb(const struct nlattr *attr, void *data) {
  const struct nlattr **tb = (const struct nlattr **)data;
  int type = mnl_attr_get_type(attr);
  if (type <= 64) tb[type] = attr;
  return MNL_CB_OK;
}

void add(NlRow &row, const char *k, const std::string &v) { row.fields.emplace_back(k, v); }

int dump_cb(const struct nlmsghdr *nlh, void *data) {
  DumpCtx *ctx = (DumpCtx *)data;
  const struct nlattr *tb[65] = {};
  NlRow row;
  switch (ctx->kind) {
    case NlDumpKind::Links: {
      struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_get_payload(nlh);
      mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb);
      add(row, "index", std::to_string(ifi->ifi_index));
      if (tb[IFLA_IFNAME]) add(row, "name", mnl_attr_get_str(tb[IFLA_IFNAME]));
      if (tb[IFLA_MTU]) add(row, "mtu", std::to_string(mnl_attr_get_u32(tb[IFLA_MTU])));
      if (tb[IFLA_MASTER]) add(row, "master", std::to_string(mnl_attr_get_u32(tb[IFLA_MASTER])));
      if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
        add(row, "mac", fmt_mac((const unsigned char *)mnl_attr_get_payload(tb[IFLA_ADDRESS])));
      add(row, "up", (ifi->ifi_flags & IFF_UP) ? "1" : "0");
      if (tb[IFLA_LINKINFO]) {
        const struct nlattr *li[65] = {};
        mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, li);
        if (li[IFLA_INFO_KIND]) add(row, "kind", mnl_attr_get_str(li[IFLA_INFO_KIND]));
      }
      break;
    }
    case NlDumpKind::Addrs: {
      struct ifaddrmsg *ifa = (struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh);
      if (ifa->ifa_family != AF_INET) return MNL_CB_OK;
      mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
      add(row, "index", std::to_string(ifa->ifa_index));
      add(row, "prefix", std::to_string(ifa->ifa_prefixlen));
      const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
      if (a) add(row, "address", fmt_ip(mnl_attr_get_payload(a)));
      if (tb[IFA_LABEL]) add(row, "dev", mnl_attr_get_str(tb[IFA_LABEL]));
      break;
    }
    case NlDumpKind::Routes: {
      struct rtmsg *rtm = (struct rtmsg *)mnl_nlmsg_get_payload(nlh);
      if (rtm->rtm_family != AF_INET) return MNL_CB_OK;
      mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
      uint32_t table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
      if (table != RT_TABLE_MAIN) return MNL_CB_OK;
      std::string dst = tb[RTA_DST] ? fmt_ip(mnl_attr_get_payload(tb[RTA_DST])) + "/" + std::to_string(rtm->rtm_dst_len)
                                    : "default";
      add(row, "dst", dst);
      if (tb[RTA_GATEWAY]) add(row, "gateway", fmt_ip(mnl_attr_get_payload(tb[RTA_GATEWAY])));
      if (tb[RTA_OIF]) add(row, "index", std::to_string(mnl_attr_get_u32(tb[RTA_OIF])));
      add(row, "scope", std::to_string(rtm->rtm_scope));
      break;
    }
    case NlDumpKind::Neigh:
    case NlDumpKind::Fdb: {
      struct ndmsg *ndm = (struct ndmsg *)mnl_nlmsg_get_payload(nlh);
      mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb);
      add(row, "index", std::to_string(ndm->ndm_ifindex));
      add(row, "state", std::to_string(ndm->ndm_state));
      add(row, "flags", std::to_string(ndm->ndm_flags));
      if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6)
        add(row, "mac", fmt_mac((const unsigned char *)mnl_attr_get_payload(tb[NDA_LLADDR])));
      if (tb[NDA_DST] && mnl_attr_get_payload_len(tb[NDA_DST]) == 4)
        add(row, "address", fmt_ip(mnl_attr_get_payload(tb[NDA_DST])));
      if (tb[NDA_MASTER]) add(row, "master", std::to_string(mnl_attr_get_u32(tb[NDA_MASTER])));
      break;
    }
  }
  ctx->rows->push_back(std::move(row));
  return MNL_CB_OK;
}

template <typename F>
bool on_thread(F fn) {
  bool ok = false;
  std::thread t([&] { ok = fn(); });
  t.join();
  return ok;
}

bool bring_lo_up(NlError &err) {
  NlOp op;
  op.kind = NlOpKind::LinkSet;
  op.name = "lo";
  op.up = 1;
  OpRunner r;
  return r.run({op}, err);
}

}  // namespace

bool nl_run_ops(const std::vector<NlOp> &ops, NlError &err) {
  return on_thread([&] {
    OpRunner r;
    return r.run(ops, err);
  });
}

bool nl_dump(const std::string &netns, NlDumpKind kind, std::vector<NlRow> &rows, NlError &err) {
  return on_thread([&] {
    if (!netns.empty() && !enter_netns(netns, err)) return false;
    NlSocket sock;
    if (!sock.open(err)) return false;
    char buf[8192];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    int family = AF_INET;
    switch (kind) {
      case NlDumpKind::Links: {
        nlh->nlmsg_type = RTM_GETLINK;
        struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
        ifi->ifi_family = AF_UNSPEC;
        break;
      }
      case NlDumpKind::Addrs: {
        nlh->nlmsg_type = RTM_GETADDR;
        struct ifaddrmsg *ifa = (struct ifaddrmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg));
        ifa->ifa_family = AF_INET;
        break;
      }
      case NlDumpKind::Routes: {
        nlh->nlmsg_type = RTM_GETROUTE;
        struct rtmsg *rtm = (struct rtmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg));
        rtm->rtm_family = AF_INET;
        break;
      }
      case NlDumpKind::Neigh:
      case NlDumpKind::Fdb: {
        family = kind == NlDumpKind::Fdb ? PF_BRIDGE : AF_INET;
        nlh->nlmsg_type = RTM_GETNEIGH;
        struct ndmsg *ndm = (struct ndmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
        ndm->ndm_family = (unsigned char)family;
        break;
      }
    }
    DumpCtx ctx{kind, &rows};
    int errnum = 0;
    if (!sock.dump(nlh, dump_cb, &ctx, errnum)) return fail(err, errnum, "netlink dump", strerror(errnum));
    return true;
  });
}

bool nl_netns_create(const std::string &path, NlError &err) {
  std::string dir = path.substr(0, path.rfind('/'));
  if (dir.empty()) return fail(err, EINVAL, "netns create", "path must be absolute: " + path);
  /* Make the directory a shared mount point of its own (as iproute2 does for /run/netns), once per directory
   * and process: the mount calls contend with every other mount on the machine. */
  static std::mutex prepared_mu;
  static std::set<std::string> prepared;
  {
    std::lock_guard<std::mutex> lock(prepared_mu);
    if (!prepared.count(dir)) {
      if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0) {
        if (errno != EINVAL) return fail(err, errno, "mount --make-shared", dir);
        if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) < 0)
          return fail(err, errno, "mount --bind", dir);
        if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0)
          return fail(err, errno, "mount --make-shared", dir);
      }
      prepared.insert(dir);
    }
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return fail(err, errno, "create netns file", path);
  ::close(fd);
  bool ok = on_thread([&] {
    if (unshare(CLONE_NEWNET) < 0) return fail(err, errno, "unshare(CLONE_NEWNET)", path);
    if (!bring_lo_up(err)) return false;
    std::string self = "/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/ns/net";
    if (mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) < 0)
      return fail(err, errno, "bind mount netns", path);
    return true;
  });
  if (!ok) unlink(path.c_str());
  return ok;
}

bool nl_netns_remove(const std::string &path, NlError &err) {
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail(err, errno, "umount netns", path);
  if (unlink(path.c_str()) < 0 && errno != ENOENT) return fail(err, errno, "unlink netns", path);
  return true;
}

bool nl_bind_socket(const std::string &netns, const std::string &proto, const std::string &address, int port, int &fd,
                    NlError &err) {
  fd = -1;
  return on_thread([&] {
    if (!netns.empty() && !enter_netns(netns, err)) return false;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (!parse_ip(address, sa.sin_addr.s_addr)) return fail(err, EINVAL, "bind socket", "bad address " + address);
    int type = proto == "tcp" ? SOCK_STREAM : SOCK_DGRAM;
    int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) return fail(err, errno, "socket", proto);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
      int e = errno;
      ::close(s);
      return fail(err, e, "bind", proto + " " + address + ":" + std::to_string(port));
    }
    fd = s;
    return true;
  });
}
