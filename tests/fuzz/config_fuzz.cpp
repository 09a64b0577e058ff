// libFuzzer: the YAML config and OpenSLO loader (config::load_config_string), which reads every
// file `budgetd check`, `serve` and POST /-/reload are given. Checked besides crashes: a config
// is returned exactly when no diagnostic is an error, and every diagnostic has a message.
//
// `include:` names files to read, and a fuzzer must not read this machine's files (/dev/zero, a
// FIFO, /**): the harness is linked with -Wl,--wrap=glob, so every include pattern matches no
// file and the loader reports that, as it would for a pattern that matches nothing. Reading
// included files is tested in tests/unit/config_test.cpp.

#include <glob.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "budgetd/config/loader.h"
#include "check.h"

extern "C" int __wrap_glob(const char*, int, int (*)(const char*, int), glob_t* found) {
  found->gl_pathc = 0;
  found->gl_pathv = nullptr;
  return GLOB_NOMATCH;
}

namespace {

using namespace budgetd;
using fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const config::LoadResult r = config::load_config_string(text, "/nonexistent/budgetd-fuzz/budgetd.yaml");
  bool any_error = false;
  for (const config::Diagnostic& d : r.diagnostics) {
    check(!d.message.empty(), "every diagnostic has a message");
    any_error = any_error || d.severity == config::Diagnostic::Severity::kError;
  }
  check(r.ok() != any_error, "a config is returned exactly when there is no error");
  if (r.ok()) {
    std::vector<std::string> notes;
    (void)config::export_openslo(*r.config, notes);
  }
  return 0;
}
