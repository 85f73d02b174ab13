// Training config: JSON parsing with defaults, `--set` overrides, and validation whose
// errors name the key and the allowed values. No LibTorch here.
#include "powertrain/train/config.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "util/text.h"

namespace powertrain {

namespace {

using json = nlohmann::json;
using util::printable;

// Limits on what a config may ask for, so that a hostile or mistyped file is an error
// rather than an hour of allocation: the file's size, text values, list lengths.
constexpr std::streamsize kMaxConfigBytes = 16 << 20;
constexpr size_t kMaxTextChars = 4096;   // names, paths, grid codes
constexpr size_t kMaxHiddenLayers = 64;  // model.hidden
constexpr long long kMaxWidth = 65536;   // model.hidden entries, model.feature_dim

// json::parse, except that every error names the key where it happened: a number too
// large for a double (1e400) is "optimizer.lr: 1e400 is not a finite number", not an
// uncaught nlohmann::json::out_of_range.
class KeyedParser {
 public:
  using dom = nlohmann::detail::json_sax_dom_parser<json>;

  // Returns `text` parsed (comments allowed); throws ConfigError starting with `where`.
  // With `only_overflow`, text that is not JSON gives a discarded value instead (a number
  // too large still throws).
  static json parse(const std::string& text, const std::string& where, bool only_overflow = false) {
    json out;
    KeyedParser p(out);
    if (!json::sax_parse(text, &p, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/true)) {
      if (only_overflow && !p.overflow_) return json(json::value_t::discarded);
      if (p.overflow_) {
        throw ConfigError(where + ": " + (p.error_key_.empty() ? "" : p.error_key_ + ": ") + printable(p.token_) +
                          " is not a finite number (beyond the range of a double): write a number in the key's range "
                          "(docs/train.md lists them)");
      }
      throw ConfigError(where + " is not valid JSON" + (p.error_key_.empty() ? "" : " (in " + p.error_key_ + ")") +
                        ": " + printable(p.error_, 300));
    }
    return out;
  }

  bool null() { element(); return dom_.null(); }
  bool boolean(bool v) { element(); return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { element(); return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { element(); return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { element(); return dom_.number_float(v, s); }
  bool string(json::string_t& v) { element(); return dom_.string(v); }
  bool binary(json::binary_t& v) { element(); return dom_.binary(v); }
  bool start_object(std::size_t n) {
    element();
    frames_.push_back({true, "", 0});
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    frames_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    element();
    frames_.push_back({false, "", 0});
    return dom_.start_array(n);
  }
  bool end_array() {
    frames_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex) {
    overflow_ = ex.id == 406;  // out_of_range.406: number overflow
    token_ = last_token;
    error_ = ex.what();
    error_key_ = path(/*at_error=*/true);
    return dom_.parse_error(position, last_token, ex);
  }

 private:
  explicit KeyedParser(json& out) : dom_(out, /*allow_exceptions=*/false) {}

  struct Frame {
    bool object;
    std::string key;  // object: the current key
    size_t count;     // array: elements begun so far
  };

  // A value begins: in an array it is the next element.
  void element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
  }

  // Returns the key path of the value being read ("model.hidden[2]"). At an error the
  // innermost array has not counted the bad element yet.
  std::string path(bool at_error) const {
    std::string out;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.object) {
        if (f.key.empty()) break;
        out += (out.empty() ? "" : ".") + printable(f.key, 60);
      } else {
        const size_t index = (at_error && i + 1 == frames_.size()) ? f.count : f.count - 1;
        out += "[" + std::to_string(index) + "]";
      }
    }
    return out;
  }

  dom dom_;
  std::vector<Frame> frames_;
  bool overflow_ = false;
  std::string token_, error_, error_key_;
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string type_name(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number_integer() || j.is_number_unsigned()) return "an integer";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

// Binds the keys of one JSON object to struct fields, checking type and range, and
// rejects keys it was not asked about.
class Binder {
 public:
  Binder(const json& obj, std::string path, const std::string& origin) : obj_(obj), path_(std::move(path)), origin_(origin) {
    if (!obj_.is_object()) fail("", "must be an object ({...}), not " + type_name(obj_));
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    std::string full = path_.empty() ? key : (key.empty() ? path_ : path_ + "." + key);
    throw ConfigError("config " + origin_ + ": " + (full.empty() ? "" : full + ": ") + what);
  }

