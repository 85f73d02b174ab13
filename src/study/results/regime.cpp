// The one codec of the regime study's result (powertrain.study.regime/1).
#include "powertrain/study/regime.h"

#include "study/results/codec.h"

namespace powertrain {

using namespace study_codec;

namespace {

json pick_json(const RegimePick& p) {
  return json{{"batch_size", p.batch_size},
              {"learning_rate", num(p.learning_rate)},
              {"energy_j", num(p.energy_j)},
              {"percent_of_worst", num(p.percent_of_worst)},
              {"epochs", num(p.epochs)},
              {"best_val_accuracy", num(p.best_val_accuracy)}};
}

std::optional<RegimePick> pick_at(const json& j, const char* key) {
  const json& p = value_at(j, key);
  if (!p.is_object()) return std::nullopt;
  return RegimePick{integer_at(p, "batch_size"), number_at(p, "learning_rate"), number_at(p, "energy_j"),
                    number_at(p, "percent_of_worst"), number_at(p, "epochs"), number_at(p, "best_val_accuracy")};
}

json driver_json(const RegimeDriver& d, const char* quantity) {
  return json{{"quantity", quantity},
              {"factor", d.factor},
              {"spread_across_batch_sizes", num(d.spread_across_batch_sizes)},
              {"spread_across_learning_rates", num(d.spread_across_learning_rates)}};
}

RegimeDriver driver_at(const json& drivers, const char* key) {
  const json& d = object_at(drivers, key);
  return RegimeDriver{text_at(d, "factor"), number_at(d, "spread_across_batch_sizes"), number_at(d, "spread_across_learning_rates")};
}

// The grid as matrices of one field of the setups (rows = batch sizes, columns = rates).
json matrix(const RegimeResult& r, const std::vector<int64_t>& rows, const std::vector<double>& cols, double (*field)(const RegimeSetup&)) {
  json m = json::array();
  for (int64_t b : rows) {
    json row = json::array();
    for (double lr : cols) {
      const RegimeSetup* s = regime_setup(r, b, lr);
      row.push_back(num(s ? field(*s) : NAN));
    }
    m.push_back(row);
  }
  return m;
}

}  // namespace

std::vector<int64_t> regime_batch_sizes(const RegimeResult& r) {
  std::vector<int64_t> out;
  for (const auto& s : r.setups) {
    bool seen = false;
    for (int64_t b : out) seen = seen || b == s.batch_size;
    if (!seen) out.push_back(s.batch_size);
  }
  return out;
}

std::vector<double> regime_learning_rates(const RegimeResult& r) {
  std::vector<double> out;
  for (const auto& s : r.setups) {
    bool seen = false;
    for (double lr : out) seen = seen || lr == s.learning_rate;
    if (!seen) out.push_back(s.learning_rate);
  }
  return out;
}

const RegimeSetup* regime_setup(const RegimeResult& r, int64_t batch_size, double learning_rate) {
  for (const auto& s : r.setups) {
    if (s.batch_size == batch_size && s.learning_rate == learning_rate) return &s;
  }
  return nullptr;
}

void to_json(json& j, const RegimeOptions& o) {
  j = json{{"batch_sizes", o.batch_sizes}, {"learning_rates", numbers(o.learning_rates)}, {"optimizer", o.optimizer}};
}

void from_json(const json& j, RegimeOptions& o) {
  o.batch_sizes = integers_at(j, "batch_sizes");
  o.learning_rates = numbers_at(j, "learning_rates");
  o.optimizer = text_at(j, "optimizer");
}

void to_json(json& j, const RegimeRun& x) {
  to_json(j, x.run);
  j["batch_size"] = x.batch_size;
  j["learning_rate"] = num(x.learning_rate);
  j["seed"] = x.seed;
}

void from_json(const json& j, RegimeRun& x) {
  from_json(j, x.run);
  x.batch_size = integer_at(j, "batch_size");
  x.learning_rate = number_at(j, "learning_rate");
  x.seed = integer_at(j, "seed");
}

void to_json(json& j, const RegimeSetup& s) {
  to_json(j, s.stats);
  j["batch_size"] = s.batch_size;
  j["learning_rate"] = num(s.learning_rate);
  j["percent_of_worst"] = num(s.percent_of_worst);
  j["run_ids"] = ids(s.run_ids);
}

void from_json(const json& j, RegimeSetup& s) {
  from_json(j, s.stats);
  s.batch_size = integer_at(j, "batch_size");
  s.learning_rate = number_at(j, "learning_rate");
  s.percent_of_worst = number_at(j, "percent_of_worst");
  s.run_ids = integers_at(j, "run_ids");
}

void to_json(json& j, const RegimeResult& r) {
  to_json(j, r.header);
  j["inputs"].update(json(r.options));
  j["inputs"]["early_stopping"] = r.early_stopping;
  j["runs"] = list(r.runs);
  j["setups"] = list(r.setups);
  const std::vector<int64_t> rows = regime_batch_sizes(r);
  const std::vector<double> cols = regime_learning_rates(r);
  j["tables"] = {{"rows", "batch_size"},
                 {"columns", "learning_rate"},
                 {"batch_sizes", rows},
                 {"learning_rates", numbers(cols)},
                 {"energy_per_epoch_j", matrix(r, rows, cols, [](const RegimeSetup& s) { return s.stats.energy_per_epoch_j.mean; })},
                 {"energy_j", matrix(r, rows, cols, [](const RegimeSetup& s) { return s.stats.energy_j.mean; })},
                 {"epochs", matrix(r, rows, cols, [](const RegimeSetup& s) { return s.stats.epochs.mean; })},
                 {"percent_of_worst", matrix(r, rows, cols, [](const RegimeSetup& s) { return s.percent_of_worst; })},
                 {"best_val_accuracy", matrix(r, rows, cols, [](const RegimeSetup& s) { return s.stats.best_val_accuracy.mean; })}};
  j["best"] = nullptr;
  if (r.best) {
    j["best"] = pick_json(*r.best);
    j["best"]["accurate_within"] = num(r.accurate_within);
  }
  j["worst"] = r.worst ? pick_json(*r.worst) : json(nullptr);
  j["drivers"] = {{"energy_per_epoch", driver_json(r.energy_per_epoch_driver, "energy_per_epoch_j")},
                  {"epochs", driver_json(r.epochs_driver, "epochs")}};
}

void from_json(const json& j, RegimeResult& r) {
  from_json(j, r.header);
  const json& in = object_at(j, "inputs");
  from_json(in, r.options);
  r.early_stopping = text_at(in, "early_stopping");
  r.runs = list_at<RegimeRun>(j, "runs");
  r.setups = list_at<RegimeSetup>(j, "setups");
  r.best = pick_at(j, "best");
  r.worst = pick_at(j, "worst");
  r.accurate_within = number_at(object_at(j, "best"), "accurate_within");
  const json& drivers = object_at(j, "drivers");
  r.energy_per_epoch_driver = driver_at(drivers, "energy_per_epoch");
  r.epochs_driver = driver_at(drivers, "epochs");
}

}  // namespace powertrain
