// RedisClient: hiredis' synchronous API, one context per server, with a timeout on connect and
// on every command; Sentinel discovery and Redis Cluster slot routing on top of it.

#include "budgetd/cluster/redis_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "hash_slot.h"

namespace budgetd::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// MOVED/ASK hops one command may take before the client gives up (a Cluster mid-resharding
// settles within two; more means the slot map keeps changing under us).
constexpr int kMaxRedirects = 5;

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

timeval to_timeval(Millis m) {
  const int64_t ms = m.count();
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// "host:port" -> its parts; the config checked the form.
std::pair<std::string, int> split_addr(std::string_view addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return {std::string(addr), 6379};
  return {std::string(addr.substr(0, colon)), std::atoi(std::string(addr.substr(colon + 1)).c_str())};
}

// A redirect ("MOVED 3999 127.0.0.1:6381" or "ASK ..."): the target, or "" when not one.
std::string redirect_target(const RedisReply& r, bool& ask) {
  if (!r.is_error()) return "";
  const bool moved = r.str.rfind("MOVED ", 0) == 0;
  ask = r.str.rfind("ASK ", 0) == 0;
  if (!moved && !ask) return "";
  const size_t sp = r.str.rfind(' ');
  return r.str.substr(sp + 1);
}

Result<RedisReply> exec(redisContext* c, const std::vector<std::string_view>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (r == nullptr) return Unavailable(fmt::format("redis: {}", c->errstr[0] ? c->errstr : "connection lost"));
  RedisReply out = convert(r);
  freeReplyObject(r);
  return out;
}

}  // namespace

struct RedisClient::Impl {
  explicit Impl(const config::RedisConfig& c) : config(c), timeout(to_timeval(c.timeout)) {}

  Status ensure_connected();
  Result<Context> connect(const std::string& addr);
  Result<std::string> ask_sentinels();
  Status load_slots(redisContext* c);
  Result<redisContext*> node(const std::string& addr);
  void failed();
  // The command `argv` for `key`'s slot (Cluster) or for the one server.
  Result<RedisReply> run(std::string_view key, const std::vector<std::string_view>& argv);
  Result<std::vector<RedisReply>> run_pipeline(redisContext* c, const std::vector<std::vector<std::string>>& cmds);
  std::string addr_for(std::string_view key) const {
    if (!clustered) return single_addr;
    return slots.empty() ? "" : slots[hash_slot(key)];
  }

  const config::RedisConfig config;
  const timeval timeout;
  bool connected = false;
  bool clustered = false;
  std::string single_addr;                  // direct or the Sentinels' master
  std::map<std::string, Context> contexts;  // by "host:port"
  std::vector<std::string> slots;           // Cluster: the master of each slot
  Clock::time_point retry_at{};
  std::chrono::milliseconds backoff = kFirstBackoff;
};

Result<Context> RedisClient::Impl::connect(const std::string& addr) {
  const auto [host, port] = split_addr(addr);
  Context c(redisConnectWithTimeout(host.c_str(), port, timeout));
  if (c == nullptr) return Unavailable(fmt::format("redis {}: cannot allocate a connection", addr));
  if (c->err != 0) return Unavailable(fmt::format("redis {}: {}", addr, c->errstr));
  if (redisSetTimeout(c.get(), timeout) != REDIS_OK) return Unavailable(fmt::format("redis {}: {}", addr, c->errstr));
  return c;
}

