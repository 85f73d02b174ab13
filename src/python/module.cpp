// The Python module `powertrain._powertrain` (pybind11): the C++ meter for Python scripts.
//
// One Meter class, two modes, one protocol (docs/events.md):
// - under `powertrain measure` (POWERTRAIN_EVENTS_FD set) it writes its windows and metrics
//   to the parent's event channel and measures nothing itself, so nothing is counted twice;
// - otherwise it owns a powertrain::Meter and feeds the same event lines to its own
//   EventSink, so the windows, epochs and metrics come out the same way; with a store
//   (db=... or POWERTRAIN_DB) the run is recorded like `powertrain measure` records one.
// The Python layer (python/powertrain/__init__.py) adds the context managers and the
// PyTorch-loop helper.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "powertrain/energy/carbon.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/source.h"
#include "powertrain/measure/events.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/store/store.h"

namespace py = pybind11;
using namespace powertrain;

namespace {

py::object number(double v) { return std::isfinite(v) ? py::object(py::float_(v)) : py::object(py::none()); }

py::dict measurement_dict(const Measurement& m) {
  py::list components;
  for (const auto& c : m.components) {
    py::dict d;
    d["component"] = c.component;
    d["kind"] = component_kind_name(c.kind);
    d["source"] = c.source;
    d["energy_j"] = number(c.energy_j);
    d["uncertainty_j"] = number(c.uncertainty_j);
    d["avg_power_w"] = number(c.avg_power_w);
    d["peak_power_w"] = number(c.peak_power_w);
    d["samples"] = c.samples;
    d["provenance"] = provenance_name(c.provenance);
    d["note"] = c.note;
    components.append(d);
  }
  py::dict d;
  d["name"] = m.name;
  d["duration_s"] = number(m.duration_s);
  d["energy_j"] = number(m.total_energy_j());
  d["uncertainty_j"] = number(m.total_uncertainty_j());
  d["avg_power_w"] = number(m.avg_power_w());
  d["provenance"] = provenance_name(m.total_provenance());
  d["start_unix_s"] = number(m.start_unix_s);
  d["components"] = components;
  return d;
}

py::dict epoch_dict(const EpochRecord& e) {
  py::dict d;
  d["epoch"] = e.epoch;
  d["duration_s"] = number(e.duration_s);
  d["energy_j"] = number(e.energy_j);
  d["uncertainty_j"] = number(e.energy_uncertainty_j);
  d["provenance"] = provenance_name(e.energy_provenance);
  d["avg_power_w"] = number(e.avg_power_w);
  d["train_loss"] = number(e.train_loss);
  d["val_loss"] = number(e.val_loss);
  d["val_accuracy"] = number(e.val_metric);
  d["lr"] = number(e.lr);
  py::dict metrics;
  for (const auto& [k, v] : e.metrics) metrics[py::str(k)] = number(v);
  d["metrics"] = metrics;
  return d;
}

py::dict events_dict(const ChildEvents& e) {
  py::dict d;
  d["lines"] = e.lines;
  d["windows"] = e.windows;
  d["epochs"] = e.epochs;
  d["metrics"] = e.metrics;
  d["problems"] = e.problems;
  d["examples"] = e.examples;
  d["run_metrics"] = e.run_metrics;
  d["text"] = describe_events(e);
  return d;
}

py::dict sensor_dict(const SensorInfo& s) {
  py::dict d;
  d["component"] = s.component;
  d["source"] = s.source;
  d["description"] = s.description;
  d["working"] = s.working;
  d["used"] = s.used;
  d["detail"] = s.detail;
  return d;
}

// A name as the protocol carries it: one line, no control characters.
void check_name(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 200) throw py::value_error(what + " must be 1 to 200 characters long, got " + std::to_string(name.size()));
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) throw py::value_error(what + " '" + name + "' contains a control character (a newline?): use one line of text");
  }
}

// The event channel's descriptor from the environment, or -1 when there is none usable.
int channel_fd() {
  const char* v = std::getenv(kEventsFdVariable);
  if (!v || !*v) return -1;
  char* end = nullptr;
  long fd = std::strtol(v, &end, 10);
  if (*end != '\0' || fd < 0 || fd > 1000000) return -1;
  if (fcntl(static_cast<int>(fd), F_GETFD) < 0) return -1;  // not open in this process
  return static_cast<int>(fd);
}

class PyMeter {
 public:
  PyMeter(std::string name, std::optional<std::string> db, double interval_s, bool use_channel) : name_(std::move(name)) {
    if (!std::isfinite(interval_s) || interval_s < 0.001 || interval_s > 60) {
      throw py::value_error("interval_s must be between 0.001 and 60 s, got " + std::to_string(interval_s));
    }
    fd_ = use_channel ? channel_fd() : -1;
    if (fd_ >= 0) return;
    std::vector<std::string> warnings;
    auto sources = discover_sources(discover_options_from_env(DiscoverOptions{}), &warnings);
    warnings_ = warnings;
    meter_ = std::make_unique<Meter>(std::move(sources), MeterOptions().interval_s(interval_s));
    std::string path = db ? *db : "";
    if (!db) {
      const char* env = std::getenv("POWERTRAIN_DB");
      if (env && *env) path = env;
    }
    if (!path.empty()) store_ = std::make_unique<Store>(Store::open(path));
  }

  ~PyMeter() {
    try {
      if (started_ && !stopped_) stop("interrupted");
    } catch (...) {
    }
  }

  bool channel() const { return fd_ >= 0; }

