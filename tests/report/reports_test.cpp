// The reports of stored runs, research studies and search studies (src/report/run_report.cpp,
// study_report.cpp with studies/*.cpp, search_report.cpp) and `powertrain report`: well-formed
// HTML without NaN/inf, the expected charts, numbers that match their source, provenance
// shown, CSV columns, and the CLI's error paths. Research-study results are written here as
// JSON in the stored format and decoded by their codecs, as `powertrain report` does.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "powertrain/report/chart.h"
#include "powertrain/report/reports.h"
#include "powertrain/report/search_text.h"
#include "powertrain/store/store.h"
#include "report/xml_check.h"
#include "support/test_support.h"

namespace powertrain::report {
namespace {

using nlohmann::json;
using powertrain::test::read_file;
using powertrain::test::run_program;
using powertrain::test::TempDir;
using testing::has_nan_or_inf;
using testing::xml_error;

const std::string kBin = POWERTRAIN_BIN;
const std::string kTraces = std::string(POWERTRAIN_SOURCE_DIR) + "/../shared/data/zeus-nsdi23";

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

// The report of a research-study result given as stored JSON.
Report study_report_of(const json& result) { return study_report(study_result_from_json(result)); }

// Checks what every HTML report must satisfy.
void expect_clean_html(const std::string& html) {
  EXPECT_EQ(xml_error(html, true), "");
  EXPECT_FALSE(has_nan_or_inf(html));
}

// Splits CSV text (no quoted newlines in these tables) into rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { field += '"'; ++i; }
        else if (c == '"') quoted = false;
        else field += c;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// A training run of 3 epochs with a GPU (measured) and the CPU estimate, and samples.
int64_t add_training_run(Store& store) {
  RunRecord run;
  run.kind = "train";
  run.name = "mlp <fashion> & co";  // escaped in the report
  run.command = "powertrain train cfg.json";
  run.details.config_json = R"({"model":{"type":"mlp","hidden":[64]},"training":{"epochs":3}})";
  run.started_at_unix_s = 1714557600.0;  // 2024-05-01 10:00:00 UTC
  HostInfo host;
  host.hostname = "testhost";
  host.cpu_model = "AMD EPYC Test";
  host.cpu_cores = 2;
  std::vector<SensorInfo> sensors = {{"gpu:0", "nvml", "NVIDIA Test GPU (counter)", true, ""},
                                     {"cpu_estimate", "estimate", "CPU utilisation x TDP", true, ""}};
  int64_t id = store.begin_run(run, host, sensors);
  std::vector<Measurement> windows;
  Measurement top;
  top.id = 0;
  top.name = "run";
  top.start_s = 0;
  top.start_unix_s = run.started_at_unix_s;
  top.duration_s = 30;
  ComponentMeasurement gpu;
  gpu.component = "gpu:0";
  gpu.kind = ComponentKind::gpu;
  gpu.source = "nvml";
  gpu.energy_j = 6000;
  gpu.provenance = Provenance::measured_counter;
  ComponentMeasurement cpu;
  cpu.component = "cpu_estimate";
  cpu.kind = ComponentKind::cpu_estimate;
  cpu.source = "estimate";
  cpu.energy_j = 900;
  cpu.provenance = Provenance::estimated;
  cpu.note = "utilisation x 65 W TDP";
  top.components = {gpu, cpu};
  windows.push_back(top);
  for (int e = 1; e <= 3; ++e) {
    Measurement w = top;
    w.id = e;
    w.parent_id = 0;
    w.name = "epoch " + std::to_string(e);
    w.start_s = 10.0 * (e - 1);
    w.duration_s = 10;
    w.components[0].energy_j = 2000;
    w.components[1].energy_j = 300;
    windows.push_back(w);
  }
  std::vector<PowerSample> samples;
  for (int i = 0; i <= 30; ++i) {
    samples.push_back({static_cast<double>(i), "gpu:0", 180.0 + 20.0 * (i % 3)});
    samples.push_back({static_cast<double>(i), "cpu_estimate", 30.0});
  }
  for (int e = 1; e <= 3; ++e) {
    EpochRecord ep;
    ep.epoch = e;
    ep.train_loss = 1.0 / e;
    ep.val_loss = 1.1 / e;
    ep.val_metric = 0.7 + 0.05 * e;
    ep.lr = 0.01;
    ep.duration_s = 10;
    ep.energy_j = 2300.0 + e;
    ep.energy_provenance = Provenance::estimated;
    ep.avg_power_w = 230;
    ep.samples_per_s = 5000;
    store.record_epoch(id, ep);
  }
  run.status = RunStatus::completed;
  run.exit_code = 0;
  run.duration_s = 30;
  run.energy_j = 6900;
  run.energy_provenance = Provenance::estimated;
  run.grid = "DE";
  run.carbon_intensity_g_per_kwh = 380;
  run.co2e_g = 6900 / 3.6e6 * 380;
  store.finish_run(id, run, windows, samples);
  return id;
}

// A regime result as docs/studies.md describes it: 2 batch sizes x 2 learning rates.
json regime_result() {
  json r;
  r["schema"] = "powertrain.study.regime/1";
  r["kind"] = "regime";
  r["name"] = "regime-test";
  r["scale"] = {{"name", "tiny"}};
  r["inputs"] = {{"seeds", 1}, {"threads", 2}};
  r["device"] = "cpu";
  r["energy_provenance"] = "estimated";
  r["study_energy_j"] = 1000.0;
  r["tables"] = {{"rows", "batch_size"},
                 {"columns", "learning_rate"},
                 {"batch_sizes", {64, 256}},
                 {"learning_rates", {0.1, 0.01}},
                 {"energy_per_epoch_j", {{100.0, 110.0}, {60.0, 65.0}}},
                 {"epochs", {{3.0, 2.0}, {2.0, nullptr}}},
                 {"energy_j", {{300.0, 220.0}, {120.0, nullptr}}},
                 {"percent_of_worst", {{100.0, 73.3333}, {40.0, nullptr}}},
                 {"best_val_accuracy", {{0.8, 0.81}, {0.79, nullptr}}}};
  // The setups: the grid's cells (mean over seeds); (256, 0.01) has no known energy.
  r["setups"] = json::array(
      {{{"batch_size", 64}, {"learning_rate", 0.1}, {"energy_per_epoch_j", 100.0}, {"epochs", 3.0}, {"energy_j", 300.0},
        {"best_val_accuracy", 0.8}, {"percent_of_worst", 100.0}, {"runs", 1}, {"energy_provenance", "estimated"}},
       {{"batch_size", 64}, {"learning_rate", 0.01}, {"energy_per_epoch_j", 110.0}, {"epochs", 2.0}, {"energy_j", 220.0},
        {"best_val_accuracy", 0.81}, {"percent_of_worst", 73.3333}, {"runs", 1}, {"energy_provenance", "estimated"}},
       {{"batch_size", 256}, {"learning_rate", 0.1}, {"energy_per_epoch_j", 60.0}, {"epochs", 2.0}, {"energy_j", 120.0},
        {"best_val_accuracy", 0.79}, {"percent_of_worst", 40.0}, {"runs", 1}, {"energy_provenance", "estimated"}},
       {{"batch_size", 256}, {"learning_rate", 0.01}, {"energy_per_epoch_j", 65.0}, {"epochs", nullptr}, {"energy_j", nullptr},
        {"best_val_accuracy", nullptr}, {"percent_of_worst", nullptr}, {"runs", 1}, {"energy_provenance", "missing"}}});
  r["best"] = {{"batch_size", 256}, {"learning_rate", 0.1}, {"energy_j", 120.0}, {"percent_of_worst", 40.0}, {"best_val_accuracy", 0.79}};
  r["worst"] = {{"batch_size", 64}, {"learning_rate", 0.1}, {"energy_j", 300.0}, {"percent_of_worst", 100.0}, {"best_val_accuracy", 0.8}};
  r["runs"] = json::array({{{"batch_size", 64}, {"learning_rate", 0.1}, {"seed", 1}, {"seq", 0}, {"status", "completed"}, {"epochs", 3},
                            {"best_val_accuracy", 0.8}, {"energy_j", 300.0}, {"energy_provenance", "estimated"}, {"run_id", 1},
                            {"epoch_rows", json::array()}}});
  r["findings"] = {"On this machine the batch size drives the energy per epoch.", "The cheapest accurate setup used 40% <of> the worst."};
  return r;
}

TEST(RunReport, ShowsFactsChartsAndEpochs) {
  TempDir dir;
  Store store = Store::open(dir.file("pt.db"));
  int64_t id = add_training_run(store);
  Report r = run_report(store, id);
  std::string html = r.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 4u);  // power, energy per epoch, metric, loss
  EXPECT_NE(html.find("mlp &lt;fashion&gt; &amp; co"), std::string::npos);
  EXPECT_NE(html.find("powertrain train cfg.json"), std::string::npos);
  EXPECT_NE(html.find("testhost"), std::string::npos);
  EXPECT_NE(html.find("2024-05-01 10:00:00 UTC"), std::string::npos);
  EXPECT_NE(html.find("6.90 kJ (est.)"), std::string::npos);   // total, estimated
  EXPECT_NE(html.find("6.00 kJ"), std::string::npos);          // the GPU, measured
  EXPECT_NE(html.find("900 J (est.)"), std::string::npos);     // the CPU estimate
  EXPECT_NE(html.find("CO2e"), std::string::npos);
  EXPECT_NE(html.find("gpu:0"), std::string::npos);
  EXPECT_NE(html.find("end of epoch 2"), std::string::npos);
  ASSERT_FALSE(r.tables.empty());
  EXPECT_EQ(r.tables[0].title, "Epochs");
  auto rows = parse_csv(csv(r.tables[0]));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0], "epoch");
  EXPECT_EQ(rows[0].size(), 10u);
  EXPECT_EQ(rows[3][0], "3");
  EXPECT_EQ(rows[3][6], "2.30 kJ (est.)");
  EXPECT_EQ(r.data["schema"], "powertrain.run/1");
  EXPECT_FALSE(has_nan_or_inf(r.document.markdown()));
  EXPECT_NE(r.text().find("epoch"), std::string::npos);
}