  const json* get(const char* key) {
    allowed_.push_back(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  void string(const char* key, std::string& out, const std::vector<std::string>& choices = {}) {
    const json* j = get(key);
    if (!j) return;
    if (!j->is_string()) fail(key, "must be a string, not " + type_name(*j));
    std::string v = j->get<std::string>();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
      fail(key, "'" + printable(v, 60) + "' is not allowed; use one of: " + join(choices));
    }
    if (v.size() > kMaxTextChars) {
      fail(key, "is " + std::to_string(v.size()) + " characters long; at most " + std::to_string(kMaxTextChars) +
                    " are allowed: shorten it");
    }
    out = v;
  }

  void number(const char* key, double& out, double lo, double hi, bool lo_open = false) {
    const json* j = get(key);
    if (!j) return;
    if (!j->is_number()) fail(key, "must be a number, not " + type_name(*j));
    double v = j->get<double>();
    if (!(lo_open ? v > lo : v >= lo) || !(v <= hi)) {
      std::ostringstream ss;
      ss << v << " is out of range; allowed: " << (lo_open ? "(" : "[") << lo << ", " << hi << "]";
      fail(key, ss.str());
    }
    out = v;
  }

  void optional_number(const char* key, double& out, double lo, double hi) {
    const json* j = get(key);
    if (!j) return;
    if (j->is_null()) { out = NAN; return; }
    allowed_.pop_back();
    number(key, out, lo, hi);
  }

  template <class Int>
  void integer(const char* key, Int& out, long long lo, long long hi) {
    const json* j = get(key);
    if (!j) return;
    if (!(j->is_number_integer() || j->is_number_unsigned())) fail(key, "must be an integer, not " + type_name(*j));
    long long v = 0;
    if (!integer_in(*j, lo, hi, v)) fail(key, j->dump() + " is out of range; allowed: " + range_text(lo, hi));
    out = static_cast<Int>(v);
  }

  // Sets `v` to the integer `j` and returns true when it is in [lo, hi] (unsigned values
  // above LLONG_MAX are out of range, not wrapped to negative).
  static bool integer_in(const json& j, long long lo, long long hi, long long& v) {
    if (j.is_number_unsigned() && j.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX)) return false;
    v = j.get<long long>();
    return v >= lo && v <= hi;
  }

  static std::string range_text(long long lo, long long hi) {
    return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  }

  void boolean(const char* key, bool& out) {
    const json* j = get(key);
    if (!j) return;
    if (!j->is_boolean()) fail(key, "must be true or false, not " + type_name(*j));
    out = j->get<bool>();
  }

  void integers(const char* key, std::vector<int64_t>& out, long long lo, long long hi, size_t max_count) {
    const json* j = get(key);
    if (!j) return;
    if (!j->is_array()) fail(key, "must be an array of integers, e.g. [256, 128]");
    if (j->size() > max_count) {
      fail(key, "has " + std::to_string(j->size()) + " entries; at most " + std::to_string(max_count) + " are allowed");
    }
    std::vector<int64_t> v;
    for (const auto& e : *j) {
      long long x = 0;
      if (!(e.is_number_integer() || e.is_number_unsigned()) || !integer_in(e, lo, hi, x)) {
        fail(key, "must hold integers in " + range_text(lo, hi) + ", found " + printable(e.dump(), 40) + " at index " +
                      std::to_string(v.size()));
      }
      v.push_back(x);
    }
    out = v;
  }

  void numbers(const char* key, std::vector<double>& out, double lo, double hi, size_t max_count) {
    const json* j = get(key);
    if (!j) return;
    if (!j->is_array()) fail(key, "must be an array of numbers, e.g. [1.0, 0.5]");
    if (j->size() > max_count) {
      fail(key, "has " + std::to_string(j->size()) + " entries; at most " + std::to_string(max_count) + " are allowed");
    }
    std::vector<double> v;
    for (const auto& e : *j) {
      if (!e.is_number() || e.get<double>() < lo || e.get<double>() > hi) {
        std::ostringstream ss;
        ss << "must hold numbers in [" << lo << ", " << hi << "]";
        fail(key, ss.str());
      }
      v.push_back(e.get<double>());
    }
    out = v;
  }

  // Returns a binder for a nested object (an empty object when absent).
  Binder child(const char* key) {
    const json* j = get(key);
    static const json empty = json::object();
    return Binder(j ? *j : empty, path_.empty() ? key : path_ + "." + key, origin_);
  }

  // Rejects every key that no field asked for.
  void done() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (std::find(allowed_.begin(), allowed_.end(), it.key()) == allowed_.end()) {
        fail(printable(it.key(), 60), "unknown key; allowed here: " + join(allowed_));
      }
    }
  }

