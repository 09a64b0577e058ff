// libFuzzer: start-up's replay of the write-ahead log (durable::replay_wal) over a log directory
// the input describes, in memory (mem_env.h). The input is a program: start a segment, append a
// record (with the next seq or another, a batch payload or raw bytes), append garbage, tear or
// flip bytes. Records get real CRCs, so the fuzzer reaches the reader's decisions instead of
// stopping at every CRC. Checked besides crashes, as wal_reader.h promises:
// - records are delivered in order, each seq one more than the last, the first right after the
//   snapshot's cut, and never a record that does not decode; at or below the cut, only SLO
//   dictionaries (a record after the cut may refer to one before it);
// - the replay leaves a log that a second replay reads cleanly (no torn tail, no corruption)
//   with the same records;
// - nothing is deleted: bytes cut off as a torn tail are the only bytes that go, and whatever is
//   moved aside stays in the quarantine directory.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal_format.h"
#include "budgetd/durable/wal_reader.h"
#include "check.h"
#include "mem_env.h"

namespace {

using namespace budgetd;
using fuzz::check;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A batch payload that decodes: one SLO, a few deltas (docs/storage.md).
std::string batch_payload(FuzzedDataProvider& in) {
  std::string out;
  put_varint(out, 1);
  put_varint(out, 1);
  out += 'a';
  out.append(8, '\x11');  // identity hash
  const int n = in.ConsumeIntegralInRange<int>(0, 3);
  put_varint(out, static_cast<uint64_t>(n));
  for (int i = 0; i < n; ++i) {
    const uint64_t total = in.ConsumeIntegralInRange<uint64_t>(0, 300);
    put_varint(out, 0);
    put_varint(out, 179551440 + in.ConsumeIntegralInRange<uint64_t>(0, 100));
    put_varint(out, total / 2);
    put_varint(out, total);
  }
  out.push_back('\0');  // no Idempotency-Key
  return out;
}

// An SLO dictionary that decodes: a few SLOs by name and identity hash (docs/storage.md).
std::string dictionary_payload(FuzzedDataProvider& in) {
  std::string out;
  const int n = in.ConsumeIntegralInRange<int>(0, 3);
  put_varint(out, static_cast<uint64_t>(n));
  for (int i = 0; i < n; ++i) {
    put_varint(out, 1);
    out += static_cast<char>('a' + i);
    out.append(8, '\x22');  // identity hash
  }
  return out;
}

const std::string kDir = "data/wal";

struct Replayed {
  std::vector<uint64_t> seqs;       // delivered with seq > after_seq
  std::vector<uint64_t> below_cut;  // delivered with seq <= after_seq: dictionaries only
  bool below_cut_not_dictionary = false;
  durable::ReplayReport report;
};

Replayed replay(fuzz::MemEnv& env, uint64_t after_seq) {
  Replayed out;
  auto rep =
      durable::replay_wal(env, kDir, after_seq, from_unix_ms(1795514400000), [&](const durable::FramedRecord& r) {
        const bool dictionary = r.type == durable::RecordType::kDictionary;
        if (dictionary ? !durable::decode_dictionary(r.payload).ok() : !durable::decode_batch(r.payload).ok())
          return DataLoss("the record does not decode");
        if (r.seq > after_seq) {
          out.seqs.push_back(r.seq);
        } else {
          out.below_cut.push_back(r.seq);
          out.below_cut_not_dictionary |= !dictionary;
        }
        return Status::Ok();
      });
  check(rep.ok(), "replay over a working Env succeeds");
  out.report = *rep;
  return out;
}

size_t total_bytes(const fuzz::MemEnv& env) {
  size_t n = 0;
  for (const auto& [path, data] : env.files()) n += data.size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint64_t after_seq = in.ConsumeIntegralInRange<uint64_t>(0, 6);
  uint64_t next_seq = in.ConsumeIntegralInRange<uint64_t>(0, 4);
  std::map<uint64_t, std::string> segments;  // first seq -> bytes
  std::string* current = nullptr;
  for (int op = 0; op < 48 && in.remaining_bytes() > 0; ++op) {
    const int kind = in.ConsumeIntegralInRange<int>(0, 6);
    if (kind == 0 || current == nullptr) {  // a new segment, usually at the next seq
      const uint64_t first = next_seq + in.ConsumeIntegralInRange<uint64_t>(0, 1);
      current = &segments[first];
      *current =
          std::string(durable::kSegmentMagic.substr(0, in.ConsumeBool() ? 8 : in.ConsumeIntegralInRange<size_t>(0, 8)));
      continue;
    }
    switch (kind) {
      case 1:
      case 2: {  // a record: the next seq, or one near it; a batch, or now and then an SLO dictionary
        const uint64_t seq = kind == 1 ? next_seq : next_seq + in.ConsumeIntegralInRange<uint64_t>(0, 3) - 1;
        const bool dictionary = in.ConsumeIntegralInRange<int>(0, 3) == 0;
        const std::string payload = !in.ConsumeBool() ? in.ConsumeRandomLengthString(64)
                                    : dictionary      ? dictionary_payload(in)
                                                      : batch_payload(in);
        *current += durable::frame_record(dictionary ? durable::RecordType::kDictionary : durable::RecordType::kBatch,
                                          seq, payload);
        next_seq = seq + 1;
        break;
      }
      case 3:  // raw bytes
        *current += in.ConsumeRandomLengthString(64);
        break;
      case 4:  // torn: the end never reached the disk
        current->resize(current->size() - std::min(current->size(), in.ConsumeIntegralInRange<size_t>(1, 40)));
        break;
      case 5:  // a flipped bit
        if (!current->empty()) {
          const size_t at = in.ConsumeIntegralInRange<size_t>(0, current->size() - 1);
          (*current)[at] = static_cast<char>((*current)[at] ^ (1 << in.ConsumeIntegralInRange<int>(0, 7)));
        }
        break;
      default:  // the writer skips seqs (a lost record)
        next_seq += in.ConsumeIntegralInRange<uint64_t>(1, 2);
        break;
    }
  }
  fuzz::MemEnv env;
  env.create_dirs(kDir).ok();
  for (const auto& [first, bytes] : segments) env.put(kDir + "/" + durable::segment_name(first), bytes);
  const size_t bytes_before = total_bytes(env);

  const Replayed first = replay(env, after_seq);
  for (size_t i = 0; i < first.seqs.size(); ++i) {
    check(first.seqs[i] == (i == 0 ? after_seq + 1 : first.seqs[i - 1] + 1),
          "records are delivered in order, from the one after the cut, none skipped");
  }
  check(first.report.records == first.seqs.size(), "the report counts the records delivered after the cut");
  check(!first.below_cut_not_dictionary, "at or below the cut, only dictionaries are delivered");
  check(first.seqs.empty() || first.report.last_seq >= first.seqs.back(), "last_seq covers what was delivered");
  if (first.report.torn.empty()) {
    check(total_bytes(env) >= bytes_before, "only a torn tail is ever cut off");
  }
  if (!first.report.corruption.empty()) check(!first.report.quarantine.empty(), "damage is moved aside");

  const Replayed second = replay(env, after_seq);
  if (!second.report.corruption.empty() || !second.report.torn.empty() || second.seqs != first.seqs) {
    std::printf(
        "after seq %llu\nfirst:  %zu records, torn '%s', corruption '%s'\nsecond: %zu records, torn '%s', "
        "corruption '%s'\n",
        static_cast<unsigned long long>(after_seq), first.seqs.size(), first.report.torn.c_str(),
        first.report.corruption.c_str(), second.seqs.size(), second.report.torn.c_str(),
        second.report.corruption.c_str());
  }
  check(second.report.corruption.empty(), "a replayed log has no damage left");
  check(second.report.torn.empty(), "a replayed log has no torn tail left");
  check(second.seqs == first.seqs && second.below_cut == first.below_cut, "a second replay delivers the same records");
  return 0;
}
