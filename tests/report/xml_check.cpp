// The XML checker used by the report tests (see xml_check.h).
#include "xml_check.h"

#include <cctype>
#include <set>
#include <vector>

namespace powertrain {
namespace report {
namespace testing {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) {
  return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Checker {
 public:
  explicit Checker(std::string_view s) : s_(s) {}

  std::string run(bool allow_doctype) {
    skip_space();
    if (allow_doctype && s_.substr(i_, 9) == "<!DOCTYPE") {
      size_t end = s_.find('>', i_);
      if (end == std::string_view::npos) return fail("unterminated doctype");
      i_ = end + 1;
    }
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '<') {
        std::string e = markup();
        if (!e.empty()) return e;
      } else if (c == '&') {
        std::string e = entity();
        if (!e.empty()) return e;
      } else {
        if (stack_.empty() && !space(c)) return fail("text outside the root element");
        if (static_cast<unsigned char>(c) < 0x20 && !space(c)) return fail("control character");
        ++i_;
      }
    }
    if (!stack_.empty()) return fail("unclosed <" + stack_.back() + ">");
    if (!root_seen_) return fail("no root element");
    return "";
  }

 private:
  std::string fail(const std::string& what) const { return what + " at byte " + std::to_string(i_); }

  void skip_space() {
    while (i_ < s_.size() && space(s_[i_])) ++i_;
  }

  bool skip_past(std::string_view end) {
    size_t p = s_.find(end, i_);
    if (p == std::string_view::npos) return false;
    i_ = p + end.size();
    return true;
  }

  std::string name(std::string* out) {
    if (i_ >= s_.size() || !name_start(s_[i_])) return fail("bad name");
    size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    *out = std::string(s_.substr(start, i_ - start));
    return "";
  }

  // At '&': a predefined entity or a character reference, ended by ';'.
  std::string entity() {
    size_t end = s_.find(';', i_);
    if (end == std::string_view::npos || end - i_ > 12) return fail("bare '&'");
    std::string_view ref = s_.substr(i_ + 1, end - i_ - 1);
    bool ok = ref == "amp" || ref == "lt" || ref == "gt" || ref == "quot" || ref == "apos";
    if (!ok && ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      ok = !digits.empty();
      for (char d : digits) ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(d)) : std::isdigit(static_cast<unsigned char>(d)));
    }
    if (!ok) return fail("unknown entity &" + std::string(ref) + ";");
    i_ = end + 1;
    return "";
  }

  std::string markup() {
    std::string_view rest = s_.substr(i_);
    if (rest.substr(0, 4) == "<!--") return skip_past("-->") ? "" : fail("unterminated comment");
    if (rest.substr(0, 9) == "<![CDATA[") return skip_past("]]>") ? "" : fail("unterminated CDATA");
    if (rest.substr(0, 2) == "<?") return skip_past("?>") ? "" : fail("unterminated processing instruction");
    if (rest.substr(0, 2) == "<!") return fail("declaration inside the document");
    if (rest.substr(0, 2) == "</") {
      i_ += 2;
      std::string n;
      std::string e = name(&n);
      if (!e.empty()) return e;
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '>') return fail("bad end tag");
      ++i_;
      if (stack_.empty() || stack_.back() != n) return fail("</" + n + "> does not close the open element");
      stack_.pop_back();
      return "";
    }
    ++i_;
    std::string n;
    std::string e = name(&n);
    if (!e.empty()) return e;
    if (stack_.empty()) {
      if (root_seen_) return fail("second root element <" + n + ">");
      root_seen_ = true;
    }
    std::set<std::string> attrs;
    while (true) {
      bool had_space = i_ < s_.size() && space(s_[i_]);
      skip_space();
      if (i_ >= s_.size()) return fail("unterminated tag <" + n + ">");
      if (s_[i_] == '>') {
        ++i_;
        stack_.push_back(n);
        return "";
      }
      if (s_[i_] == '/') {
        if (i_ + 1 >= s_.size() || s_[i_ + 1] != '>') return fail("bad '/' in tag");
        i_ += 2;
        return "";
      }
      if (!had_space) return fail("attributes must be separated by space");
      std::string a;
      e = name(&a);
      if (!e.empty()) return e;
      if (!attrs.insert(a).second) return fail("duplicate attribute " + a);
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '=') return fail("attribute " + a + " without value");
      ++i_;
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return fail("unquoted attribute " + a);
      char quote = s_[i_++];
      while (i_ < s_.size() && s_[i_] != quote) {
        if (s_[i_] == '<') return fail("'<' in attribute " + a);
        if (s_[i_] == '&') {
          e = entity();
          if (!e.empty()) return e;
        } else {
          ++i_;
        }
      }
      if (i_ >= s_.size()) return fail("unterminated attribute " + a);
      ++i_;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<std::string> stack_;
  bool root_seen_ = false;
};

}  // namespace

std::string xml_error(std::string_view text, bool allow_doctype) { return Checker(text).run(allow_doctype); }

bool has_nan_or_inf(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto letter = [&](size_t i) { return i < lower.size() && std::isalpha(static_cast<unsigned char>(lower[i])); };
  for (std::string_view word : {"nan", "inf", "infinity"}) {
    for (size_t p = lower.find(word); p != std::string::npos; p = lower.find(word, p + 1)) {
      // A word of its own: "provenance" or "info" are fine, "-nan", "NaN" or "inf%" are not.
      if ((p == 0 || !letter(p - 1)) && !letter(p + word.size())) return true;
    }
  }
  return false;
}

}  // namespace testing
}  // namespace report
}  // namespace powertrain
