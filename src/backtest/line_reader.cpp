#include "line_reader.h"

#include <algorithm>
#include <cstring>

namespace budgetd::backtest {
namespace {
constexpr size_t kChunk = 1 << 20;
}

LineReader::LineReader(std::istream& in, size_t max_line_bytes, size_t padding)
    : in_(in), max_line_(max_line_bytes), padding_(padding), buf_(std::max(kChunk, max_line_bytes + 1) + padding) {}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // keep the partial line, at the front
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t room = buf_.size() - padding_ - end_;
  if (room == 0) return false;
  in_.read(buf_.data() + end_, static_cast<std::streamsize>(room));
  const auto got = static_cast<size_t>(in_.gcount());
  end_ += got;
  bytes_read_ += got;
  if (!in_) {
    eof_ = true;
    failed_ = !in_.eof();
  }
  // The padding after the data must be initialised bytes; zeros are what simdjson expects.
  std::memset(buf_.data() + end_, 0, std::min(padding_, buf_.size() - end_));
  return got > 0 || !eof_;
}

std::optional<LineReader::Line> LineReader::next() {
  for (bool skipping = false;;) {
    const char* start = buf_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      const size_t size = static_cast<size_t>(static_cast<const char*>(nl) - start);
      begin_ += size + 1;
      ++line_;
      if (skipping || size > max_line_) return Line{start, 0, 0, line_, true};
      return Line{start, size, buf_.size() - static_cast<size_t>(start - buf_.data()), line_, false};
    }
    if (end_ - begin_ > max_line_) {
      // No newline within the limit: drop what we have and skip to the next newline.
      skipping = true;
      begin_ = end_ = 0;
    }
    if (!fill()) {
      if (begin_ == end_ && !skipping) return std::nullopt;
      // The last line has no newline.
      const size_t size = end_ - begin_;
      const char* last = buf_.data() + begin_;
      begin_ = end_;
      ++line_;
      if (skipping || size > max_line_) return Line{last, 0, 0, line_, true};
      std::memset(buf_.data() + end_, 0, std::min(padding_, buf_.size() - end_));
      return Line{last, size, buf_.size() - static_cast<size_t>(last - buf_.data()), line_, false};
    }
  }
}

}  // namespace budgetd::backtest
