/* The embedded DNS's fast path: a native thread answers A questions for names it holds ready-made records for
 * (pushed from TypeScript whenever a network's names change), straight from the UDP sockets; everything else
 * (names it does not hold, malformed packets) is handed to JavaScript, which
 * answers or forwards and replies through dns_fast_send. Network scoping is kept: a client (by source
 * address) only sees the tables of its networks. */
#ifndef TS_NET_DNS_FAST_H
#define TS_NET_DNS_FAST_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct DnsFastAnswer {
  std::string records; /* 16 bytes per A record (name pointer 0xc00c, TTL 0) */
  bool rotate = false;
};

/* A packet the fast path leaves to JavaScript. */
struct DnsFastMiss {
  int fd;
  std::string packet;
  std::string clientIp;
  int clientPort;
};

class DnsFast {
 public:
  explicit DnsFast(std::function<void(DnsFastMiss)> onMiss);
  ~DnsFast();
  /* Starts answering on a bound UDP socket (the responder owns it from now on). */
  bool serve(int fd, std::string &error);
  /* Stops answering on a socket and closes it. */
  void unserve(int fd);
  /* Replaces one network's names. */
  void setNetwork(const std::string &network, std::map<std::string, DnsFastAnswer> names);
  void removeNetwork(const std::string &network);
  /* Replaces the client address -> networks map. */
  void setClients(std::map<std::string, std::vector<std::string>> clients);
  /* Stops the thread and closes every socket. Safe twice. */
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/* Sends a reply JavaScript built for a missed packet. */
bool dns_fast_send(int fd, const std::string &packet, const std::string &ip, int port);

#endif