  void start() {
    if (started_) return;
    started_ = true;
    if (channel()) return;
    meter_->start();
    run_window_ = meter_->begin("run");
    sink_ = std::make_unique<EventSink>(*meter_, [this](const EpochRecord& e) {
      epochs_[e.epoch] = e;
      if (recorder_) recorder_->epoch(e);
    });
    if (store_) {
      RunStart s;
      s.kind = "measure";
      s.name = name_.empty() ? "python" : name_;
      s.command = command_;
      s.details.warnings = warnings_;
      recorder_ = std::make_unique<RunRecorder>(store_.get(), *meter_, s);
    }
  }

  // Ends the run: returns its measurement (None in channel mode: the parent measures).
  py::object stop(const std::string& status_name) {
    if (!started_ || stopped_) return py::none();
    stopped_ = true;
    if (channel()) return py::none();
    sink_->finish();
    run_ = meter_->end(run_window_);
    meter_->stop();
    if (recorder_) {
      RunDetails d;
      d.warnings = warnings_;
      if (sink_->summary().lines > 0) d.events = sink_->summary();
      RunStatus status = run_status_from_name(status_name).value_or(RunStatus::completed);
      run_id_ = recorder_->run_id();
      recorder_->finish(status, std::nullopt, *run_, d);
    }
    return measurement_dict(*run_);
  }

  // Opens a window; returns nothing (windows are closed by name, innermost first).
  void begin(const std::string& name) {
    check_name("a window's name", name);
    start();
    send("begin " + name);
  }

  // Closes the innermost open window of that name; returns its measurement (None in channel mode).
  py::object end(const std::string& name) {
    check_name("a window's name", name);
    if (!started_) throw py::value_error("no window '" + name + "' is open: begin it first");
    send("end " + name);
    if (channel()) return py::none();
    const Measurement* m = sink_->last_ended();
    return m ? py::object(measurement_dict(*m)) : py::object(py::none());
  }

  void metric(const std::string& name, double value, std::optional<int> epoch) {
    start();
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    send("metric " + name + " " + text + (epoch ? " epoch " + std::to_string(*epoch) : ""));
  }

  py::object measurement() const { return run_ ? py::object(measurement_dict(*run_)) : py::object(py::none()); }

  py::list epochs() const {
    py::list out;
    for (const auto& [n, e] : epochs_) out.append(epoch_dict(e));
    return out;
  }

  py::list windows() const {
    py::list out;
    if (!meter_) return out;
    for (const auto& m : meter_->finished()) if (m.parent_id >= 0) out.append(measurement_dict(m));
    return out;
  }

  py::object events() const { return sink_ ? py::object(events_dict(sink_->summary())) : py::object(py::none()); }
  py::object run_id() const { return run_id_ > 0 ? py::object(py::int_(run_id_)) : py::object(py::none()); }
  std::vector<std::string> warnings() const { return warnings_; }
  void set_command(const std::string& c) { command_ = c; }

 private:
  void send(const std::string& line) {
    if (!channel()) {
      std::string l = line + "\n";
      sink_->feed(l.data(), l.size());
      return;
    }
    if (broken_) return;
    std::string l = line + "\n";
    const char* p = l.data();
    size_t left = l.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {  // the parent is gone: the script goes on, unmeasured
        broken_ = true;
        return;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }

  std::string name_;
  std::string command_;
  int fd_ = -1;
  bool broken_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::string> warnings_;
  std::unique_ptr<Meter> meter_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RunRecorder> recorder_;
  std::unique_ptr<EventSink> sink_;
  int run_window_ = -1;
  std::optional<Measurement> run_;
  std::map<int, EpochRecord> epochs_;
  int64_t run_id_ = 0;
};

}  // namespace

PYBIND11_MODULE(_powertrain, m) {
  m.doc() = "powertrain's energy meter for Python (docs/python.md)";
  m.attr("EVENTS_FD_VARIABLE") = kEventsFdVariable;
  m.attr("EVENTS_VERSION") = kEventsVersion;
  m.def("under_measure", [] { return channel_fd() >= 0; },
        "True when this process runs under `powertrain measure` with its event channel open");
  m.def("devices", [] {
    py::list out;
    for (const auto& s : survey_sensors(discover_options_from_env(DiscoverOptions{}), nullptr)) out.append(sensor_dict(s));
    return out;
  }, "Every energy sensor powertrain would try, working or not, with why (as `powertrain devices`)");
  py::register_exception<StoreError>(m, "StoreError", PyExc_RuntimeError);
  py::class_<PyMeter>(m, "Meter", "The meter behind powertrain.Run: windows, epochs and metrics")
      .def(py::init<std::string, std::optional<std::string>, double, bool>(), py::arg("name") = "", py::arg("db") = py::none(),
           py::arg("interval_s") = 0.1, py::arg("use_channel") = true)
      .def_property_readonly("channel", &PyMeter::channel, "True when the windows go to `powertrain measure` (it measures them)")
      .def("start", &PyMeter::start)
      .def("stop", &PyMeter::stop, py::arg("status") = "completed")
      .def("begin", &PyMeter::begin, py::arg("name"))
      .def("end", &PyMeter::end, py::arg("name"))
      .def("metric", &PyMeter::metric, py::arg("name"), py::arg("value"), py::arg("epoch") = py::none())
      .def("measurement", &PyMeter::measurement)
      .def("epochs", &PyMeter::epochs)
      .def("windows", &PyMeter::windows)
      .def("events", &PyMeter::events)
      .def("run_id", &PyMeter::run_id)
      .def("warnings", &PyMeter::warnings)
      .def("set_command", &PyMeter::set_command);
}
