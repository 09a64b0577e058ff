#pragma once
// RFC 8259 JSON, checked byte for byte, as the reference the batch decoder is held to: whatever
// the decoder accepts must be JSON by this grammar. Written for clarity, not speed, and shares
// nothing with simdjson or the decoder's own checks.
//
//   JsonVerdict v = check_json_text(R"({"a": [1, 2.5e3, "x"]})");   // kValid
//
// Strings must be valid UTF-8 (RFC 8259 §8.1); \u escapes are checked for their form only.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace budgetd::fuzz {

enum class JsonVerdict { kValid, kInvalid, kTooDeep };

namespace detail {

class JsonGrammar {
 public:
  explicit JsonGrammar(std::string_view s) : s_(s) {}

  JsonVerdict text() {
    ws();
    if (!value(0)) return too_deep_ ? JsonVerdict::kTooDeep : JsonVerdict::kInvalid;
    ws();
    return i_ == s_.size() ? JsonVerdict::kValid : JsonVerdict::kInvalid;
  }

 private:
  static constexpr int kMaxDepth = 2000;

  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (!at(c)) return false;
    ++i_;
    return true;
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  size_t digits() {
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ - start;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++i_;  // '{'
    ws();
    if (eat('}')) return true;
    for (;;) {
      ws();
      if (!string()) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }

  bool array(int depth) {
    ++i_;  // '['
    ws();
    if (eat(']')) return true;
    for (;;) {
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }

  bool number() {
    eat('-');
    if (!eat('0') && digits() == 0) return false;
    if (eat('.') && digits() == 0) return false;
    if (at('e') || at('E')) {
      ++i_;
      if (!eat('+')) eat('-');
      if (digits() == 0) return false;
    }
    return true;
  }

  static bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

  // One UTF-8 character at i_ (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
  bool utf8_char() {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
    const unsigned char c = b(0);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i_;
      return true;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i_ + n >= s_.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((b(k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b(k) & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i_ += n + 1;
    return true;
  }

  bool string() {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k, ++i_) {
            if (i_ >= s_.size() || !hex(s_[i_])) return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
        continue;
      }
      if (!utf8_char()) return false;
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
  bool too_deep_ = false;
};

}  // namespace detail

inline JsonVerdict check_json_text(std::string_view text) { return detail::JsonGrammar(text).text(); }

}  // namespace budgetd::fuzz