TEST(RunReport, UnknownRunThrows) {
  TempDir dir;
  Store store = Store::open(dir.file("pt.db"));
  EXPECT_THROW(run_report(store, 42), ReportError);
}

TEST(RunReport, RunWithoutSamplesOrEpochsStillRenders) {
  TempDir dir;
  Store store = Store::open(dir.file("pt.db"));
  RunRecord run;
  run.command = "sleep 1";
  int64_t id = store.begin_run(run, HostInfo{}, {});
  Report r = run_report(store, id);  // still "running": no windows, no energy
  std::string html = r.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 1u);
  EXPECT_NE(html.find("n/a"), std::string::npos);
  EXPECT_EQ(r.tables[0].title, "Energy per component");
}

TEST(StudyReport, RegimeHeatmapsAndSortedPercentBars) {
  json result = regime_result();
  Report r = study_report_of(result);
  std::string html = r.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 4u);  // three heatmaps, one bar chart
  // The bars carry the result's percentages, cheapest first; the missing one is n/a.
  size_t chart = html.find("Total energy as a percentage of the most expensive setup");
  ASSERT_NE(chart, std::string::npos);
  size_t p40 = html.find(format_percent(40.0), chart), p73 = html.find(format_percent(73.3333), chart),
         p100 = html.find(format_percent(100.0), chart);
  ASSERT_NE(p40, std::string::npos);
  ASSERT_NE(p73, std::string::npos);
  ASSERT_NE(p100, std::string::npos);
  EXPECT_LT(p40, p73);
  EXPECT_LT(p73, p100);
  EXPECT_NE(html.find("(est.)"), std::string::npos);
  EXPECT_NE(html.find("estimated"), std::string::npos);
  EXPECT_NE(html.find("40% &lt;of&gt; the worst"), std::string::npos);  // findings, escaped
  EXPECT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.tables[0].title, "Setups (mean over seeds)");
  auto rows = parse_csv(csv(r.tables[0]));
  EXPECT_EQ(rows[0][0], "batch size");
  EXPECT_EQ(rows[0][5], "% of worst");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[4][4], "n/a");  // unknown energy: n/a, never 0
  // The text form: the study's facts first (with the cheapest setup), then the tables.
  std::string text = r.text();
  EXPECT_NE(text.find("name:"), std::string::npos) << text;
  EXPECT_NE(text.find("regime-test"), std::string::npos) << text;
  EXPECT_NE(text.find("cheapest accurate setup"), std::string::npos) << text;
  EXPECT_LT(text.find("cheapest accurate setup"), text.find("Setups (mean over seeds)")) << text;
  EXPECT_EQ(r.data["kind"], "regime");
}

