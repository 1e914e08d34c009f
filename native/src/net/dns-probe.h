/* A resolver-like DNS client for measurements and diagnostics: from inside a network namespace, sends `count`
 * A queries for `name` one at a time over UDP (blocking, as libc's resolver does) and records each round
 * trip. Used by bench:network to time the embedded DNS from inside a container. */
#ifndef TS_NET_DNS_PROBE_H
#define TS_NET_DNS_PROBE_H

#include <string>
#include <vector>

#include "net/nl-ops.h"

/* Fills `ms` with one round trip per query; `answers` gets the answer count of the last reply. */
bool dns_probe(const std::string &netns, const std::string &server, int port, const std::string &name, int count,
               std::vector<double> &ms, int &answers, NlError &err);

#endif
