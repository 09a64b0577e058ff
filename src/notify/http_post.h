#pragma once
// One blocking HTTP POST with a deadline, for the notifier's thread. Private to notify.

#include <string>

#include "budgetd/config/config.h"
#include "budgetd/core/status.h"

namespace budgetd::notify {

// POSTs `body` to target.host:port at `path`; OK only for a 2xx answer.
Status http_post(const config::HttpTarget& target, const std::string& path, const std::string& body);

}  // namespace budgetd::notify
