// A strict parser of Prometheus' text exposition format 0.0.4 for tests: every
// violation (names, label escapes, values, HELP/TYPE order, counter names) fails the test.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace powertrain::test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

inline bool valid_name(const std::string& n) { return std::regex_match(n, std::regex("[a-zA-Z_:][a-zA-Z0-9_:]*")); }

// Parses text format 0.0.4 strictly; every violation fails the test.
inline std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the text must end with a line feed";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_FALSE(line.empty()) << "empty line";
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ls(line);
      std::string hash, kw, name;
      ls >> hash >> kw >> name;
      EXPECT_TRUE(kw == "HELP" || kw == "TYPE") << line;
      EXPECT_TRUE(valid_name(name)) << line;
      if (kw == "TYPE") {
        std::string type, extra;
        ls >> type >> extra;
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram" || type == "summary" || type == "untyped") << line;
        EXPECT_TRUE(extra.empty()) << line;
        EXPECT_FALSE(types.count(name)) << "second TYPE for " << name;
        types[name] = type;
      } else {
        EXPECT_FALSE(helped.count(name)) << "second HELP for " << name;
        helped.insert(name);
        std::string help = line.substr(std::string("# HELP ").size() + name.size());
        for (size_t i = 0; i < help.size(); ++i) {
          if (help[i] == '\\') {
            EXPECT_TRUE(i + 1 < help.size() && (help[i + 1] == '\\' || help[i + 1] == 'n')) << "bad escape in " << line;
            ++i;
          }
        }
      }
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    EXPECT_TRUE(valid_name(s.name)) << line;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string key;
        while (i < line.size() && line[i] != '=') key += line[i++];
        EXPECT_TRUE(std::regex_match(key, std::regex("[a-zA-Z_][a-zA-Z0-9_]*"))) << "label name '" << key << "' in " << line;
        EXPECT_TRUE(i + 1 < line.size() && line[i + 1] == '"') << line;
        i += 2;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') { closed = true; break; }
          if (c == '\\') {
            EXPECT_LT(i, line.size()) << line;
            char e = line[i++];
            EXPECT_TRUE(e == '\\' || e == '"' || e == 'n') << "bad escape \\" << e << " in " << line;
            value += e == 'n' ? '\n' : e;
          } else {
            value += c;
          }
        }
        EXPECT_TRUE(closed) << "unterminated label value in " << line;
        EXPECT_FALSE(s.labels.count(key)) << "label " << key << " twice";
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      EXPECT_LT(i, line.size()) << "unterminated labels in " << line;
      ++i;  // '}'
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << line;
    std::string value = line.substr(i + 1);
    EXPECT_EQ(value.find(' '), std::string::npos) << "no timestamp expected: " << line;
    if (value == "NaN") s.value = NAN;
    else if (value == "+Inf") s.value = INFINITY;
    else if (value == "-Inf") s.value = -INFINITY;
    else {
      char* end = nullptr;
      s.value = std::strtod(value.c_str(), &end);
      EXPECT_TRUE(end && *end == '\0' && !value.empty()) << "value '" << value << "' in " << line;
    }
    EXPECT_TRUE(types.count(s.name)) << "no TYPE line before " << line;
    if (types[s.name] == "counter") {
      EXPECT_TRUE(s.name.size() > 6 && s.name.substr(s.name.size() - 6) == "_total") << line;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace powertrain::test