Result<std::string> RedisClient::Impl::ask_sentinels() {
  // Every Sentinel is asked, and the one with the newest config epoch wins: for a moment after
  // a failover a Sentinel that has not heard of it yet still names the old master, which may be
  // back (restarted, not yet demoted) with a history the new master does not share.
  std::string why = "no Sentinel answered";
  std::string best;
  int64_t best_epoch = -1;
  for (const std::string& s : config.sentinels) {
    auto sentinel = connect(s);
    if (!sentinel.ok()) {
      why = sentinel.status().message();
      continue;
    }
    auto r = exec(sentinel->get(), {"SENTINEL", "master", config.master});
    if (!r.ok()) {
      why = r.status().message();
      continue;
    }
    if (r->type != RedisReply::Type::kArray) {
      why = fmt::format("Sentinel {} does not know master '{}'", s, config.master);
      continue;
    }
    std::string ip, port;
    int64_t epoch = 0;
    for (size_t f = 0; f + 1 < r->elements.size(); f += 2) {
      const std::string& k = r->elements[f].str;
      if (k == "ip") ip = r->elements[f + 1].str;
      if (k == "port") port = r->elements[f + 1].str;
      if (k == "config-epoch") epoch = std::atoll(r->elements[f + 1].str.c_str());
    }
    if (!ip.empty() && epoch > best_epoch) {
      best_epoch = epoch;
      best = ip + ":" + port;
    }
  }
  if (best.empty()) return Unavailable(fmt::format("redis: Sentinels: {}", why));
  // A Sentinel may name a master that is not one (yet): only a server whose ROLE says master
  // takes budgetd's writes.
  auto master = connect(best);
  if (!master.ok()) return Unavailable(fmt::format("redis: Sentinels name {}: {}", best, master.status().message()));
  auto role = exec(master->get(), {"ROLE"});
  if (!role.ok() || role->type != RedisReply::Type::kArray || role->elements.empty() ||
      role->elements[0].str != "master")
    return Unavailable(
        fmt::format("redis: the Sentinels name {} as master '{}', but it is not a master (yet)", best, config.master));
  contexts[best] = std::move(*master);
  return best;
}

Status RedisClient::Impl::load_slots(redisContext* c) {
  auto r = exec(c, {"CLUSTER", "SLOTS"});
  if (!r.ok()) return r.status();
  if (r->type != RedisReply::Type::kArray) return Unavailable("redis: CLUSTER SLOTS: not an array");
  std::vector<std::string> table(kHashSlots);
  for (const RedisReply& range : r->elements) {
    if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
    const auto& master = range.elements[2];
    const std::string addr = master.elements[0].str + ":" + std::to_string(master.elements[1].integer);
    for (int64_t s = range.elements[0].integer; s <= range.elements[1].integer && s < kHashSlots; ++s)
      table[static_cast<size_t>(s)] = addr;
  }
  slots = std::move(table);
  return Status::Ok();
}

Status RedisClient::Impl::ensure_connected() {
  if (connected) return Status::Ok();
  if (const auto now = Clock::now(); now < retry_at) std::this_thread::sleep_for(retry_at - now);
  contexts.clear();
  if (!config.sentinels.empty()) {
    auto master = ask_sentinels();
    if (!master.ok()) return failed(), master.status();
    single_addr = *master;
    clustered = false;
  } else {
    single_addr = config.url.substr(config.url.find("://") + 3);
    auto c = connect(single_addr);
    if (!c.ok()) return failed(), c.status();
    // One URL names a single server or any node of a Cluster; CLUSTER SLOTS tells which.
    auto info = exec(c->get(), {"CLUSTER", "SLOTS"});
    if (!info.ok()) return failed(), info.status();
    clustered = !info->is_error();
    if (clustered) {
      if (Status s = load_slots(c->get()); !s.ok()) return failed(), s;
    }
    contexts[single_addr] = std::move(*c);
  }
  connected = true;
  backoff = kFirstBackoff;
  return Status::Ok();
}

void RedisClient::Impl::failed() {
  connected = false;
  contexts.clear();
  retry_at = Clock::now() + backoff;
  backoff = std::min(backoff * 2, kMaxBackoff);
}

Result<redisContext*> RedisClient::Impl::node(const std::string& addr) {
  if (addr.empty()) return Unavailable("redis: no Cluster node serves this slot");
  auto it = contexts.find(addr);
  if (it == contexts.end()) {
    auto c = connect(addr);
    if (!c.ok()) return c.status();
    it = contexts.emplace(addr, std::move(*c)).first;
  }
  return it->second.get();
}