TEST(StudyReport, PrecisionBarsAndLossFlag) {
  json r = {{"schema", "powertrain.study.precision/1"}, {"kind", "precision"}, {"name", "p"}, {"energy_provenance", "integrated_power"},
            {"target_val_accuracy", 0.8}, {"target_source", "fp32 minus tolerance"}, {"findings", {"bf16 lost accuracy."}},
            {"skipped", {{{"precision", "fp16"}, {"reason", "no fp16 autocast on CPU"}}}}};
  r["summary"] = {{{"precision", "fp32"}, {"runs", 2}, {"energy_per_epoch_j", 50.0}, {"energy_per_epoch_j_std", 2.0},
                   {"energy_to_target_j", 150.0}, {"best_val_accuracy", 0.82}, {"best_val_accuracy_std", 0.01},
                   {"accuracy_loss_flag", false}, {"energy_provenance", "integrated_power"}, {"target_reached_runs", 2}},
                  {{"precision", "bf16"}, {"runs", 2}, {"energy_per_epoch_j", 40.0}, {"energy_to_target_j", nullptr},
                   {"best_val_accuracy", 0.78}, {"accuracy_change_vs_fp32", -0.04}, {"accuracy_loss_flag", true},
                   {"energy_provenance", "estimated"}, {"target_reached_runs", 0}}};
  Report rep = study_report_of(r);
  std::string html = rep.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 2u);
  EXPECT_NE(html.find("LOSS"), std::string::npos);
  EXPECT_NE(html.find("0.8200 ± 0.0100"), std::string::npos);
  EXPECT_NE(html.find("no fp16 autocast on CPU"), std::string::npos);
  EXPECT_NE(html.find("-4.00 points"), std::string::npos);
  EXPECT_NE(html.find("(0/2 runs)"), std::string::npos);
  auto rows = parse_csv(csv(rep.tables[0]));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2][4], "LOSS");
}