 private:
  const json& obj_;
  std::string path_;
  const std::string& origin_;
  std::vector<std::string> allowed_;
};

void apply_override(json& doc, const std::string& assignment, const std::string& origin) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set " + printable(assignment) + ": expected key.path=value, e.g. --set optimizer.lr=0.01");
  }
  std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  // A number too large for a double is an error, not the string "1e400".
  json value = KeyedParser::parse(text, "--set " + printable(path, 60), /*only_overflow=*/true);
  if (value.is_discarded()) value = text;  // plain words are strings: --set optimizer.type=sgd
  json* node = &doc;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw ConfigError("--set " + printable(assignment) + ": empty key in '" + printable(path) + "'");
    if (!node->is_object()) {
      throw ConfigError("--set " + printable(assignment) + ": '" + printable(path.substr(0, start - 1)) + "' is not an object in " + origin);
    }
    if (dot == std::string::npos) {
      (*node)[key] = value;
      return;
    }
    node = &(*node)[key];
    if (node->is_null()) *node = json::object();
    start = dot + 1;
  }
}

void check(bool ok, const std::string& origin, const std::string& key, const std::string& what) {
  if (!ok) throw ConfigError("config " + origin + ": " + key + ": " + what);
}

}  // namespace

TrainConfig parse_train_config(const std::string& json_text, const std::string& origin,
                               const std::vector<std::string>& overrides) {
  json doc = KeyedParser::parse(json_text, "config " + origin);
  for (const auto& o : overrides) apply_override(doc, o, origin);

  TrainConfig c;
  c.source = origin;
  Binder root(doc, "", origin);
  root.string("name", c.name);
  root.string("task", c.task, {"classify", "autoencoder"});

  Binder d = root.child("data");
  d.string("format", c.data.format, {"idx", "cifar10", "pamap2", "csv"});
  d.string("path", c.data.path);
  d.string("test_path", c.data.test_path);
  d.string("label_column", c.data.label_column);
  d.integer("window", c.data.window, 2, 100000);
  d.integer("stride", c.data.stride, 1, 100000);
  d.number("val_fraction", c.data.val_fraction, 0.0, 0.9, true);
  d.number("test_fraction", c.data.test_fraction, 0.0, 0.9);
  d.integer("subset", c.data.subset, 0, 1LL << 40);
  d.integer("seed", c.data.seed, 0, 1LL << 62);
  d.string("standardize", c.data.standardize, {"auto", "yes", "no"});
  d.done();

  Binder m = root.child("model");
  m.string("type", c.model.type, {"mlp", "cnn", "tutorial_cnn", "lenet5", "resnet", "resnet18", "conv1d"});
  m.integers("hidden", c.model.hidden, 1, kMaxWidth, kMaxHiddenLayers);
  m.integer("width", c.model.width, 1, 4096);
  m.integers("channels", c.model.channels, 1, 4096, 8);
  m.integer("dense", c.model.dense, 0, kMaxWidth);
  m.boolean("batch_norm", c.model.batch_norm);
  m.integer("depth", c.model.depth, 8, 1202);
  m.number("dropout", c.model.dropout, 0.0, 0.95);
  m.integer("feature_dim", c.model.feature_dim, 0, kMaxWidth);
  m.string("encoder_path", c.model.encoder_path);
  m.boolean("freeze_encoder", c.model.freeze_encoder);
  m.string("save_encoder_path", c.model.save_encoder_path);
  m.done();

  Binder o = root.child("optimizer");
  o.string("type", c.optimizer.type, {"sgd", "adam", "adamw"});
  o.number("lr", c.optimizer.lr, 0.0, 1e6, true);
  o.number("momentum", c.optimizer.momentum, 0.0, 0.9999);
  o.number("beta2", c.optimizer.beta2, 0.0, 0.99999);
  o.boolean("nesterov", c.optimizer.nesterov);
  o.number("weight_decay", c.optimizer.weight_decay, 0.0, 10.0);
  o.done();

  Binder s = root.child("schedule");
  s.string("type", c.schedule.type, schedule_types());
  s.integer("step_size", c.schedule.step_size, 0, 1LL << 40);
  s.number("gamma", c.schedule.gamma, 0.0, 1.0, true);
  s.number("min_lr", c.schedule.min_lr, 0.0, 100.0);
  s.integer("warmup_steps", c.schedule.warmup_steps, 0, 1LL << 40);
  s.number("warmup_start_factor", c.schedule.warmup_start_factor, 0.0, 1.0);
  s.optional_number("max_lr", c.schedule.max_lr, 0.0, 100.0);
  s.number("pct_start", c.schedule.pct_start, 0.0, 0.5, true);
  s.number("anneal_pct", c.schedule.anneal_pct, 0.0, 0.5);
  s.number("final_div", c.schedule.final_div, 1.0, 1e6);
  s.number("max_momentum", c.schedule.max_momentum, 0.0, 0.9999);
  s.number("min_momentum", c.schedule.min_momentum, 0.0, 0.9999);
  s.done();

  Binder t = root.child("training");
  t.integer("epochs", c.training.epochs, 1, 100000);
  t.integer("batch_size", c.training.batch_size, 1, 1 << 24);
  t.integer("eval_batch_size", c.training.eval_batch_size, 1, 1 << 24);
  t.string("precision", c.training.precision, {"fp32", "fp16", "bf16"});
  t.string("device", c.training.device);
  t.integer("threads", c.training.threads, 0, 4096);
  t.integer("blas_threads", c.training.blas_threads, 0, 4096);
  t.integer("seed", c.training.seed, 0, 1LL << 62);
  t.number("power_limit_w", c.training.power_limit_w, 0.0, 10000.0);
  t.done();

  Binder e = root.child("early_stopping");
  e.string("monitor", c.early_stopping.monitor, {"val_loss", "val_metric"});
  e.integer("patience", c.early_stopping.patience, 0, 100000);
  e.number("min_delta", c.early_stopping.min_delta, 0.0, 1e9);
  e.optional_number("target", c.early_stopping.target, -1e9, 1e9);
  e.number("divergence_factor", c.early_stopping.divergence_factor, 0.0, 1e9);
  e.integer("divergence_checks", c.early_stopping.divergence_checks, 1, 100000);
  e.done();
  c.early_stopping.max_epochs = c.training.epochs;

  Binder k = root.child("checkpoint");
  k.string("path", c.checkpoint.path);
  k.done();

  Binder en = root.child("energy");
  en.number("interval_ms", c.energy.interval_ms, 1.0, 60000.0);
  en.string("grid", c.energy.grid);
  en.number("pue", c.energy.pue, 1.0, 3.0);
  en.done();

  Binder mt = root.child("multitask");
  mt.string("aux", c.multitask.aux, {"", "fashion_coarse", "parity"});
  mt.numbers("alpha", c.multitask.alpha, 0.0, 1000.0, 2);
  mt.done();
  root.done();

  // Cross-field checks.
  const std::string& dev = c.training.device;
  const bool cuda_index = dev.size() > 5 && dev.size() <= 8 && dev.rfind("cuda:", 0) == 0 &&
                          dev.find_first_not_of("0123456789", 5) == std::string::npos;
  check(dev == "auto" || dev == "cpu" || dev == "cuda" || cuda_index, origin, "training.device",
        "'" + printable(dev, 60) + "' is not allowed; use one of: auto, cpu, cuda, cuda:N (N: the device index)");
  check(c.multitask.alpha.size() == 2, origin, "multitask.alpha", "must have 2 numbers: [main task, auxiliary task]");
  check(c.task != "autoencoder" || c.multitask.aux.empty(), origin, "multitask.aux",
        "an autoencoder has no classification heads: remove multitask.aux or set task to classify");
  check(c.task != "autoencoder" || c.early_stopping.monitor == "val_loss", origin, "early_stopping.monitor",
        "an autoencoder has no accuracy: monitor val_loss");
  check(c.task != "autoencoder" || !std::isfinite(c.early_stopping.target), origin, "early_stopping.target",
        "a target applies to the validation accuracy, which an autoencoder does not have");
  check(c.early_stopping.divergence_factor == 0 || c.early_stopping.divergence_factor > 1, origin,
        "early_stopping.divergence_factor", "must be 0 (off) or above 1 (the default is 10)");
  check(!c.model.freeze_encoder || !c.model.encoder_path.empty(), origin, "model.freeze_encoder",
        "freezing needs pretrained weights: set model.encoder_path (or freeze_encoder to false)");
  check(!c.data.path.empty(), origin, "data.path", "must name the dataset's directory or file");
  if (c.schedule.type == "one_cycle" || c.schedule.type == "triangular") {
    check(std::isfinite(c.schedule.max_lr), origin, "schedule.max_lr",
          "required by the " + c.schedule.type + " schedule (run 'powertrain lr-find' to choose one)");
    check(c.schedule.max_lr > c.optimizer.lr, origin, "schedule.max_lr",
          "must be above optimizer.lr (the cycle's low end)");
  }
  if (c.schedule.type == "step" || c.schedule.type == "triangular") {
    check(c.schedule.step_size > 0, origin, "schedule.step_size", "required (> 0) by the " + c.schedule.type + " schedule");
  }
  check(c.schedule.min_momentum <= c.schedule.max_momentum, origin, "schedule.min_momentum", "must not exceed max_momentum");
  return c;
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw ConfigError("config " + path + " is a directory, not a config file: pass the JSON file itself (e.g. " +
                      path + "/config.json; examples are in examples/*.json)");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("cannot read config " + path + ": " + std::strerror(errno) + " (check the path and its permissions)");
  // Read at most one byte more than allowed: /dev/zero or a huge file is refused, not read.
  std::string text(static_cast<size_t>(kMaxConfigBytes) + 1, '\0');
  f.read(text.data(), kMaxConfigBytes + 1);
  if (f.bad()) throw ConfigError("cannot read config " + path + ": read error");
  text.resize(static_cast<size_t>(f.gcount()));
  if (static_cast<std::streamsize>(text.size()) > kMaxConfigBytes) {
    throw ConfigError("config " + path + " is larger than " + std::to_string(kMaxConfigBytes >> 20) +
                      " MiB: a training config is a small JSON file; pass that file");
  }
  return parse_train_config(text, path, overrides);
}