Result<RedisReply> RedisClient::Impl::run(std::string_view key, const std::vector<std::string_view>& argv) {
  BUDGETD_RETURN_IF_ERROR(ensure_connected());
  std::string addr = addr_for(key);
  bool asking = false;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    auto c = node(addr);
    if (!c.ok()) return failed(), c.status();
    if (asking) {
      auto a = exec(*c, {"ASKING"});
      if (!a.ok()) return failed(), a.status();
    }
    auto r = exec(*c, argv);
    if (!r.ok()) return failed(), r.status();
    // After a failover the old master may still hold our connection as a replica: reconnect
    // (re-asking the Sentinels) instead of answering every write with READONLY.
    if (r->is_error() && r->str.rfind("READONLY", 0) == 0) {
      failed();
      return Unavailable(fmt::format("redis {} is a replica now: {}", addr, r->str));
    }
    bool ask = false;
    std::string target = redirect_target(*r, ask);
    if (target.empty() || !clustered) return r;
    if (!ask) {
      // MOVED: the slot map changed; learn the whole new map from the node that knows.
      slots[hash_slot(key)] = target;
      if (auto t = node(target); t.ok()) (void)load_slots(*t);
    }
    addr = target;
    asking = ask;
  }
  return Unavailable(fmt::format("redis: more than {} Cluster redirects for one command", kMaxRedirects));
}

Result<std::vector<RedisReply>> RedisClient::Impl::run_pipeline(redisContext* c,
                                                                const std::vector<std::vector<std::string>>& cmds) {
  for (const auto& cmd : cmds) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : cmd) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(cmd.size()), ptrs.data(), lens.data()) != REDIS_OK)
      return Unavailable(fmt::format("redis: {}", c->errstr));
  }
  std::vector<RedisReply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK || r == nullptr)
      return Unavailable(fmt::format("redis: {}", c->errstr[0] ? c->errstr : "connection lost"));
    out.push_back(convert(static_cast<redisReply*>(r)));
    freeReplyObject(r);
  }
  return out;
}

RedisClient::RedisClient(const config::RedisConfig& config) : impl_(std::make_unique<Impl>(config)) {}
RedisClient::~RedisClient() = default;

Result<RedisReply> RedisClient::command(std::initializer_list<std::string_view> argv) {
  std::vector<std::string_view> v(argv);
  return impl_->run(v.size() > 1 ? v[1] : std::string_view(), v);
}

Result<RedisReply> RedisClient::command(const std::vector<std::string>& argv) {
  std::vector<std::string_view> v(argv.begin(), argv.end());
  return impl_->run(v.size() > 1 ? v[1] : std::string_view(), v);
}

Result<std::vector<RedisReply>> RedisClient::pipeline(std::string_view key,
                                                      const std::vector<std::vector<std::string>>& cmds) {
  Impl& m = *impl_;
  BUDGETD_RETURN_IF_ERROR(m.ensure_connected());
  // A pipeline is for one key's slot: when its first reply redirects, none of its keyed commands
  // ran there (they share the slot), so the whole pipeline goes again to the slot's new owner.
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    const std::string addr = m.addr_for(key);
    auto c = m.node(addr);
    if (!c.ok()) return m.failed(), c.status();
    auto replies = m.run_pipeline(*c, cmds);
    if (!replies.ok()) return m.failed(), replies.status();
    for (const RedisReply& r : *replies) {
      if (r.is_error() && r.str.rfind("READONLY", 0) == 0) {
        m.failed();
        return Unavailable(fmt::format("redis {} is a replica now: {}", addr, r.str));
      }
    }
    bool ask = false;
    const std::string target = replies->empty() ? "" : redirect_target(replies->front(), ask);
    if (target.empty() || !m.clustered) return replies;
    // budgetd never migrates slots itself: a redirect means the map changed; relearn it.
    if (auto t = m.node(target); t.ok()) (void)m.load_slots(*t);
    if (m.addr_for(key) == addr) m.slots[hash_slot(key)] = target;
  }
  return Unavailable(fmt::format("redis: more than {} Cluster redirects for one pipeline", kMaxRedirects));
}

std::string RedisClient::server_for(std::string_view key) const { return impl_->connected ? impl_->addr_for(key) : ""; }

std::string RedisClient::role(std::string_view key) {
  auto r = impl_->run(key, {"ROLE"});
  if (!r.ok() || r->type != RedisReply::Type::kArray || r->elements.empty()) return "";
  return r->elements[0].str;
}

}  // namespace budgetd::cluster
