// One run recorded as it happens: running row, live samples, epochs, final write, or failed.
#include "powertrain/store/run_recorder.h"

#include <chrono>

#include "powertrain/store/live.h"

namespace powertrain {

namespace {
double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// How long a start or an end of a run waits for a store another process keeps locked: each
// try already waits 5 s for the lock (the busy timeout), so this is 24 tries.
constexpr double kBusyPatience_s = 120;

// Runs `write`; while the store is busy (StoreBusyError) tries again, up to kBusyPatience_s,
// saying so through `on_problem`. Other errors, and the last busy one, are thrown.
template <class Write>
auto patiently(const std::function<void(const std::string&)>& on_problem, const Write& write) {
  const double give_up_at = unix_now_s() + kBusyPatience_s;
  for (;;) {
    try {
      return write();
    } catch (const StoreBusyError& e) {
      if (unix_now_s() >= give_up_at) throw;
      if (on_problem) on_problem(std::string(e.what()) + "; waiting for it");
    }
  }
}
}  // namespace

RunRecorder::RunRecorder(Store* store, Meter& meter, RunStart start, std::function<void(const std::string&)> on_problem)
    : store_(store), meter_(meter), start_(std::move(start)), on_problem_(std::move(on_problem)) {
  started_at_unix_s_ = unix_now_s();
  if (!store_) return;
  try {
    RunRecord r = row();
    r.details = start_.details;
    HostInfo host = host_info_collect();
    run_id_ = patiently(on_problem_, [&] { return store_->begin_run(r, host, meter_.sensors()); });
  } catch (const StoreError& e) {
    if (!on_problem_) throw;
    on_problem_(std::string(e.what()) + " (the run goes on; its energy is printed but not stored)");
    store_ = nullptr;
    return;
  }
  // The power timeline reaches the store while the run goes on, for live dashboards.
  live_ = std::make_unique<LiveSamples>(store_->path(), run_id_, [this](double t) { return meter_.samples_since(t); },
                                        start_.sample_bucket_s, 1.0, on_problem_);
}

RunRecorder::~RunRecorder() {
  if (!done_) fail("the run ended without finishing (an error or an early return)");
}

RunRecord RunRecorder::row() const {
  RunRecord r;
  r.id = run_id_;
  r.kind = start_.kind;
  r.name = start_.name;
  r.command = start_.command;
  r.started_at_unix_s = started_at_unix_s_;
  r.grid = start_.grid.code;
  r.carbon_intensity_g_per_kwh = start_.grid.g_per_kwh;
  r.pue = start_.pue;
  return r;
}

void RunRecorder::epoch(const EpochRecord& epoch) {
  if (!store_ || run_id_ == 0) return;
  pending_epochs_.push_back(epoch);
  try {
    write_pending_epochs();
  } catch (const StoreBusyError& e) {
    // The training goes on; the epoch is written with the next one, or at the end.
    if (on_problem_) {
      on_problem_(std::string(e.what()) + "; epoch " + std::to_string(epoch.epoch) +
                  " is kept and written once the store is free");
    }
  }
}

void RunRecorder::write_pending_epochs() {
  while (!pending_epochs_.empty()) {
    store_->record_epoch(run_id_, pending_epochs_.front());
    pending_epochs_.erase(pending_epochs_.begin());
  }
}

RunRecord RunRecorder::finish(RunStatus status, std::optional<int> exit_code, const Measurement& run_window,
                              const RunDetails& details) {
  done_ = true;
  if (live_) live_->stop();
  RunRecord r = row();
  if (std::isfinite(run_window.start_unix_s)) r.started_at_unix_s = run_window.start_unix_s;
  r.duration_s = run_window.duration_s;
  r.status = status;
  r.exit_code = exit_code;
  r.energy_j = run_window.total_energy_j();
  r.energy_uncertainty_j = run_window.total_uncertainty_j();
  r.energy_provenance = run_window.total_provenance();
  r.co2e_g = carbon_from_energy(r.energy_j, start_.grid, start_.pue).co2e_g;
  r.details = details;
  if (store_ && run_id_ > 0) {
    auto samples = downsample(meter_.samples(), start_.sample_bucket_s);
    patiently(on_problem_, [&] {
      write_pending_epochs();
      store_->finish_run(run_id_, r, meter_.finished(), samples);
    });
  }
  return r;
}

void RunRecorder::fail(const std::string& error) {
  if (done_) return;
  done_ = true;
  try {
    if (live_) live_->stop();
    if (!store_ || run_id_ == 0) return;
    RunRecord r = row();
    r.status = RunStatus::failed;
    r.exit_code = 1;
    r.details = start_.details;
    r.details.error = error;
    auto samples = downsample(meter_.samples(), start_.sample_bucket_s);
    patiently(on_problem_, [&] {
      write_pending_epochs();
      store_->finish_run(run_id_, r, meter_.finished(), samples);
    });
  } catch (const std::exception& e) {
    if (on_problem_) on_problem_(std::string("cannot record the failed run: ") + e.what());
  }
}

}  // namespace powertrain