std::string train_config_json(const TrainConfig& c) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json j = {
      {"name", c.name},
      {"task", c.task},
      {"data", {{"format", c.data.format}, {"path", c.data.path}, {"test_path", c.data.test_path},
                {"label_column", c.data.label_column}, {"window", c.data.window}, {"stride", c.data.stride},
                {"val_fraction", c.data.val_fraction}, {"test_fraction", c.data.test_fraction},
                {"subset", c.data.subset}, {"seed", c.data.seed}, {"standardize", c.data.standardize}}},
      {"model", {{"type", c.model.type}, {"hidden", c.model.hidden}, {"width", c.model.width}, {"channels", c.model.channels},
                 {"dense", c.model.dense}, {"batch_norm", c.model.batch_norm}, {"depth", c.model.depth},
                 {"dropout", c.model.dropout}, {"feature_dim", c.model.feature_dim}, {"encoder_path", c.model.encoder_path},
                 {"freeze_encoder", c.model.freeze_encoder}, {"save_encoder_path", c.model.save_encoder_path}}},
      {"optimizer", {{"type", c.optimizer.type}, {"lr", c.optimizer.lr}, {"momentum", c.optimizer.momentum},
                     {"beta2", c.optimizer.beta2}, {"nesterov", c.optimizer.nesterov},
                     {"weight_decay", c.optimizer.weight_decay}}},
      {"schedule", {{"type", c.schedule.type}, {"step_size", c.schedule.step_size}, {"gamma", c.schedule.gamma},
                    {"min_lr", c.schedule.min_lr}, {"warmup_steps", c.schedule.warmup_steps},
                    {"warmup_start_factor", c.schedule.warmup_start_factor}, {"max_lr", num(c.schedule.max_lr)},
                    {"pct_start", c.schedule.pct_start}, {"anneal_pct", c.schedule.anneal_pct},
                    {"final_div", c.schedule.final_div}, {"max_momentum", c.schedule.max_momentum},
                    {"min_momentum", c.schedule.min_momentum}}},
      {"training", {{"epochs", c.training.epochs}, {"batch_size", c.training.batch_size},
                    {"eval_batch_size", c.training.eval_batch_size}, {"precision", c.training.precision},
                    {"device", c.training.device}, {"threads", c.training.threads},
                    {"blas_threads", c.training.blas_threads}, {"seed", c.training.seed},
                    {"power_limit_w", c.training.power_limit_w}}},
      {"early_stopping", {{"monitor", c.early_stopping.monitor}, {"patience", c.early_stopping.patience},
                          {"min_delta", c.early_stopping.min_delta}, {"target", num(c.early_stopping.target)},
                          {"divergence_factor", c.early_stopping.divergence_factor},
                          {"divergence_checks", c.early_stopping.divergence_checks}}},
      {"checkpoint", {{"path", c.checkpoint.path}}},
      {"energy", {{"interval_ms", c.energy.interval_ms}, {"grid", c.energy.grid}, {"pue", c.energy.pue}}},
      {"multitask", {{"aux", c.multitask.aux}, {"alpha", c.multitask.alpha}}},
  };
  return j.dump(2);
}

}  // namespace powertrain
