// Prometheus text exposition: checked line by line by a strict parser.
#include "powertrain/interop/prometheus.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace powertrain::test {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

bool valid_name(const std::string& n) { return std::regex_match(n, std::regex("[a-zA-Z_:][a-zA-Z0-9_:]*")); }

// Parses text format 0.0.4 strictly; every violation fails the test.
std::vector<Sample> parse_exposition(const std::string& text) {
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

PrometheusSnapshot snapshot() {
  PrometheusSnapshot s;
  s.run_id = 7;
  s.run_name = "resnet";
  s.run_kind = "train";
  s.epoch = 3;
  s.components = {{"gpu:0", "gpu", 251.5, 1.25e6, "measured_counter"},
                  {"cpu_package:0", "cpu_package", 65.0, 4000.0, "measured_counter"},
                  {"dram:0", "dram", NAN, NAN, "missing"}};
  return s;
}

TEST(Prometheus, SnapshotParsesStrictly) {
  std::string text = prometheus_text(snapshot());
  auto samples = parse_exposition(text);
  std::map<std::string, double> power, energy;
  double epoch = NAN, run_id = NAN;
  for (const auto& s : samples) {
    if (s.name == "powertrain_power_watts") power[s.labels.at("component")] = s.value;
    if (s.name == "powertrain_energy_joules_total") energy[s.labels.at("component")] = s.value;
    if (s.name == "powertrain_run_epoch") {
      epoch = s.value;
      EXPECT_EQ(s.labels.at("run_id"), "7");
    }
    if (s.name == "powertrain_run_id") run_id = s.value;
    if (s.name == "powertrain_run_info") {
      EXPECT_EQ(s.labels.at("name"), "resnet");
      EXPECT_EQ(s.labels.at("kind"), "train");
      EXPECT_EQ(s.value, 1.0);
    }
  }
  EXPECT_EQ(power, (std::map<std::string, double>{{"gpu:0", 251.5}, {"cpu_package:0", 65.0}}));  // dram unknown: absent
  EXPECT_EQ(energy, (std::map<std::string, double>{{"gpu:0", 1.25e6}, {"cpu_package:0", 4000.0}}));
  EXPECT_EQ(epoch, 3.0);
  EXPECT_EQ(run_id, 7.0);
  EXPECT_NE(text.find("# TYPE powertrain_energy_joules_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE powertrain_power_watts gauge\n"), std::string::npos) << text;
}

TEST(Prometheus, HostileLabelValuesAreEscaped) {
  PrometheusSnapshot s = snapshot();
  std::string hostile = "a\"b\\c\nd},x=\"y";
  s.run_name = hostile;
  s.components[0].component = hostile;
  std::string text = prometheus_text(s);
  auto samples = parse_exposition(text);
  int seen = 0;
  for (const auto& x : samples) {
    if (x.name == "powertrain_run_info") { EXPECT_EQ(x.labels.at("name"), hostile); ++seen; }
    if (x.name == "powertrain_power_watts" && x.labels.at("component") == hostile) ++seen;
  }
  EXPECT_EQ(seen, 2) << text;
  EXPECT_EQ(prometheus_escape_label("q\"b\\n\n"), "q\\\"b\\\\n\\n");
}

TEST(Prometheus, NoRunNoRunMetricsAndValuesRoundTrip) {
  PrometheusSnapshot s;
  s.components = {{"gpu:0", "gpu", 0.1 + 0.2, 1e-300, "integrated_power"}};
  std::string text = prometheus_text(s);
  auto samples = parse_exposition(text);
  ASSERT_EQ(samples.size(), 2u) << text;
  EXPECT_EQ(samples[0].value, 0.1 + 0.2);  // shortest round-trip text
  EXPECT_EQ(samples[1].value, 1e-300);
  EXPECT_EQ(text.find("powertrain_run"), std::string::npos);
  EXPECT_EQ(prometheus_value(INFINITY), "+Inf");
  EXPECT_EQ(prometheus_value(NAN), "NaN");
  EXPECT_EQ(prometheus_text(PrometheusSnapshot{}), "");
}

TEST(Prometheus, SnapshotFromMeasurement) {
  Measurement m;
  m.duration_s = 2;
  ComponentMeasurement c;
  c.component = "cpu_estimate";
  c.kind = ComponentKind::cpu_estimate;
  c.energy_j = 30;
  c.avg_power_w = 15;
  c.provenance = Provenance::estimated;
  m.components = {c};
  auto s = prometheus_snapshot_from(m, 3, "x");
  ASSERT_EQ(s.components.size(), 1u);
  EXPECT_EQ(s.components[0].kind, "cpu_estimate");
  EXPECT_EQ(s.components[0].provenance, "estimated");
  auto samples = parse_exposition(prometheus_text(s));
  bool estimated_labelled = false;
  for (const auto& x : samples) estimated_labelled |= x.labels.count("provenance") && x.labels.at("provenance") == "estimated";
  EXPECT_TRUE(estimated_labelled);
}

}  // namespace
}  // namespace powertrain::test