TEST(StudyReport, SuperconvergenceRangeTestOnLogAxis) {
  json r = {{"kind", "superconvergence"}, {"name", "s"}, {"max_lr", 0.01}, {"target_val_accuracy", 0.7},
            {"energy_provenance", "estimated"}};
  r["lr_find"] = {{"lr", {1e-5, 1e-4, 1e-3, 1e-2, 1e-1}}, {"smoothed_loss", {2.3, 2.2, 1.5, 0.9, nullptr}}, {"energy_j", 12.0},
                  {"energy_provenance", "estimated"}};
  r["summary"] = {{{"variant", "one_cycle"}, {"energy_to_target_j", 100.0}, {"energy_to_target_with_lr_find_j", 112.0},
                   {"energy_provenance", "estimated"}},
                  {{"variant", "constant"}, {"energy_to_target_j", 180.0}, {"energy_provenance", "estimated"}}};
  Report rep = study_report_of(r);
  std::string html = rep.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 2u);
  EXPECT_NE(html.find("max_lr 0.01"), std::string::npos);
  EXPECT_NE(html.find("one_cycle + range test"), std::string::npos);
  EXPECT_NE(html.find("180 J"), std::string::npos);
}

TEST(StudyReport, PretrainBreakEvenChartAndEnergies) {
  json r = {{"kind", "pretrain"}, {"name", "pt"}, {"energy_provenance", "estimated"}};
  r["energies_j"] = {{"E_enc", 500.0}, {"E_class_frozen", 50.0}, {"E_class_finetune", 100.0}, {"E_enc_class", 300.0}};
  r["break_even"] = {{"frozen", {{"reuses", 2.0}, {"text", "after 2 trainings"}}},
                     {"finetune", {{"reuses", 2.5}, {"text", "after 2.5 trainings"}}}};
  json c = {{"reuses", json::array()}, {"pretrain_frozen_j", json::array()}, {"pretrain_finetune_j", json::array()}, {"scratch_j", json::array()}};
  for (int n = 0; n <= 10; ++n) {
    c["reuses"].push_back(n);
    c["pretrain_frozen_j"].push_back(500.0 + 50.0 * n);
    c["pretrain_finetune_j"].push_back(500.0 + 100.0 * n);
    c["scratch_j"].push_back(300.0 * n);
  }
  r["cumulative"] = c;
  Report rep = study_report_of(r);
  std::string html = rep.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 1u);
  EXPECT_NE(html.find("frozen break-even 2"), std::string::npos);
  EXPECT_NE(html.find("finetune break-even 2.5"), std::string::npos);
  EXPECT_EQ(rep.tables[0].title, "Energies of Eq. 2 (mean over seeds)");
  EXPECT_EQ(rep.tables[0].rows[0][2], "500 J (est.)");
  EXPECT_EQ(rep.tables[0].rows[3][2], "300 J (est.)");
}

