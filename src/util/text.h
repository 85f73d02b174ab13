// Private helpers for reading text files (CSV tables, traces), shared by the modules.
//
// Example:
//   std::string field = util::trim("  42 \r");                 // "42"
//   std::cerr << "found '" << util::printable(line) << "'\n";  // raw bytes shown as \xNN, long lines cut
//   while (util::read_line(in, line, 1 << 16) == util::LineRead::line) { ... }
#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace powertrain::util {

// Returns `s` without leading and trailing spaces, tabs and carriage returns.
inline std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  size_t b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Returns the length of the valid UTF-8 sequence (2 to 4 bytes, no overlong form, no
// surrogate) that starts at s[i], or 0 when there is none.
inline size_t utf8_sequence_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t n = 0;
  unsigned lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) { n = 3; if (b0 == 0xe0) lo = 0xa0; if (b0 == 0xed) hi = 0x9f; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 4; if (b0 == 0xf0) lo = 0x90; if (b0 == 0xf4) hi = 0x8f; }
  else return 0;
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

// Returns `text` safe to print in a message on a terminal: control characters, DEL and
// bytes that are not valid UTF-8 written as \xNN (tab as \t), and, when it is longer than
// `max_bytes`, cut there with "..." and the total size appended.
inline std::string printable(const std::string& text, size_t max_bytes = 120) {
  static const char* const hex = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (size_t n = c >= 0x80 ? utf8_sequence_length(text, i) : 0; n > 0) {
      out.append(text, i, n);
      i += n - 1;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

// What read_line found.
enum class LineRead { line, end, too_long };

// Reads the next line of `in` into `line` (without its '\n'), reading at most `max_bytes`
// of it: a longer line is LineRead::too_long (and `line` its first max_bytes bytes), so
// a file without newlines (/dev/zero, a binary file) cannot fill the memory. Returns
// LineRead::end when nothing is left.
inline LineRead read_line(std::istream& in, std::string& line, size_t max_bytes) {
  line.clear();
  std::streambuf* buf = in.rdbuf();
  bool any = false;
  for (;;) {
    const int c = buf ? buf->sbumpc() : std::char_traits<char>::eof();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return any ? LineRead::line : LineRead::end;
    }
    any = true;
    if (c == '\n') return LineRead::line;
    if (line.size() >= max_bytes) return LineRead::too_long;
    line += static_cast<char>(c);
  }
}

}  // namespace powertrain::util
