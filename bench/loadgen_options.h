#pragma once
// budgetd-loadgen's command line (loadgen.cpp's header comment shows every use).

#include <optional>
#include <string>

namespace loadgen {

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  int connections = 8;
  int batch = 1000;
  double duration_s = 10;
  int slos = 100;
  double rate = 0;        // batches per second over all connections; 0: closed loop
  double query_rate = 0;  // status + gate queries per second
  int scrapers = 0;       // connections scraping /metrics back to back
  double probe_rate = 0;  // GET /healthz per second
  int bodies = 16;        // distinct batch bodies, sent round-robin
  bool ts = true;         // a "ts" on every event (--no-ts: none)
  std::optional<std::string> write_config;
  std::optional<std::string> write_body;
  std::string fsync = "interval";
  std::string data = "./bench-data";
};

// Exits 2 with the usage text after `why`.
[[noreturn]] void usage(const std::string& why);
// The options of argv; exits through usage() when one is unknown, missing or out of range.
Options parse(int argc, char** argv);

}  // namespace loadgen
