"""The Python module `powertrain` (src/python): its own meter, the event channel under
`powertrain measure`, and the PyTorch example, end to end with the real binary and store.

Run by ctest as python_module_test (PYTHONPATH=build/python, POWERTRAIN_BIN set).
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

import powertrain

BIN = os.environ["POWERTRAIN_BIN"]
SOURCE_DIR = os.environ["POWERTRAIN_SOURCE_DIR"]
EXAMPLE = os.path.join(SOURCE_DIR, "examples", "pytorch_fashion_mnist.py")
EXAMPLE_ARGS = ["--epochs", "2", "--train-samples", "1000", "--test-samples", "500", "--threads", "1"]


def busy(n=200000):
    return sum(i * i for i in range(n))


def env_without_channel(**extra):
    env = dict(os.environ)
    env.pop("POWERTRAIN_EVENTS_FD", None)
    env.update(extra)
    return env


def rows(db, sql):
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


class OwnMeter(unittest.TestCase):
    def test_epochs_windows_and_metrics_are_measured_and_stored(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "p.db")
            run = powertrain.Run("own", db=db)
            self.assertFalse(run.under_measure)
            for epoch in run.epochs(range(2)):
                busy()
                with run.window("validation") as w:
                    busy()
                run.log(train_loss=1.0 / (epoch + 1), val_accuracy=0.5 + epoch / 10, top5=0.9)
            total = run.finish()
            self.assertEqual(w["name"], "validation")
            self.assertGreater(w["energy_j"], 0)
            epochs = run.epoch_records()
            self.assertEqual([e["epoch"] for e in epochs], [1, 2])
            self.assertEqual(epochs[1]["train_loss"], 0.5)
            self.assertEqual(epochs[1]["val_accuracy"], 0.6)
            self.assertEqual(epochs[0]["metrics"], {"top5": 0.9})
            for e in epochs:
                self.assertGreater(e["energy_j"], 0)
                self.assertIn(e["provenance"], ("measured_counter", "integrated_power", "estimated"))
            self.assertLessEqual(sum(e["energy_j"] for e in epochs), total["energy_j"] * 1.0001)
            self.assertEqual(run.events()["problems"], {})
            # Stored as `powertrain measure` stores a run: its epochs with their metrics.
            self.assertIsNotNone(run.run_id())
            stored = rows(db, "SELECT epoch, train_loss, val_metric FROM epochs ORDER BY epoch")
            self.assertEqual(stored, [(1, 1.0, 0.5), (2, 0.5, 0.6)])
            self.assertEqual(rows(db, "SELECT status FROM runs"), [("completed",)])
            # finish() is idempotent; the measurement stays in hand.
            self.assertEqual(run.finish()["energy_j"], total["energy_j"])

    def test_bad_names_are_refused_before_anything_is_sent(self):
        run = powertrain.Run("names")
        with self.assertRaisesRegex(ValueError, "control character"):
            run.begin("two\nlines")
        with self.assertRaisesRegex(ValueError, "1 to 200"):
            run.begin("")
        run.log(**{"bad name!": 1.0})  # counted as a problem of the stream, never fatal
        run.finish()
        self.assertEqual(run.events()["problems"], {"bad metric": 1})

    def test_devices_lists_the_sensors(self):
        sensors = powertrain.devices()
        self.assertTrue(any(s["used"] for s in sensors))
        self.assertTrue(all({"component", "source", "working", "detail"} <= set(s) for s in sensors))


class UnderMeasure(unittest.TestCase):
    def measure(self, d, args, **kw):
        trace = os.path.join(d, "t.csv")
        with open(trace, "w") as f:
            f.write("t_s,component,power_w\n0,gpu:0,100\n")
        out = os.path.join(d, "m.json")
        cmd = [BIN, "measure", "--db", os.path.join(d, "p.db"), "--replay", trace, "--json", out, "--"] + args
        r = subprocess.run(cmd, capture_output=True, text=True, env=env_without_channel(**kw), timeout=600)
        with open(out) as f:
            return r, json.load(f)

    def test_windows_go_to_the_parent_and_nothing_is_counted_twice(self):
        script = (
            "import powertrain\n"
            "run = powertrain.Run('child')\n"
            "assert run.under_measure and powertrain.under_measure()\n"
            "for e in run.epochs(range(3)):\n"
            "    sum(i * i for i in range(100000))\n"
            "    run.log(train_loss=1.0 / (e + 1))\n"
            "assert run.finish() is None and run.epoch_records() == []\n"
        )
        with tempfile.TemporaryDirectory() as d:
            r, j = self.measure(d, [sys.executable, "-c", script])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([e["epoch"] for e in j["epochs"]], [1, 2, 3])
            self.assertEqual(j["events"]["problems"], {})
            self.assertEqual(j["epochs"][2]["train_loss"], 1.0 / 3)
            # One meter (the parent's): a single gpu:0 component, no second run stored.
            self.assertEqual(rows(os.path.join(d, "p.db"), "SELECT count(*) FROM runs"), [(1,)])

    def test_a_hundred_thousand_events_leave_the_child_unaffected(self):
        script = (
            "import powertrain\n"
            "run = powertrain.Run('many')\n"
            "for i in range(50000):\n"
            "    run.begin('step')\n"
            "    run.end('step')\n"
            "print('child done')\n"
        )
        with tempfile.TemporaryDirectory() as d:
            r, j = self.measure(d, [sys.executable, "-c", script])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "child done\n")
            self.assertEqual(j["events"]["lines"], 100000)
            self.assertEqual(j["events"]["problems"], {"window over the limit": 40000})
            self.assertEqual(j["status"], "completed")

    def test_the_pytorch_example_gets_energy_and_metrics_per_epoch(self):
        with tempfile.TemporaryDirectory() as d:
            r, j = self.measure(d, [sys.executable, EXAMPLE] + EXAMPLE_ARGS)
            self.assertEqual(r.returncode, 0, r.stderr)
            db = os.path.join(d, "p.db")
            # Two epoch windows; at a constant 100 W the epochs and the time outside them add up to the run.
            epochs = rows(db, "SELECT epoch, energy_j, duration_s, train_loss, val_metric FROM epochs ORDER BY epoch")
            self.assertEqual([e[0] for e in epochs], [1, 2])
            run_j, run_s = rows(db, "SELECT energy_j, duration_s FROM runs")[0]
            epochs_j, epochs_s = sum(e[1] for e in epochs), sum(e[2] for e in epochs)
            self.assertAlmostEqual(epochs_j + 100.0 * (run_s - epochs_s), run_j, places=3)
            for e in epochs:
                self.assertAlmostEqual(e[1], 100.0 * e[2], places=3)
                self.assertGreater(e[3], 0)           # training loss
                self.assertGreater(e[4], 0.4)         # test accuracy after an epoch on 1,000 images
            self.assertEqual(len(rows(db, "SELECT id FROM windows WHERE name LIKE 'epoch %'")), 2)
            self.assertEqual(rows(db, "SELECT name FROM runs"), [("pytorch_fashion_mnist.py",)])  # the script names the run
            self.assertIn("epoch 2", r.stderr)
            # The same figures through the module on its own (no `measure`): two epochs, the same metrics.
            own = os.path.join(d, "own.db")
            r2 = subprocess.run([sys.executable, EXAMPLE] + EXAMPLE_ARGS, capture_output=True, text=True,
                                env=env_without_channel(POWERTRAIN_DB=own), timeout=600)
            self.assertEqual(r2.returncode, 0, r2.stderr)
            own_epochs = rows(own, "SELECT epoch, energy_j, train_loss, val_metric FROM epochs ORDER BY epoch")
            self.assertEqual([e[0] for e in own_epochs], [1, 2])
            for a, b in zip(epochs, own_epochs):
                self.assertGreater(b[1], 0)
                self.assertAlmostEqual(a[3], b[2], places=3)  # same seed, same thread count: same training
                self.assertAlmostEqual(a[4], b[3], places=3)
            # Reports, advice and the CodeCarbon export read it like any run.
            for args in (["report", "1", "--format", "text"], ["advise", "1"], ["export", "run", "1", "--format", "codecarbon"]):
                x = subprocess.run([BIN] + args + ["--db", db], capture_output=True, text=True, env=env_without_channel())
                self.assertEqual(x.returncode, 0, (args, x.stderr))
            report = subprocess.run([BIN, "report", "1", "--format", "md", "--out", "-", "--db", db], capture_output=True, text=True).stdout
            self.assertIn("Epochs", report)
            self.assertIn("2 windows (2 epochs), 4 metrics", report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
