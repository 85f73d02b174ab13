// trace.cpp: loads the Zeus train and power traces and answers energy, metric and
// energy-to-target questions about their configurations.
#include "powertrain/tune/trace.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/text.h"

namespace powertrain {
namespace tune {
namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

// A CSV file read row by row, with its column names and errors that name file and line.
class CsvReader {
 public:
  // Reads from `in`; `path` names the file in errors. A line over 64 KiB is an error (a
  // binary file is refused, not read into memory whole).
  CsvReader(std::istream& in, const std::string& path, const std::vector<std::string>& required)
      : path_(path), in_(in) {
    std::string header;
    if (!next_line(header)) throw std::runtime_error(path_ + ": the file is empty (expected a CSV header)");
    columns_ = split(header);
    for (const auto& name : required) {
      if (std::find(columns_.begin(), columns_.end(), name) == columns_.end())
        throw std::runtime_error(path_ + " line 1: missing column '" + name + "' (is this a Zeus trace file?)");
    }
  }

  // Reads the next non-empty row; false at the end of the file.
  bool next() {
    std::string line;
    while (next_line(line)) {
      if (line.empty()) continue;
      row_ = split(line);
      if (row_.size() != columns_.size())
        fail("expected " + std::to_string(columns_.size()) + " fields, got " + std::to_string(row_.size()));
      return true;
    }
    return false;
  }

  const std::string& text(const std::string& column) const {
    const auto it = std::find(columns_.begin(), columns_.end(), column);
    return row_[static_cast<std::size_t>(it - columns_.begin())];
  }

  // The column as a number; "nan" (any case) gives NaN when allow_nan, else an error.
  double number(const std::string& column, bool allow_nan = false) const {
    const std::string& t = text(column);
    if (allow_nan && lower(t) == "nan") return std::numeric_limits<double>::quiet_NaN();
    std::size_t used = 0;
    double x = 0;
    try {
      x = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != t.size() || !std::isfinite(x))
      fail("column '" + column + "' holds '" + util::printable(t, 60) + "', not a finite number");
    return x;
  }

  int integer(const std::string& column) const {
    const double x = number(column);
    if (x != std::floor(x) || std::fabs(x) > 1e9)
      fail("column '" + column + "' holds '" + util::printable(text(column), 60) + "', not a whole number");
    return static_cast<int>(x);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path_ + " line " + std::to_string(line_) + ": " + what);
  }

