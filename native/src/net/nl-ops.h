/* Netlink operations of tsstack's network driver, as plain data: the binding parses JS objects into a list of
 * NlOp, and one worker thread runs the whole list (entering the network namespace each op names) through
 * libmnl. Errors carry errno and the step that failed, as the rest of the native core does. */
#ifndef TS_NET_NL_OPS_H
#define TS_NET_NL_OPS_H

#include <cstdint>
#include <string>
#include <vector>

enum class NlOpKind {
  LinkAdd,
  LinkSet,
  LinkDel,
  AddrAdd,
  AddrDel,
  RouteAdd,
  RouteDel,
  NeighSet,
  NeighDel,
  FdbSet,
  FdbDel,
  Sysctl,
};

struct NlOp {
  NlOpKind kind = NlOpKind::LinkAdd;
  std::string netns;  // namespace (bind-mount path) to run in; empty = the caller's
  std::string name;   // link name (or the device of addr/route/neigh/fdb)
  std::string linkKind;  // bridge | veth | vxlan | dummy
  std::string peer;      // veth peer name
  std::string peerNetns; // veth peer created directly in this namespace
  std::string peerMac;
  std::string master;    // "" = leave, "-" = no master
  std::string mac;
  std::string newName;
  std::string moveNetns; // move the link into this namespace
  int mtu = 0;
  int peerMtu = 0;
  int up = -1;  // -1 leave, 0 down, 1 up
  int hairpin = -1;  // bridge port hairpin mode: -1 leave, 0 off, 1 on
  uint32_t vni = 0;
  std::string vxlanLocal;
  std::string vxlanDev;
  int vxlanPort = 4789;
  std::string address;  // IPv4 (addr, neigh, fdb dst)
  int prefix = 32;
  std::string dst;      // route destination CIDR or "default"
  std::string gateway;
  std::string sysctlKey;
  std::string sysctlValue;
  bool ignoreExisting = false;
  bool ignoreMissing = false;
};

struct NlError {
  int errnum = 0;
  std::string step;
  std::string message;
};

/* One row of a dump: a flat string map keeps the binding generic. */
struct NlRow {
  std::vector<std::pair<std::string, std::string>> fields;
};

enum class NlDumpKind { Links, Addrs, Routes, Neigh, Fdb };

/* Runs every op in order on a fresh thread (so entering namespaces never leaks into a pool thread). */
bool nl_run_ops(const std::vector<NlOp> &ops, NlError &err);

/* Lists links/addresses/routes/neighbours/fdb entries of a namespace ("" = the caller's). */
bool nl_dump(const std::string &netns, NlDumpKind kind, std::vector<NlRow> &rows, NlError &err);

/* Makes a new network namespace (loopback up) and bind-mounts it at `path`; the directory of `path` is made a
 * shared bind mount of itself first, as iproute2 does, so removal propagates to mount namespaces made later. */
bool nl_netns_create(const std::string &path, NlError &err);

/* Unmounts and removes a namespace path; a missing path is not an error. */
bool nl_netns_remove(const std::string &path, NlError &err);

/* A non-blocking socket ("udp" or "tcp", not yet listening) bound to address:port inside `netns`; the caller owns
 * the returned fd (Node adopts it with dgram bind({fd}) / net listen({fd})). IP_FREEBIND lets the address
 * appear later. */
bool nl_bind_socket(const std::string &netns, const std::string &proto, const std::string &address, int port, int &fd,
                    NlError &err);

#endif
