// budgetd-loadgen's command line (loadgen_options.h).

#include "loadgen_options.h"

#include <cstdlib>
#include <iostream>

namespace loadgen {
namespace {

double parse_seconds(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const std::string unit(end);
  if (unit == "s" || unit.empty()) return v;
  if (unit == "ms") return v / 1000;
  if (unit == "m") return v * 60;
  usage("bad duration " + s);
}

}  // namespace

void usage(const std::string& why) {
  std::cerr << "budgetd-loadgen: " << why
            << "\nusage: budgetd-loadgen [--host H] [--port P] [--connections N] [--batch N] [--duration 10s]\n"
               "                       [--slos N] [--rate BATCHES_PER_S] [--query-rate QUERIES_PER_S]\n"
               "                       [--scrapers N] [--probe-rate PROBES_PER_S] [--no-ts]\n"
               "       budgetd-loadgen --write-config FILE [--slos N] [--port P] [--fsync always|interval|never] "
               "[--data DIR]\n"
               "       budgetd-loadgen --write-body FILE [--batch N] [--slos N] [--no-ts]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-ts") {  // the one flag without a value
      o.ts = false;
      continue;
    }
    if (i + 1 >= argc) usage(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = v;
    else if (a == "--connections")
      o.connections = std::stoi(v);
    else if (a == "--batch")
      o.batch = std::stoi(v);
    else if (a == "--duration")
      o.duration_s = parse_seconds(v);
    else if (a == "--slos")
      o.slos = std::stoi(v);
    else if (a == "--rate")
      o.rate = std::stod(v);
    else if (a == "--query-rate")
      o.query_rate = std::stod(v);
    else if (a == "--scrapers")
      o.scrapers = std::stoi(v);
    else if (a == "--probe-rate")
      o.probe_rate = std::stod(v);
    else if (a == "--write-config")
      o.write_config = v;
    else if (a == "--write-body")
      o.write_body = v;
    else if (a == "--fsync")
      o.fsync = v;
    else if (a == "--data")
      o.data = v;
    else
      usage("unknown flag " + a);
  }
  if (o.connections < 0 || o.scrapers < 0 || o.batch < 1 || o.slos < 1 || o.duration_s <= 0)
    usage("values must be positive");
  if (o.connections == 0 && o.scrapers == 0 && o.probe_rate <= 0 && o.query_rate <= 0 && !o.write_config &&
      !o.write_body)
    usage("nothing to do");
  return o;
}

}  // namespace loadgen
