"""powertrain for Python: energy per epoch and per window of a training script.

Three lines instrument a plain PyTorch loop::

    import powertrain                                   # 1
    for epoch in powertrain.epochs(range(10)):          # 2: each iteration is the window "epoch N"
        loss = train_one_epoch()
        acc = evaluate()
        powertrain.log(train_loss=loss, val_accuracy=acc)   # 3

(``powertrain.Run`` gives the same with a name, a store and the measurements in hand.)

Under ``powertrain measure -- python3 train.py`` the windows and metrics go to powertrain
through its event channel (docs/events.md) and are stored with the run; nothing is measured
twice. Run on its own, the module measures with its own meter (the same sensors) and, given
``db=`` or POWERTRAIN_DB, stores the run the same way. docs/python.md has the whole API.
"""

import atexit
import contextlib
import sys

from ._powertrain import EVENTS_FD_VARIABLE, EVENTS_VERSION, Meter, StoreError, devices, under_measure

__all__ = ["Run", "Meter", "StoreError", "devices", "under_measure", "run", "epochs", "log", "window",
           "EVENTS_FD_VARIABLE", "EVENTS_VERSION"]


class Run:
    """One measured run: windows, epochs and metrics.

    name: the run's name in the store (default: the script's name).
    db: SQLite store to record the run in when not under ``powertrain measure``
        (default: POWERTRAIN_DB, else not stored).
    interval_s: the sampling interval of the module's own meter.
    """

    def __init__(self, name=None, db=None, interval_s=0.1):
        script = sys.argv[0] if sys.argv and sys.argv[0] else "python"
        self._meter = Meter(name or script.rsplit("/", 1)[-1], db, interval_s)
        self._meter.set_command(" ".join(["python3"] + sys.argv))
        self._epoch = None
        self._ended = False
        self._meter.start()
        atexit.register(self._at_exit)

    @property
    def under_measure(self):
        """True when `powertrain measure` measures this run (its windows go there)."""
        return self._meter.channel

    def begin(self, name):
        """Opens the window `name` inside the innermost open one."""
        self._meter.begin(name)

    def end(self, name):
        """Closes the innermost open window `name`; returns its measurement (None under measure)."""
        return self._meter.end(name)

    @contextlib.contextmanager
    def window(self, name):
        """with run.window("validation"): ...  measures the block as one window."""
        self._meter.begin(name)
        result = {}
        try:
            yield result
        finally:
            m = self._meter.end(name)
            if m:
                result.update(m)

    def epochs(self, iterable):
        """Yields the items of `iterable`, each inside the window "epoch N" (N from 1)."""
        for n, item in enumerate(iterable, start=1):
            name = "epoch %d" % n
            self._meter.begin(name)
            self._epoch = n
            try:
                yield item
            finally:
                self._epoch = None
                self._meter.end(name)

    def log(self, epoch=None, **metrics):
        """Records metrics (train_loss, val_loss, val_accuracy, lr or any name) for the epoch
        open now, or `epoch` (a finished one), or the run when no epoch is open."""
        for key, value in metrics.items():
            self._meter.metric(key, float(value), epoch)

    def finish(self, status="completed"):
        """Ends the run; returns its measurement (None under measure). Called at exit too."""
        if self._ended:
            return self._meter.measurement()
        self._ended = True
        return self._meter.stop(status)

    def measurement(self):
        """The whole run's measurement after finish() (None under measure)."""
        return self._meter.measurement()

    def epoch_records(self):
        """The finished epochs with energy, time and metrics (empty under measure)."""
        return self._meter.epochs()

    def windows(self):
        """Every finished window's measurement, in the order they ended (empty under measure)."""
        return self._meter.windows()

    def events(self):
        """What the run's event stream held: counts and problems (None under measure)."""
        return self._meter.events()

    def run_id(self):
        """The run's id in the store, or None."""
        return self._meter.run_id()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finish("completed" if exc_type is None else ("interrupted" if exc_type is KeyboardInterrupt else "failed"))
        return False

    def _at_exit(self):
        if not self._ended:
            self.finish()


_default_run = None


def run():
    """The script's default Run, made on first use (what epochs(), log() and window() use)."""
    global _default_run
    if _default_run is None:
        _default_run = Run()
    return _default_run


def epochs(iterable):
    """for epoch in powertrain.epochs(range(n)): each iteration is the window "epoch N"."""
    return run().epochs(iterable)


def log(epoch=None, **metrics):
    """powertrain.log(train_loss=..., val_accuracy=...): metrics of the epoch open now (or of the run)."""
    run().log(epoch, **metrics)


def window(name):
    """with powertrain.window("validation"): ... measures the block as one window."""
    return run().window(name)