TEST(StudyReport, MultitaskAndLayersAndUnknownKinds) {
  json m = {{"kind", "multitask"}, {"name", "m"}, {"energy_provenance", "integrated_power"}};
  m["summary"] = {{{"variant", "main"}, {"energy_per_epoch_j", 10.0}, {"epochs", 4.0}, {"energy_j", 40.0}},
                  {{"variant", "aux"}, {"energy_per_epoch_j", 9.0}, {"epochs", 3.0}, {"energy_j", 27.0}},
                  {{"variant", "both"}, {"energy_per_epoch_j", 11.0}, {"epochs", 4.0}, {"energy_j", 44.0}}};
  m["comparison"] = {{"separate_total_energy_j", 67.0}, {"multitask_energy_j", 44.0}, {"saving_fraction_vs_separate", 0.343},
                     {"cheaper_than_separate", true}};
  Report mr = study_report_of(m);
  expect_clean_html(mr.document.html());
  EXPECT_EQ(count(mr.document.html(), "<svg"), 2u);
  EXPECT_NE(mr.document.html().find("34.3%"), std::string::npos);

  json l = {{"schema", "powertrain.study.layers/1"}, {"kind", "layers"}, {"name", "l"}, {"energy_provenance", "estimated"}};
  l["layer_costs"] = {{{"layer", "conv"}, {"forward_backward", {{"energy_per_pass_j", 0.02}, {"energy_provenance", "estimated"}}},
                       {"energy_share", 0.7}},
                      {{"layer", "linear"}, {"forward_backward", {{"energy_per_pass_j", 0.005}, {"energy_provenance", "estimated"}}},
                       {"energy_share", 0.3}}};
  l["widths"] = {{{"width", 8}, {"energy_j", 100.0}, {"best_val_accuracy", 0.8}},
                 {{"width", 16}, {"energy_j", 180.0}, {"best_val_accuracy", 0.84}}};
  Report lr = study_report_of(l);
  std::string lh = lr.document.html();
  expect_clean_html(lh);
  EXPECT_EQ(count(lh, "<svg"), 2u);
  EXPECT_NE(lh.find("20.0 mJ"), std::string::npos);
  EXPECT_NE(lh.find("width 16"), std::string::npos);

  json u = {{"kind", "quantum"}, {"name", "q"}, {"findings", {"Something new."}}, {"energy_provenance", "missing"},
            {"summary", {{{"variant", "a"}, {"energy_j", nullptr}}}},
            {"runs", {{{"variant", "a"}, {"seq", 0}, {"energy_j", nullptr}, {"energy_provenance", "missing"}, {"run_id", 3}}}}};
  Report ur = study_report_of(u);
  std::string uh = ur.document.html();
  expect_clean_html(uh);
  EXPECT_NE(uh.find("Something new."), std::string::npos);
  // A kind this version does not know: its facts and findings, and where the rest is.
  EXPECT_TRUE(ur.tables.empty());
  EXPECT_NE(uh.find("no report section for studies of kind &#39;quantum&#39;"), std::string::npos) << uh;
  // An empty object renders too.
  expect_clean_html(study_report_of(json::object()).document.html());
}

TEST(SearchReport, ParetoFrontIsNonDominated) {
  std::vector<double> e = {10, 20, 5, 30, 20, NAN, 40};
  std::vector<double> m = {0.5, 0.7, 0.4, 0.65, 0.6, 0.9, 0.7};
  std::vector<size_t> f = pareto_front(e, m);
  EXPECT_EQ(f, (std::vector<size_t>{2, 0, 1}));
}