 private:
  bool next_line(std::string& line) {
    constexpr size_t kMaxLineBytes = 1 << 16;
    const util::LineRead got = util::read_line(in_, line, kMaxLineBytes);
    if (got == util::LineRead::end) return false;
    ++line_;
    if (got == util::LineRead::too_long) {
      fail("the line is longer than " + std::to_string(kMaxLineBytes) + " bytes ('" + util::printable(line, 60) +
           "'): is this a Zeus trace file?");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  std::string path_;
  std::istream& in_;
  std::vector<std::string> columns_;
  std::vector<std::string> row_;
  long line_ = 0;
};

bool better_or_equal(double a, double b, bool higher_is_better) { return higher_is_better ? a >= b : a <= b; }

}  // namespace

const std::vector<WorkloadSpec>& zeus_workloads() {
  static const std::vector<WorkloadSpec> specs = {
      {"cifar100", "shufflenetv2", 0.6, true, 100, 0.0, 50000},
      {"imagenet", "resnet50", 0.65, true, 100, 0.0, 1281167},
      {"squad", "bert_base_uncased", 84.0, true, 6, 0.0, 87599},
      {"librispeech", "deepspeech2", 40.0, false, 16, 100.0, 281241},  // word error rate, %
      {"movielens-1m", "ncf", 0.41, true, 100, 0.0, 4970845},
      {"sentiment140", "bert_base_uncased", 0.84, true, 10, 0.0, 1600000},
  };
  return specs;
}

ZeusTrace ZeusTrace::load(const std::string& dir, const std::string& gpu) {
  const std::string g = lower(gpu);
  if (g != "v100" && g != "a40" && g != "rtx6000")
    throw std::invalid_argument("Zeus trace: unknown GPU '" + gpu + "' (expected v100, a40 or rtx6000)");
  const std::string train_path = dir + "/summary_train.csv";
  const std::string power_path = dir + "/summary_power_" + g + ".csv";
  std::ifstream train(train_path, std::ios::binary), power(power_path, std::ios::binary);
  for (const auto& [file, path] : {std::make_pair(&train, &train_path), std::make_pair(&power, &power_path)}) {
    if (!*file)
      throw std::runtime_error(*path + ": cannot open (is the Zeus trace directory right? it needs "
                               "summary_train.csv and summary_power_<gpu>.csv)");
  }
  return read(train, train_path, power, power_path, g);
}

ZeusTrace ZeusTrace::parse(const std::string& train_csv, const std::string& power_csv, const std::string& gpu) {
  std::istringstream train(train_csv), power(power_csv);
  return read(train, "summary_train.csv", power, "summary_power_" + lower(gpu) + ".csv", gpu);
}

ZeusTrace ZeusTrace::read(std::istream& train_in, const std::string& train_path, std::istream& power_in,
                          const std::string& power_path, const std::string& gpu) {
  const std::string g = lower(gpu);
  if (g != "v100" && g != "a40" && g != "rtx6000")
    throw std::invalid_argument("Zeus trace: unknown GPU '" + gpu + "' (expected v100, a40 or rtx6000)");
  ZeusTrace trace;
  trace.gpu_ = g;
  for (const auto& spec : zeus_workloads()) trace.workloads_[spec.dataset].spec = spec;

  CsvReader train(train_in, train_path, {"dataset", "network", "batch_size", "optimizer", "run", "target_metric", "target_epoch"});
  while (train.next()) {
    auto it = trace.workloads_.find(train.text("dataset"));
    if (it == trace.workloads_.end() || it->second.spec.network != train.text("network")) continue;
    Workload& w = it->second;
    const std::string opt = lower(train.text("optimizer"));
    if (w.optimizer.empty()) w.optimizer = opt;
    if (opt != w.optimizer)
      train.fail("workload '" + w.spec.dataset + "' uses optimizer '" + util::printable(opt, 60) + "' here but '" +
                 util::printable(w.optimizer, 60) + "' earlier (one optimizer per workload is supported)");
    const int batch = train.integer("batch_size");
    if (batch <= 0) train.fail("batch_size must be > 0");
    const double level = train.number("target_metric");
    const double epoch = train.number("target_epoch", true);
    int first = 0;  // 0 = never reached
    if (!std::isnan(epoch)) {
      if (epoch < 1 || epoch != std::floor(epoch)) train.fail("target_epoch must be a whole number >= 1 or nan");
      first = epoch <= w.spec.max_epochs ? static_cast<int>(epoch) : 0;
    }
    w.curves[batch][train.integer("run")].emplace_back(level, first);
  }

  // (batch size, power limit) pairs already read, per workload: duplicates are an error,
  // found in O(log n) per row rather than by a scan of every earlier row.
  std::map<std::string, std::set<std::pair<int, double>>> seen;
  CsvReader power(power_in, power_path,
                  {"dataset", "network", "batch_size", "optimizer", "power_limit", "time_per_epoch", "average_power"});
  while (power.next()) {
    auto it = trace.workloads_.find(power.text("dataset"));
    if (it == trace.workloads_.end() || it->second.spec.network != power.text("network")) continue;
    Workload& w = it->second;
    if (lower(power.text("optimizer")) != w.optimizer) continue;  // another optimizer than the train trace's
    TraceConfig c;
    c.batch_size = power.integer("batch_size");
    c.power_limit_w = power.number("power_limit");
    c.time_per_epoch_s = power.number("time_per_epoch");
    c.average_power_w = power.number("average_power");
    if (c.time_per_epoch_s <= 0 || c.average_power_w <= 0 || c.power_limit_w <= 0)
      power.fail("time_per_epoch, average_power and power_limit must be > 0");
    if (w.curves.count(c.batch_size) == 0) continue;  // no learning curve for this batch size
    if (!seen[it->first].insert({c.batch_size, c.power_limit_w}).second)
      power.fail("duplicate row for batch size " + std::to_string(c.batch_size) + " at power limit " +
                 std::to_string(c.power_limit_w) + " W");
    w.configs.push_back(c);
  }
  for (auto& [name, w] : trace.workloads_) {
    std::sort(w.configs.begin(), w.configs.end(), [](const TraceConfig& a, const TraceConfig& b) {
      return a.batch_size != b.batch_size ? a.batch_size < b.batch_size : a.power_limit_w < b.power_limit_w;
    });
  }
  return trace;
}

std::vector<WorkloadSpec> ZeusTrace::workloads() const {
  std::vector<WorkloadSpec> out;
  for (const auto& spec : zeus_workloads())
    if (!workloads_.at(spec.dataset).configs.empty()) out.push_back(spec);
  return out;
}

const ZeusTrace::Workload& ZeusTrace::find(const std::string& dataset) const {
  auto it = workloads_.find(dataset);
  if (it == workloads_.end())
    throw std::invalid_argument("Zeus trace: unknown dataset '" + dataset +
                                "' (expected cifar100, imagenet, squad, librispeech, movielens-1m or sentiment140)");
  return it->second;
}

const WorkloadSpec& ZeusTrace::workload(const std::string& dataset) const { return find(dataset).spec; }
const std::string& ZeusTrace::optimizer(const std::string& dataset) const { return find(dataset).optimizer; }
const std::vector<TraceConfig>& ZeusTrace::configs(const std::string& dataset) const { return find(dataset).configs; }

const TraceConfig& ZeusTrace::config(const std::string& dataset, int batch_size, double power_limit_w) const {
  for (const auto& c : find(dataset).configs)
    if (c.batch_size == batch_size && c.power_limit_w == power_limit_w) return c;
  throw std::invalid_argument("Zeus trace: " + dataset + " on " + gpu_ + " has no configuration with batch size " +
                              std::to_string(batch_size) + " at power limit " + std::to_string(power_limit_w) +
                              " W (see configs())");
}

std::vector<int> ZeusTrace::runs(const std::string& dataset, int batch_size) const {
  const auto& w = find(dataset);
  auto it = w.curves.find(batch_size);
  if (it == w.curves.end())
    throw std::invalid_argument("Zeus trace: " + dataset + " has no learning curve for batch size " +
                                std::to_string(batch_size));
  std::vector<int> out;
  for (const auto& [run, curve] : it->second) out.push_back(run);
  return out;
}

const ZeusTrace::Curve& ZeusTrace::curve(const std::string& dataset, int batch_size, int run) const {
  const auto& w = find(dataset);
  auto it = w.curves.find(batch_size);
  if (it == w.curves.end() || it->second.count(run) == 0)
    throw std::invalid_argument("Zeus trace: " + dataset + " has no run " + std::to_string(run) +
                                " for batch size " + std::to_string(batch_size) + " (see runs())");
  return it->second.at(run);
}

double ZeusTrace::metric_after(const std::string& dataset, int batch_size, int run, int epochs) const {
  const auto& spec = workload(dataset);
  double best = spec.unreached_metric;
  bool any = false;
  for (const auto& [level, first] : curve(dataset, batch_size, run)) {
    if (first == 0 || first > epochs) continue;
    if (!any || better_or_equal(level, best, spec.higher_is_better)) best = level;
    any = true;
  }
  return best;
}

int ZeusTrace::epochs_to_target(const std::string& dataset, int batch_size, int run) const {
  const auto& spec = workload(dataset);
  int earliest = 0;
  for (const auto& [level, first] : curve(dataset, batch_size, run)) {
    // A level at least as good as the target reached at `first` means the target was too.
    if (first == 0 || !better_or_equal(level, spec.target_metric, spec.higher_is_better)) continue;
    if (earliest == 0 || first < earliest) earliest = first;
  }
  return earliest;
}

double ZeusTrace::mean_epochs_to_target(const std::string& dataset, int batch_size) const {
  double sum = 0;
  const auto runs_of = runs(dataset, batch_size);
  for (int run : runs_of) {
    const int e = epochs_to_target(dataset, batch_size, run);
    if (e == 0) return std::numeric_limits<double>::infinity();
    sum += e;
  }
  return sum / static_cast<double>(runs_of.size());
}

double ZeusTrace::eta_j(const std::string& dataset, int batch_size, double power_limit_w) const {
  return mean_epochs_to_target(dataset, batch_size) * config(dataset, batch_size, power_limit_w).energy_per_epoch_j();
}

double ZeusTrace::tta_s(const std::string& dataset, int batch_size, double power_limit_w) const {
  return mean_epochs_to_target(dataset, batch_size) * config(dataset, batch_size, power_limit_w).time_per_epoch_s;
}

TraceOptimum ZeusTrace::optimum(const std::string& dataset) const {
  TraceOptimum best;
  best.eta_j = std::numeric_limits<double>::infinity();
  for (const auto& c : configs(dataset)) {
    const double eta = eta_j(dataset, c.batch_size, c.power_limit_w);
    if (eta < best.eta_j) best = {c, eta};
  }
  if (!std::isfinite(best.eta_j))
    throw std::runtime_error("Zeus trace: no configuration of " + dataset + " on " + gpu_ +
                             " reaches the target in every run (check the target and max epochs)");
  return best;
}

}  // namespace tune
}  // namespace powertrain
