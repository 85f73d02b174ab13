// Prometheus text exposition: checked line by line by a strict parser.
#include "powertrain/interop/prometheus.h"

#include <gtest/gtest.h>

#include "support/prometheus_parser.h"

namespace powertrain::test {
namespace {

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