TEST(SearchReport, TrialsScatterCumulativeAndBest) {
  StudyRecord s;
  s.name = "s";
  s.kind = "tune";
  s.status = StudyStatus::finished;
  s.spec_json = R"({"backend":"zeus-trace","simulate":"zeus:/x","strategy":"sh"})";
  std::vector<StoredTrial> trials;
  double search = 0;
  const double energy[] = {100, 200, 150};
  const double metric[] = {0.5, 0.7, 0.4};
  for (int i = 0; i < 3; ++i) {
    search += energy[i];
    trials.push_back(trial_from_json(json{{"trial", i}, {"config", {{"batch_size", 32 << i}, {"lr", 0.01}}}, {"budget", 1},
                                          {"from_epoch", 0}, {"to_epoch", 1}, {"loss", 1.0}, {"config_epochs", 1}, {"metric", metric[i]}, {"config_energy_j", energy[i]},
                                          {"reached_target", i != 2}, {"stopped_early", false}, {"trial_energy_j", energy[i]}, {"search_energy_j", search}, {"search_duration_s", 1.0},
                                          {"config_eta_j", 1000.0 - 100 * i}}));
  }
  Report r = search_report(s, trials);
  std::string html = r.document.html();
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 2u);
  EXPECT_NE(html.find("(sim.)"), std::string::npos);
  EXPECT_NE(html.find("batch_size=64"), std::string::npos);  // the best: lowest energy to target among those reaching it
  EXPECT_NE(html.find("2 of 3 trials"), std::string::npos);
  auto rows = parse_csv(csv(r.tables[0]));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].back(), "Pareto");
  EXPECT_EQ(rows[1].back(), "front");
  EXPECT_EQ(rows[3].back(), "");
  EXPECT_EQ(rows[3][8], "450 J (sim.)");
}

// A real-training search whose epochs had no energy counter: its energy is estimated, and
// the report says so in every cell and in the totals (it used to call it measured).
TEST(SearchReport, EstimatedSearchEnergyIsLabelledEstimated) {
  StudyRecord s;
  s.name = "est";
  s.kind = "tune";
  s.status = StudyStatus::finished;
  s.spec_json = R"({"backend":"train","config_path":"study.json","study_text":"{}"})";
  std::vector<StoredTrial> trials;
  for (int i = 0; i < 2; ++i) {
    StoredTrial t;
    t.record.trial.id = i;
    t.record.trial.config = {{"optimizer.lr", 0.1 / (i + 1)}};
    t.record.trial.budget = 1;
    t.record.to_epoch = 1;
    t.record.result.metric = 0.5 + 0.1 * i;
    t.record.result.energy_j = 40;
    t.record.trial_energy_j = 40;
    t.record.search_energy_j = 40.0 * (i + 1);
    t.energy_provenance = Provenance::estimated;
    trials.push_back(t);
  }
  Report r = search_report(s, trials);
  std::string html = r.document.html();
  EXPECT_NE(html.find("80.0 J (est.) (estimated)"), std::string::npos) << html.substr(0, 3000);
  auto rows = parse_csv(csv(r.tables[0]));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2][8], "80.0 J (est.)");
  EXPECT_EQ(r.data["trials"][0]["energy_provenance"], "estimated");
}

// A probe's LR sweep is shown where the probe is: on its progress line and in its row.
TEST(SearchReport, AProbesLearningRateSweepIsShown) {
  StudyRecord s;
  s.name = "sweep";
  s.kind = "tune";
  s.status = StudyStatus::finished;
  s.spec_json = R"({"backend":"train","config_path":"study.json","study_text":"{}"})";
  StoredTrial t;
  t.record.trial.config = {{"optimizer.lr", 0.001}, {"training.batch_size", 64.0}};
  t.record.trial.probe = true;
  t.record.result.loss = INFINITY;
  t.record.result.metric = NAN;
  t.record.result.energy_per_sample_j = 3.5e-4;
  t.record.result.lr_instability = {{0.001, 0.0}, {0.1, 0.3456}, {10.0, 1.0}};
  t.record.trial_energy_j = 0.6;
  t.record.search_energy_j = 0.6;
  t.energy_provenance = Provenance::estimated;
  const std::string line = report::trial_line(t);
  EXPECT_NE(line.find("0.35 mJ/sample"), std::string::npos) << line;
  EXPECT_NE(line.find("LR 0.001 ok, 0.1 0.35, 10 diverged"), std::string::npos) << line;
  Report r = search_report(s, {t});
  auto rows = parse_csv(csv(r.tables[0]));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][4], "0.350 mJ/sample; LR 0.001 ok, 0.1 0.35, 10 diverged");
  EXPECT_NE(r.document.html().find("swept the learning rates"), std::string::npos);
  EXPECT_EQ(r.data["trials"][0]["lr_instability"].dump(), "[[0.001,0.0],[0.1,0.3456],[10.0,1.0]]");
}

