// powertrain/measure/events.h: windows and metrics sent by a measured program, in any
// language, through the event channel `powertrain measure` opens for it (docs/events.md).
//
// The program finds a file descriptor in POWERTRAIN_EVENTS_FD and writes one line per event:
//   begin epoch 1
//   metric train_loss 0.42
//   end epoch 1
// EventSink turns those lines into the parent's meter windows (each edge reads every sensor,
// as the program's own meter would) and epoch records, and counts every line it cannot use
// (unknown, malformed, too long, a window closed twice or never closed) instead of failing:
// the run is never lost and the program never notices.
//
// Example (what measure_command does with the bytes it reads):
//   powertrain::EventSink sink(meter, [&](const powertrain::EpochRecord& e) { recorder.epoch(e); });
//   sink.feed(buffer, n);  // any split of the stream
//   sink.finish();         // at the end: closes what is still open, counted as a problem
//   powertrain::ChildEvents summary = sink.summary();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "powertrain/energy/meter.h"
#include "powertrain/store/run_details.h"
#include "powertrain/store/store.h"

namespace powertrain {

// The environment variable naming the channel's file descriptor, and the protocol's version.
inline constexpr const char* kEventsFdVariable = "POWERTRAIN_EVENTS_FD";
inline constexpr const char* kEventsVersionVariable = "POWERTRAIN_EVENTS_VERSION";
inline constexpr int kEventsVersion = 1;

struct EventLimits {
  size_t max_line_bytes = 4096;    // a longer line is skipped ("line too long")
  int64_t max_windows = 10000;     // windows opened beyond this are ignored ("over the window limit")
  size_t max_depth = 64;           // windows open at once
  size_t max_examples = 5;         // problems quoted with their line numbers
};

class EventSink {
 public:
  // Windows open in `meter` inside its innermost open window (the run). `on_epoch` receives
  // each epoch when its window ends, and again when a metric for it arrives later.
  EventSink(Meter& meter, std::function<void(const EpochRecord&)> on_epoch, EventLimits limits = EventLimits());
  ~EventSink();
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  // Takes the next bytes of the stream (split anywhere); applies every whole line.
  void feed(const char* data, size_t size);
  // The stream ended: applies a last line without its newline and closes the windows still
  // open (each counted as "window never closed").
  void finish();
  // Returns what was read so far.
  const ChildEvents& summary() const;
  // Returns the measurement of the window the last line ended, or nullptr when that line
  // ended none (the module `powertrain` returns it from end()).
  const Measurement* last_ended() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Returns one line for the user: "3 windows (2 epochs), 4 metrics" plus the problems, e.g.
// "; 2 problems: 1 unknown event (line 4: 'hello'), 1 window never closed (epoch 3)".
std::string describe_events(const ChildEvents& events);

}  // namespace powertrain
