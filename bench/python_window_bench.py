#!/usr/bin/python3
"""python_window_bench: what a window edge costs a Python script using the module `powertrain`.

Times run.begin()/run.end() pairs in batches of 2,000 windows (median of the batches), in the
two ways a script runs:
  own meter      the module measures itself (each edge reads every sensor, as the C++ meter does)
  under measure  `powertrain measure -- python3 ...`: each edge is one line written to the
                 event channel; the parent's meter reads the sensors (a full pipe would make
                 the script wait for it, so its cost shows here too)
beside a baseline measured in the same run: the same loop calling a Python function that does
nothing. Budget: 50 us per edge (the meter's own, bench/meter_bench.cpp).

  PYTHONPATH=build/python /usr/bin/python3 bench/python_window_bench.py [--bin build/src/cli/powertrain]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH = 2000
BATCHES = 5


def time_batches(make_run):
    per_edge_us = []
    for _ in range(BATCHES):
        run = make_run()
        begin, end = run.begin, run.end
        t0 = time.perf_counter()
        for _ in range(BATCH):
            begin("w")
            end("w")
        per_edge_us.append((time.perf_counter() - t0) / (2 * BATCH) * 1e6)
        if hasattr(run, "finish"):
            run.finish()
    return statistics.median(per_edge_us)


class Nothing:
    def begin(self, name):
        pass

    def end(self, name):
        pass


def child():
    import powertrain
    run = powertrain.Run("python_window_bench")
    assert run.under_measure
    print(json.dumps({"under_measure_us": time_batches(lambda: run)}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "src", "cli", "powertrain"))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child()
    import powertrain
    baseline = time_batches(Nothing)
    env = dict(os.environ)
    env.pop("POWERTRAIN_EVENTS_FD", None)
    os.environ.pop("POWERTRAIN_EVENTS_FD", None)
    own = time_batches(lambda: powertrain.Run("bench"))
    r = subprocess.run([a.bin, "measure", "--no-store", "-q", "--", sys.executable, os.path.abspath(__file__), "--child"],
                       capture_output=True, text=True, env=env, check=True)
    under = json.loads(r.stdout)["under_measure_us"]
    sensors = ", ".join(s["component"] + " (" + s["source"] + ")" for s in powertrain.devices() if s["used"])
    print("python_window_bench: cost of one window edge (begin or end), median of %d batches of %d windows" % (BATCHES, BATCH))
    print("  sensors: %s" % sensors)
    print("  %-34s %8.2f us" % ("baseline (a Python call, no-op)", baseline))
    print("  %-34s %8.2f us   (%.1fx baseline)   budget 50 us: %s" % ("own meter (reads every sensor)", own, own / baseline,
                                                                       "within" if own <= 50 else "OVER"))
    print("  %-34s %8.2f us   (%.1fx baseline)   budget 50 us: %s" % ("under powertrain measure (channel)", under,
                                                                       under / baseline, "within" if under <= 50 else "OVER"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
