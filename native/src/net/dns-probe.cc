/* See dns-probe.h. Runs on its own thread (it enters the namespace with setns). */
#include "net/dns-probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace {

bool probe_fail(NlError &err, int errnum, const std::string &step, const std::string &message) {
  err.errnum = errnum;
  err.step = step;
  err.message = message;
  return false;
}

double now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A query for `name` type A class IN with RD set; returns its length. */
size_t build_query(unsigned char *buf, size_t cap, const std::string &name, uint16_t id) {
  if (cap < 12 + name.size() + 6) return 0;
  memset(buf, 0, 12);
  buf[0] = id >> 8;
  buf[1] = id & 0xff;
  buf[2] = 0x01; /* RD */
  buf[5] = 1;    /* qdcount */
  size_t off = 12, start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) break;
    buf[off++] = (unsigned char)len;
    memcpy(buf + off, name.data() + start, len);
    off += len;
    start = dot + 1;
  }
  buf[off++] = 0;
  buf[off++] = 0;
  buf[off++] = 1; /* A */
  buf[off++] = 0;
  buf[off++] = 1; /* IN */
  return off;
}

}  // namespace

bool dns_probe(const std::string &netns, const std::string &server, int port, const std::string &name, int count,
               std::vector<double> &ms, int &answers, NlError &err) {
  bool ok = false;
  std::thread t([&] {
    if (!netns.empty()) {
      int fd = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return (void)probe_fail(err, errno, "open netns", netns);
      int r = setns(fd, CLONE_NEWNET);
      int e = errno;
      close(fd);
      if (r < 0) return (void)probe_fail(err, e, "setns", netns);
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, server.c_str(), &sa.sin_addr) != 1)
      return (void)probe_fail(err, EINVAL, "dns probe", "bad server " + server);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return (void)probe_fail(err, errno, "socket", "udp");
    struct timeval tv = {2, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
      int e = errno;
      close(s);
      return (void)probe_fail(err, e, "connect", server);
    }
    unsigned char q[512], reply[1500];
    ms.reserve((size_t)count);
    for (int i = 0; i < count; i++) {
      uint16_t id = (uint16_t)(i + 1);
      size_t len = build_query(q, sizeof q, name, id);
      double start = now_ms();
      if (send(s, q, len, 0) < 0) {
        int e = errno;
        close(s);
        return (void)probe_fail(err, e, "send", server);
      }
      ssize_t n;
      do {
        n = recv(s, reply, sizeof reply, 0);
      } while (n >= 2 && (reply[0] << 8 | reply[1]) != id);
      if (n < 12) {
        int e = n < 0 ? errno : EPROTO;
        close(s);
        return (void)probe_fail(err, e, "recv", "no answer from " + server);
      }
      ms.push_back(now_ms() - start);
      answers = reply[6] << 8 | reply[7];
    }
    close(s);
    ok = true;
  });
  t.join();
  return ok;
}