TEST(WriteStudyReport, WritesWholeFileOrNothing) {
  TempDir dir;
  std::string path = dir.file("regime.html");
  AnyStudyResult result = study_result_from_json(regime_result());
  EXPECT_EQ(write_study_report(result, path), path);
  std::string html = read_file(path);
  expect_clean_html(html);
  EXPECT_THROW(write_study_report(result, dir.file("no/such/dir/r.html")), ReportError);
  EXPECT_FALSE(exists(dir.file("no/such/dir")));
}

// ---- the command ----------------------------------------------------------------------

TEST(ReportCli, RunToHtmlCsvJsonAndDefault) {
  TempDir dir;
  std::string db = dir.file("pt.db");
  int64_t id;
  {
    Store store = Store::open(db);
    id = add_training_run(store);
  }
  std::string sid = std::to_string(id);
  auto r = run_program({kBin, "report", sid, "--db", db, "--out", dir.file("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = read_file(dir.file("r.html"));
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 4u);

  r = run_program({kBin, "report", sid, "--db", db, "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0], "epoch");
  EXPECT_EQ(rows[0][6], "energy");

  r = run_program({kBin, "report", sid, "--db", db, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["schema"], "powertrain.run/1");

  r = run_program({kBin, "report", sid, "--db", db, "--format", "md"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| epoch |"), std::string::npos);

  // Default: the tables on stdout and report-ID.html in the current directory.
  r = run_program({"/bin/sh", "-c", "cd '" + dir.path() + "' && '" + kBin + "' report " + sid + " --db pt.db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Epochs"), std::string::npos);
  EXPECT_TRUE(exists(dir.file("report-" + sid + ".html")));
}

TEST(ReportCli, ErrorsNameTheFix) {
  TempDir dir;
  std::string db = dir.file("pt.db");
  int64_t id;
  {
    Store store = Store::open(db);
    id = add_training_run(store);
    store.create_study("half-done", "{}", "regime");
  }
  auto r = run_program({kBin, "report", "999", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("newest runs: " + std::to_string(id)), std::string::npos) << r.err;

  r = run_program({kBin, "report", "nope", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no study named 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("half-done (regime)"), std::string::npos) << r.err;

  r = run_program({kBin, "report", "half-done", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no result yet"), std::string::npos) << r.err;

  r = run_program({kBin, "report", "1", "--db", dir.file("missing.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir.file("missing.db")));

  r = run_program({kBin, "report", std::to_string(id), "--db", db, "--out", dir.file("no/dir/r.html")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(exists(dir.file("no")));

  r = run_program({kBin, "report", std::to_string(id), "--db", db, "--format", "pdf"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(ReportCli, StoredResearchStudy) {
  TempDir dir;
  std::string db = dir.file("pt.db");
  {
    Store store = Store::open(db);
    int64_t sid = store.create_study("regime-test", "{}", "regime");
    store.set_study_result(sid, regime_result().dump());
  }
  auto r = run_program({kBin, "report", "regime-test", "--db", db, "--format", "html", "--out", dir.file("s.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = read_file(dir.file("s.html"));
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 4u);
  r = run_program({kBin, "report", "regime-test", "--db", db, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["kind"], "regime");
}

TEST(ReportCli, SimulatedSearchStudy) {
  if (!exists(kTraces + "/summary_train.csv")) GTEST_SKIP() << "no Zeus traces at " << kTraces;
  TempDir dir;
  std::string db = dir.file("pt.db");
  auto r = run_program({kBin, "tune", "--simulate", "zeus:" + kTraces, "--gpu", "v100", "--workload", "cifar100", "--strategy", "sh",
                        "--db", db, "--study", "s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_program({kBin, "report", "s", "--db", db, "--out", dir.file("s.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = read_file(dir.file("s.html"));
  expect_clean_html(html);
  EXPECT_EQ(count(html, "<svg"), 2u);
  EXPECT_NE(html.find("(sim.)"), std::string::npos);
  EXPECT_NE(html.find("Pareto front"), std::string::npos);

  r = run_program({kBin, "report", "s", "--db", db, "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = parse_csv(r.out);
  Store store = Store::open(db);
  size_t trials = store.trials(store.study("s")->id).size();
  ASSERT_EQ(rows.size(), trials + 1);
  EXPECT_EQ(rows[0][0], "trial");
  EXPECT_EQ(rows[0][4], "metric");
  size_t on_front = 0;
  for (size_t i = 1; i < rows.size(); ++i) on_front += rows[i].back() == "front";
  EXPECT_GE(on_front, 1u);
}

}  // namespace
}  // namespace powertrain::report
