// node-addon-api binding of the netlink driver (tsstack_net.node). Six promise-returning functions, each
// running off the JS thread (AsyncWorker, which itself hands namespace work to a fresh thread):
//   apply(ops[])              links, addresses, routes, neighbours, fdb, sysctls, each op in its own netns
//   dump(netns, kind)         'links' | 'addrs' | 'routes' | 'neigh' | 'fdb' -> array of string maps
//   netnsCreate(path)         a new network namespace bind-mounted at path, loopback up
//   netnsRemove(path)         unmount and unlink (missing is fine)
//   bindSocket(netns, proto, address, port)  a bound socket fd made inside a namespace (embedded DNS)
//   dnsProbe(netns, server, port, name, count)  round trips of blocking A queries from inside a namespace
// and, synchronous, the embedded DNS fast path (dns-fast.h): dnsFastCreate/Serve/Unserve/SetNetwork/
//   RemoveNetwork/SetClients/Destroy and dnsFastSend
// Arguments are validated and defaulted in TypeScript (libs/network/src/native/net-binding.ts); errors reject
// with an Error carrying code ('EEXIST'), errno, syscall (the failing step) like Node's own fs errors.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "net/dns-fast.h"
#include "net/dns-probe.h"
#include "net/nl-ops.h"

namespace {

const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case EACCES: return "EACCES";
    case ENOTDIR: return "ENOTDIR";
    case EMSGSIZE: return "EMSGSIZE";
    default: return "E?";
  }
}

Napi::Error to_js(Napi::Env env, const NlError &e) {
  std::string msg = e.step + ": " + e.message;
  if (e.errnum) msg += std::string(" (") + errno_name(e.errnum) + ")";
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, e.errnum ? errno_name(e.errnum) : "EINVAL"));
  err.Set("errno", Napi::Number::New(env, e.errnum));
  err.Set("syscall", Napi::String::New(env, e.step));
  return err;
}

std::string str(const Napi::Object &o, const char *k) {
  Napi::Value v = o.Get(k);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}
int num(const Napi::Object &o, const char *k, int dflt) {
  Napi::Value v = o.Get(k);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}
bool flag(const Napi::Object &o, const char *k) {
  Napi::Value v = o.Get(k);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

NlOp parse_op(const Napi::Object &o) {
  static const std::pair<const char *, NlOpKind> kinds[] = {
      {"linkAdd", NlOpKind::LinkAdd},   {"linkSet", NlOpKind::LinkSet},   {"linkDel", NlOpKind::LinkDel},
      {"addrAdd", NlOpKind::AddrAdd},   {"addrDel", NlOpKind::AddrDel},   {"routeAdd", NlOpKind::RouteAdd},
      {"routeDel", NlOpKind::RouteDel}, {"neighSet", NlOpKind::NeighSet}, {"neighDel", NlOpKind::NeighDel},
      {"fdbSet", NlOpKind::FdbSet},     {"fdbDel", NlOpKind::FdbDel},     {"sysctl", NlOpKind::Sysctl},
  };
  std::string k = str(o, "op");
  NlOp op;
  bool known = false;
  for (auto &p : kinds)
    if (k == p.first) {
      op.kind = p.second;
      known = true;
    }
  if (!known) throw Napi::TypeError::New(o.Env(), "unknown netlink op: " + k);
  op.netns = str(o, "netns");
  op.name = str(o, "name");
  op.linkKind = str(o, "kind");
  op.peer = str(o, "peer");
  op.peerNetns = str(o, "peerNetns");
  op.peerMac = str(o, "peerMac");
  op.master = str(o, "master");
  op.mac = str(o, "mac");
  op.newName = str(o, "newName");
  op.moveNetns = str(o, "moveNetns");
  op.mtu = num(o, "mtu", 0);
  op.peerMtu = num(o, "peerMtu", 0);
  Napi::Value up = o.Get("up");
  if (up.IsBoolean()) op.up = up.As<Napi::Boolean>().Value() ? 1 : 0;
  Napi::Value hairpin = o.Get("hairpin");
  if (hairpin.IsBoolean()) op.hairpin = hairpin.As<Napi::Boolean>().Value() ? 1 : 0;
  op.vni = (uint32_t)num(o, "vni", 0);
  op.vxlanLocal = str(o, "local");
  op.vxlanDev = str(o, "dev");
  op.vxlanPort = num(o, "port", 4789);
  op.address = str(o, "address");
  op.prefix = num(o, "prefix", 32);
  op.dst = str(o, "dst");
  op.gateway = str(o, "gateway");
  op.sysctlKey = str(o, "key");
  op.sysctlValue = str(o, "value");
  op.ignoreExisting = flag(o, "ignoreExisting");
  op.ignoreMissing = flag(o, "ignoreMissing");
  return op;
}

class ApplyWorker : public Napi::AsyncWorker {
 public:
  ApplyWorker(Napi::Env env, std::vector<NlOp> ops)
      : Napi::AsyncWorker(env), ops_(std::move(ops)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = nl_run_ops(ops_, err_); }
  void OnOK() override {
    if (ok_) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(to_js(Env(), err_).Value());
  }

 private:
  std::vector<NlOp> ops_;
  Napi::Promise::Deferred deferred_;
  NlError err_;
  bool ok_ = false;
};

class DumpWorker : public Napi::AsyncWorker {
 public:
  DumpWorker(Napi::Env env, std::string netns, NlDumpKind kind)
      : Napi::AsyncWorker(env), netns_(std::move(netns)), kind_(kind), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = nl_dump(netns_, kind_, rows_, err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Reject(to_js(env, err_).Value());
      return;
    }
    Napi::Array arr = Napi::Array::New(env, rows_.size());
    for (size_t i = 0; i < rows_.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      for (auto &f : rows_[i].fields) o.Set(f.first, f.second);
      arr.Set((uint32_t)i, o);
    }
    deferred_.Resolve(arr);
  }

 private:
  std::string netns_;
  NlDumpKind kind_;
  Napi::Promise::Deferred deferred_;
  std::vector<NlRow> rows_;
  NlError err_;
  bool ok_ = false;
};

