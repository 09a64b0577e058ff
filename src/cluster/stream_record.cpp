#include "stream_record.h"

#include <charconv>

#include <fmt/format.h>

namespace budgetd::cluster {
namespace {

bool parse_u64(const std::string& s, uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "ms-seq" -> its two numbers.
std::pair<uint64_t, uint64_t> split_id(const std::string& id) {
  uint64_t ms = 0, n = 0;
  const size_t dash = id.find('-');
  if (dash == std::string::npos) {
    parse_u64(id, ms);
    return {ms, 0};
  }
  parse_u64(id.substr(0, dash), ms);
  parse_u64(id.substr(dash + 1), n);
  return {ms, n};
}

}  // namespace

std::vector<std::string> xadd_command(const std::string& key, const StreamRecord& r) {
  return {"XADD",
          key,
          "*",
          "o",
          r.origin,
          "e",
          std::to_string(r.epoch),
          "s",
          std::to_string(r.seq),
          "t",
          std::to_string(static_cast<int>(r.type)),
          "p",
          r.payload};
}

Result<StreamRecord> decode_entry(const RedisReply& entry) {
  if (entry.type != RedisReply::Type::kArray || entry.elements.size() != 2 ||
      entry.elements[1].type != RedisReply::Type::kArray)
    return DataLoss("stream entry: not [id, fields]");
  StreamRecord r;
  r.id = entry.elements[0].str;
  const auto& f = entry.elements[1].elements;
  bool has_o = false, has_e = false, has_s = false, has_t = false, has_p = false;
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& k = f[i].str;
    const std::string& v = f[i + 1].str;
    if (k == "o") {
      r.origin = v;
      has_o = true;
    } else if (k == "e") {
      has_e = parse_u64(v, r.epoch);
    } else if (k == "s") {
      has_s = parse_u64(v, r.seq);
    } else if (k == "t") {
      uint64_t t = 0;
      has_t = parse_u64(v, t) && (t == 1 || t == 2);
      r.type = static_cast<durable::RecordType>(t);
    } else if (k == "p") {
      r.payload = v;
      has_p = true;
    }
  }
  if (!(has_o && has_e && has_s && has_t && has_p))
    return DataLoss(fmt::format("stream entry {}: not a budgetd record (fields o, e, s, t, p)", r.id));
  return r;
}

int64_t stream_id_ms(const std::string& id) { return static_cast<int64_t>(split_id(id).first); }

bool stream_id_after(const std::string& a, const std::string& b) { return split_id(a) > split_id(b); }

}  // namespace budgetd::cluster
