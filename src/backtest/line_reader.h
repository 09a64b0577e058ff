#pragma once
// Reads a stream line by line into one reused buffer, leaving simdjson's padding readable after
// every line, so lines are parsed where they lie: memory stays at one chunk plus the longest
// line allowed, however large the file. Private to the backtest module.
//
//   LineReader reader(in, max_line_bytes, ingest::required_padding());
//   while (auto line = reader.next()) decode(line->data, line->size, line->capacity, ...);

#include <cstdint>
#include <istream>
#include <optional>
#include <vector>

namespace budgetd::backtest {

class LineReader {
 public:
  struct Line {
    const char* data;
    size_t size;      // without the newline
    size_t capacity;  // readable bytes from data on (size + padding at least)
    uint64_t number;  // 1-based
    bool too_long;    // longer than max_line_bytes: data is empty, the line was skipped
  };

  LineReader(std::istream& in, size_t max_line_bytes, size_t padding);

  std::optional<Line> next();
  uint64_t bytes_read() const { return bytes_read_; }
  // The stream failed (not at its end): the lines read so far are all there is.
  bool failed() const { return failed_; }

 private:
  bool fill();  // reads more after end_; false at the end of the stream

  std::istream& in_;
  size_t max_line_;
  size_t padding_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  size_t end_ = 0;
  uint64_t line_ = 0;
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
  bool failed_ = false;
};

}  // namespace budgetd::backtest