class NetnsWorker : public Napi::AsyncWorker {
 public:
  NetnsWorker(Napi::Env env, std::string path, bool create)
      : Napi::AsyncWorker(env), path_(std::move(path)), create_(create), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = create_ ? nl_netns_create(path_, err_) : nl_netns_remove(path_, err_); }
  void OnOK() override {
    if (ok_) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(to_js(Env(), err_).Value());
  }

 private:
  std::string path_;
  bool create_;
  Napi::Promise::Deferred deferred_;
  NlError err_;
  bool ok_ = false;
};

class BindWorker : public Napi::AsyncWorker {
 public:
  BindWorker(Napi::Env env, std::string netns, std::string proto, std::string address, int port)
      : Napi::AsyncWorker(env), netns_(std::move(netns)), proto_(std::move(proto)), address_(std::move(address)),
        port_(port), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = nl_bind_socket(netns_, proto_, address_, port_, fd_, err_); }
  void OnOK() override {
    if (ok_) deferred_.Resolve(Napi::Number::New(Env(), fd_));
    else deferred_.Reject(to_js(Env(), err_).Value());
  }

 private:
  std::string netns_, proto_, address_;
  int port_;
  int fd_ = -1;
  Napi::Promise::Deferred deferred_;
  NlError err_;
  bool ok_ = false;
};

class ProbeWorker : public Napi::AsyncWorker {
 public:
  ProbeWorker(Napi::Env env, std::string netns, std::string server, int port, std::string name, int count)
      : Napi::AsyncWorker(env), netns_(std::move(netns)), server_(std::move(server)), name_(std::move(name)),
        port_(port), count_(count), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = dns_probe(netns_, server_, port_, name_, count_, ms_, answers_, err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Reject(to_js(env, err_).Value());
      return;
    }
    Napi::Float64Array arr = Napi::Float64Array::New(env, ms_.size());
    for (size_t i = 0; i < ms_.size(); i++) arr[i] = ms_[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("ms", arr);
    o.Set("answers", Napi::Number::New(env, answers_));
    deferred_.Resolve(o);
  }

 private:
  std::string netns_, server_, name_;
  int port_, count_;
  Napi::Promise::Deferred deferred_;
  std::vector<double> ms_;
  int answers_ = 0;
  NlError err_;
  bool ok_ = false;
};

