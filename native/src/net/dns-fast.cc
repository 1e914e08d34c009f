/* See dns-fast.h. One thread per responder polls its UDP sockets and an eventfd (wake-up for socket changes
 * and stop). Tables are swapped under a mutex; a lookup copies the few bytes it needs while holding it. */
#include "net/dns-fast.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace {

struct Question {
  uint16_t flags;
  std::string name;
  uint16_t type;
  size_t end;
};

bool read_question(const unsigned char *p, size_t n, Question &q) {
  if (n < 17) return false;
  q.flags = (uint16_t)(p[2] << 8 | p[3]);
  if ((q.flags & 0x8000) || (p[4] << 8 | p[5]) != 1) return false;
  size_t off = 12;
  q.name.clear();
  for (;;) {
    if (off >= n) return false;
    unsigned len = p[off];
    if (len == 0) break;
    if ((len & 0xc0) || off + 1 + len > n) return false;
    if (!q.name.empty()) q.name.push_back('.');
    for (unsigned i = 0; i < len; i++) {
      unsigned char c = p[off + 1 + i];
      q.name.push_back((char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > n) return false;
  q.type = (uint16_t)(p[off] << 8 | p[off + 1]);
  q.end = off + 4;
  return true;
}

}  // namespace

struct DnsFast::Impl {
  std::function<void(DnsFastMiss)> onMiss;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const std::map<std::string, DnsFastAnswer>>> nets;
  std::unordered_map<uint32_t, std::vector<std::string>> clients;
  std::vector<int> fds;
  std::vector<int> toClose;
  int wake = -1;
  std::atomic<bool> stopping{false};
  std::atomic<unsigned> rotation{0};
  std::thread thread;
  bool stopped = false;

  /* Builds the reply for a question of ours into `out`; false when JavaScript must answer. */
  bool answer(const unsigned char *p, size_t n, uint32_t client, std::string &out) {
    Question q;
    if (!read_question(p, n, q)) return false;
    std::string records;
    bool rotate = false;
    bool found = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto c = clients.find(client);
      if (c == clients.end()) return false;
      /* The union over the client's networks, each address once. */
      for (const std::string &id : c->second) {
        auto net = nets.find(id);
        if (net == nets.end()) continue;
        auto a = net->second->find(q.name);
        if (a == net->second->end()) continue;
        found = true;
        rotate = rotate || a->second.rotate;
        if (c->second.size() == 1) {
          records = a->second.records;
          break;
        }
        for (size_t off = 0; off + 16 <= a->second.records.size(); off += 16) {
          bool dup = false;
          for (size_t k = 0; k + 16 <= records.size() && !dup; k += 16)
            dup = memcmp(records.data() + k + 12, a->second.records.data() + off + 12, 4) == 0;
          if (!dup) records.append(a->second.records, off, 16);
        }
      }
    }
    if (!found) return false;
    bool isA = q.type == 1 || q.type == 255;
    size_t count = isA ? records.size() / 16 : 0;
    out.assign((const char *)p, q.end);
    unsigned rcode = isA && count == 0 ? 3 : 0;
    uint16_t flags = (uint16_t)(0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode);
    out[2] = (char)(flags >> 8);
    out[3] = (char)(flags & 0xff);
    out[6] = (char)(count >> 8);
    out[7] = (char)(count & 0xff);
    memset(&out[8], 0, 4);
    if (!count) return true;
    size_t k = rotate && count > 1 ? rotation.fetch_add(1) % count : 0;
    out.append(records, k * 16, std::string::npos);
    out.append(records, 0, k * 16);
    return true;
  }

  void loop() {
    std::vector<pollfd> pfds;
    std::vector<unsigned char> buf(4096);
    std::string reply;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        for (int fd : toClose) close(fd);
        toClose.clear();
        pfds.clear();
        pfds.push_back({wake, POLLIN, 0});
        for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
      }
      if (poll(pfds.data(), pfds.size(), -1) < 0 && errno != EINTR) return;
      if (stopping) return;
      if (pfds[0].revents & POLLIN) {
        uint64_t v;
        if (read(wake, &v, sizeof v) < 0) { /* spurious */ }
        continue; /* rebuild the poll set */
      }
      for (size_t i = 1; i < pfds.size(); i++) {
        if (!(pfds[i].revents & POLLIN)) continue;
        for (;;) {
          struct sockaddr_in from;
          socklen_t fromlen = sizeof from;
          ssize_t n = recvfrom(pfds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
          if (n < 0) break;
          if (answer(buf.data(), (size_t)n, from.sin_addr.s_addr, reply)) {
            sendto(pfds[i].fd, reply.data(), reply.size(), MSG_DONTWAIT, (struct sockaddr *)&from, fromlen);
          } else {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
            onMiss({pfds[i].fd, std::string((const char *)buf.data(), (size_t)n), ip, ntohs(from.sin_port)});
          }
        }
      }
    }
  }

  void poke() {
    uint64_t one = 1;
    if (write(wake, &one, sizeof one) < 0) { /* the counter is saturated: a wake-up is pending anyway */ }
  }
};

DnsFast::DnsFast(std::function<void(DnsFastMiss)> onMiss) : impl_(new Impl) {
  impl_->onMiss = std::move(onMiss);
  impl_->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  impl_->thread = std::thread([this] { impl_->loop(); });
}

DnsFast::~DnsFast() { stop(); }

bool DnsFast::serve(int fd, std::string &error) {
  if (impl_->stopped) {
    error = "responder stopped";
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->fds.push_back(fd);
  }
  impl_->poke();
  return true;
}

void DnsFast::unserve(int fd) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (size_t i = 0; i < impl_->fds.size(); i++)
      if (impl_->fds[i] == fd) {
        impl_->fds.erase(impl_->fds.begin() + (long)i);
        impl_->toClose.push_back(fd);
        break;
      }
  }
  impl_->poke();
}

void DnsFast::setNetwork(const std::string &network, std::map<std::string, DnsFastAnswer> names) {
  auto table = std::make_shared<const std::map<std::string, DnsFastAnswer>>(std::move(names));
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->nets[network] = table;
}

void DnsFast::removeNetwork(const std::string &network) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->nets.erase(network);
}

void DnsFast::setClients(std::map<std::string, std::vector<std::string>> clients) {
  std::unordered_map<uint32_t, std::vector<std::string>> byIp;
  for (auto &c : clients) {
    struct in_addr a;
    if (inet_pton(AF_INET, c.first.c_str(), &a) == 1) byIp[a.s_addr] = std::move(c.second);
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->clients.swap(byIp);
}

void DnsFast::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  impl_->poke();
  if (impl_->thread.joinable()) impl_->thread.join();
  for (int fd : impl_->fds) close(fd);
  for (int fd : impl_->toClose) close(fd);
  impl_->fds.clear();
  impl_->toClose.clear();
  if (impl_->wake >= 0) close(impl_->wake);
  impl_->wake = -1;
}

bool dns_fast_send(int fd, const std::string &packet, const std::string &ip, int port) {
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, ip.c_str(), &to.sin_addr) != 1) return false;
  return sendto(fd, packet.data(), packet.size(), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) >= 0;
}
