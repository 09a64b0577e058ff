#include "budgetd/inputs/body_encoding.h"

#include <snappy.h>
#include <zlib.h>

#include <fmt/format.h>

namespace budgetd::inputs {

Result<std::string> gunzip(std::string_view compressed, uint64_t max_bytes) {
  const auto too_large = [&] {
    return OutOfRange(fmt::format("the body is over server.max_body_bytes ({} bytes) once decompressed", max_bytes));
  };
  z_stream z{};
  // 15 + 32: a window of 2^15 and automatic gzip/zlib header detection.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return Internal("zlib could not start");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  // Room for one byte past the bound: a body of exactly max_bytes is taken, one byte more is not.
  const uint64_t room = max_bytes + 1;
  bool ended = false;
  for (;;) {
    const size_t have = out.size();
    if (have >= room) {
      inflateEnd(&z);
      return too_large();
    }
    const size_t chunk = std::min<uint64_t>(std::max<size_t>(have, 64 * 1024), room - have);
    out.resize(have + chunk);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(chunk);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(have + chunk - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) {
        ended = true;
        break;
      }
      // Another gzip member follows (RFC 1952 allows several, as `gzip -c a b` writes): read it
      // too, under the same bound, rather than drop the rest of the batch.
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated input
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  const std::string why = z.msg ? z.msg : "truncated data";
  inflateEnd(&z);
  if (!ended) return InvalidArgument("the gzip body does not decompress: " + why);
  if (out.size() > max_bytes) return too_large();
  return out;
}

Result<std::string> snappy_uncompress(std::string_view compressed, uint64_t max_bytes) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &length))
    return InvalidArgument("the body is not snappy-compressed (block format)");
  if (length > max_bytes)
    return OutOfRange(
        fmt::format("the body is {} bytes once decompressed, over server.max_body_bytes ({})", length, max_bytes));
  std::string out;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &out))
    return InvalidArgument("the snappy body is corrupt");
  return out;
}

}  // namespace budgetd::inputs