Napi::Value DnsProbe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[1].IsString() || !info[2].IsNumber() || !info[3].IsString() || !info[4].IsNumber())
    throw Napi::TypeError::New(env, "dnsProbe(netns, server, port, name, count)");
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  ProbeWorker *w = new ProbeWorker(env, netns, info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::Number>().Int32Value(),
                                   info[3].As<Napi::String>().Utf8Value(), info[4].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value BindSocket(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (!info[1].IsString() || !info[2].IsString() || !info[3].IsNumber())
    throw Napi::TypeError::New(env, "bindSocket(netns, proto, address, port)");
  BindWorker *w = new BindWorker(env, netns, info[1].As<Napi::String>().Utf8Value(),
                                 info[2].As<Napi::String>().Utf8Value(), info[3].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value Apply(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "apply(ops[]): ops must be an array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<NlOp> ops;
  ops.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "apply(ops[]): every op must be an object");
    ops.push_back(parse_op(v.As<Napi::Object>()));
  }
  ApplyWorker *w = new ApplyWorker(env, std::move(ops));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value Dump(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  std::string kind = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  NlDumpKind k;
  if (kind == "links") k = NlDumpKind::Links;
  else if (kind == "addrs") k = NlDumpKind::Addrs;
  else if (kind == "routes") k = NlDumpKind::Routes;
  else if (kind == "neigh") k = NlDumpKind::Neigh;
  else if (kind == "fdb") k = NlDumpKind::Fdb;
  else throw Napi::TypeError::New(env, "dump(netns, kind): unknown kind " + kind);
  DumpWorker *w = new DumpWorker(env, netns, k);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value Netns(const Napi::CallbackInfo &info, bool create) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "netns path must be a string");
  NetnsWorker *w = new NetnsWorker(env, info[0].As<Napi::String>().Utf8Value(), create);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// ---- the embedded DNS fast path (dns-fast.h): responders by integer handle ----

struct FastEntry {
  std::unique_ptr<DnsFast> fast;
  Napi::ThreadSafeFunction tsfn;
};
std::map<int, FastEntry> fast_responders;
int fast_next_id = 1;

FastEntry &fast_get(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "dns fast path: handle must be a number");
  auto it = fast_responders.find(info[0].As<Napi::Number>().Int32Value());
  if (it == fast_responders.end()) throw Napi::Error::New(info.Env(), "dns fast path: unknown handle");
  return it->second;
}

// dnsFastCreate(onMiss(packet: Buffer, ip: string, port: number, fd: number)) -> handle
Napi::Value DnsFastCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "dnsFastCreate(onMiss)");
  int id = fast_next_id++;
  FastEntry &e = fast_responders[id];
  e.tsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "tsstack-dns-fast", 0, 1);
  e.tsfn.Unref(env);  // never keeps the process alive by itself
  Napi::ThreadSafeFunction tsfn = e.tsfn;
  e.fast.reset(new DnsFast([tsfn](DnsFastMiss miss) mutable {
    DnsFastMiss *m = new DnsFastMiss(std::move(miss));
    napi_status st = tsfn.NonBlockingCall(m, [](Napi::Env env, Napi::Function cb, DnsFastMiss *m) {
      cb.Call({Napi::Buffer<char>::Copy(env, m->packet.data(), m->packet.size()), Napi::String::New(env, m->clientIp),
               Napi::Number::New(env, m->clientPort), Napi::Number::New(env, m->fd)});
      delete m;
    });
    if (st != napi_ok) delete m;
  }));
  return Napi::Number::New(env, id);
}

Napi::Value DnsFastServe(const Napi::CallbackInfo &info) {
  FastEntry &e = fast_get(info);
  std::string error;
  if (!info[1].IsNumber() || !e.fast->serve(info[1].As<Napi::Number>().Int32Value(), error))
    throw Napi::Error::New(info.Env(), "dnsFastServe: " + (error.empty() ? std::string("bad fd") : error));
  return info.Env().Undefined();
}

Napi::Value DnsFastUnserve(const Napi::CallbackInfo &info) {
  FastEntry &e = fast_get(info);
  if (info[1].IsNumber()) e.fast->unserve(info[1].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// dnsFastSetNetwork(handle, network, [[name, records: Buffer, rotate: boolean], ...])
Napi::Value DnsFastSetNetwork(const Napi::CallbackInfo &info) {
  FastEntry &e = fast_get(info);
  if (!info[1].IsString() || !info[2].IsArray()) throw Napi::TypeError::New(info.Env(), "dnsFastSetNetwork(h, net, entries)");
  std::map<std::string, DnsFastAnswer> names;
  Napi::Array arr = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Array row = arr.Get(i).As<Napi::Array>();
    Napi::Buffer<char> rec = row.Get(1u).As<Napi::Buffer<char>>();
    DnsFastAnswer a;
    a.records.assign(rec.Data(), rec.Length());
    a.rotate = row.Get(2u).ToBoolean().Value();
    names[row.Get(0u).As<Napi::String>().Utf8Value()] = std::move(a);
  }
  e.fast->setNetwork(info[1].As<Napi::String>().Utf8Value(), std::move(names));
  return info.Env().Undefined();
}

Napi::Value DnsFastRemoveNetwork(const Napi::CallbackInfo &info) {
  FastEntry &e = fast_get(info);
  if (info[1].IsString()) e.fast->removeNetwork(info[1].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

// dnsFastSetClients(handle, [[ip, [network, ...]], ...])
Napi::Value DnsFastSetClients(const Napi::CallbackInfo &info) {
  FastEntry &e = fast_get(info);
  if (!info[1].IsArray()) throw Napi::TypeError::New(info.Env(), "dnsFastSetClients(h, clients)");
  std::map<std::string, std::vector<std::string>> clients;
  Napi::Array arr = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Array row = arr.Get(i).As<Napi::Array>();
    Napi::Array nets = row.Get(1u).As<Napi::Array>();
    std::vector<std::string> v;
    for (uint32_t j = 0; j < nets.Length(); j++) v.push_back(nets.Get(j).As<Napi::String>().Utf8Value());
    clients[row.Get(0u).As<Napi::String>().Utf8Value()] = std::move(v);
  }
  e.fast->setClients(std::move(clients));
  return info.Env().Undefined();
}

Napi::Value DnsFastDestroy(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber()) return info.Env().Undefined();
  auto it = fast_responders.find(info[0].As<Napi::Number>().Int32Value());
  if (it == fast_responders.end()) return info.Env().Undefined();
  it->second.fast->stop();
  it->second.tsfn.Release();
  fast_responders.erase(it);
  return info.Env().Undefined();
}

// dnsFastSend(fd, packet: Buffer, ip, port) -> boolean (a reply JavaScript built for a missed packet)
Napi::Value DnsFastSend(const Napi::CallbackInfo &info) {
  if (!info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsString() || !info[3].IsNumber())
    throw Napi::TypeError::New(info.Env(), "dnsFastSend(fd, packet, ip, port)");
  Napi::Buffer<char> b = info[1].As<Napi::Buffer<char>>();
  bool ok = dns_fast_send(info[0].As<Napi::Number>().Int32Value(), std::string(b.Data(), b.Length()),
                          info[2].As<Napi::String>().Utf8Value(), info[3].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("apply", Napi::Function::New(env, Apply));
  exports.Set("dump", Napi::Function::New(env, Dump));
  exports.Set("netnsCreate", Napi::Function::New(env, [](const Napi::CallbackInfo &i) { return Netns(i, true); }));
  exports.Set("netnsRemove", Napi::Function::New(env, [](const Napi::CallbackInfo &i) { return Netns(i, false); }));
  exports.Set("bindSocket", Napi::Function::New(env, BindSocket));
  exports.Set("dnsProbe", Napi::Function::New(env, DnsProbe));
  exports.Set("dnsFastCreate", Napi::Function::New(env, DnsFastCreate));
  exports.Set("dnsFastServe", Napi::Function::New(env, DnsFastServe));
  exports.Set("dnsFastUnserve", Napi::Function::New(env, DnsFastUnserve));
  exports.Set("dnsFastSetNetwork", Napi::Function::New(env, DnsFastSetNetwork));
  exports.Set("dnsFastRemoveNetwork", Napi::Function::New(env, DnsFastRemoveNetwork));
  exports.Set("dnsFastSetClients", Napi::Function::New(env, DnsFastSetClients));
  exports.Set("dnsFastDestroy", Napi::Function::New(env, DnsFastDestroy));
  exports.Set("dnsFastSend", Napi::Function::New(env, DnsFastSend));
  exports.Set("version", Napi::String::New(env, "0.2.0"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsstack_net, Init)
