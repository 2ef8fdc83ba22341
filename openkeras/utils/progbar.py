"""The Keras 2 progress bar, as printed by `fit(verbose=1)` and `fit(verbose=2)`.

Where it prints decides how it redraws: in a terminal one line is redrawn in place (backspaces
and \\r, as Keras); in a Jupyter notebook with a bare \\r (one updating line); in a log file or
CI log, where nothing can be redrawn, a whole line at most every ``LOG_INTERVAL`` seconds and
at the end of each epoch.
"""

import math
import os
import sys
import time

# Without a terminal (a log file, CI) the bar cannot redraw itself in place, so
# intermediate states are printed as whole lines at most this often (seconds).
LOG_INTERVAL = 60.0


def _in_notebook() -> bool:
    """Output goes to a Jupyter kernel (its stdout is not a terminal, but redraws with \\r)."""
    stream = sys.stdout
    return "ipykernel" in sys.modules and not (hasattr(stream, "isatty") and stream.isatty())


def _interactive_stdout() -> bool:
    stream = sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return True
    return _in_notebook() or "PYCHARM_HOSTED" in os.environ


def resolve_verbose(verbose):
    """The verbosity ``fit`` / ``evaluate`` / ``predict`` use for their ``verbose`` argument.

    ``'auto'`` is 1, as in tf.keras 2 (which uses 2 only with ParameterServerStrategy or absl
    logging, neither of which exists in openkeras); the progress bar itself adapts to where
    it prints (terminal, notebook, log file).
    """
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")


def _to_float(value) -> float:
    """The mean of a python number, numpy array or torch tensor, as a float."""
    if hasattr(value, "detach"):
        return float(value.detach().double().mean().item())
    if hasattr(value, "mean"):
        return float(value.mean())
    return float(value)


def _format_value(value: float) -> str:
    return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"


class Progbar:
    """Displays a progress bar.

    Values are kept as given (python floats or 0-d torch tensors, possibly on an
    accelerator) and converted to floats only when a line is actually printed,
    so updating the bar does not force a device synchronization.

    Args:
        target: Total number of steps expected, None if unknown.
        width: Progress bar width on screen.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose).
        interval: Minimum visual progress update interval (in seconds).
        stateful_metrics: Iterable of names of metrics that should *not* be
            averaged over time; they are displayed as-is.
        unit_name: Display name for step counts (usually "step" or "sample").
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _interactive_stdout()
        # Notebook front ends show backspaces as garbage; a bare \r redraws the line there.
        self._backspace = not _in_notebook()
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum (or last value), weight]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._last_logged = self._start
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None

    def update(self, current, values=None, finalize=None):
        """Updates the progress bar.

        Args:
            current: Index of current step.
            values: List of tuples `(name, value_for_last_step)`. Metrics in
                `stateful_metrics` are displayed as-is; others are averaged
                over the steps seen so far.
            finalize: Whether this is the last update for the progress bar.
                If None, `current >= self.target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                # At least 1, so a repeated `current` (end of an epoch of
                # unknown length) still counts the value.
                weight = max(current - self._seen_so_far, 1)
                if name in self._values:
                    self._values[name][0] = self._values[name][0] + value * weight
                    self._values[name][1] += weight
                else:
                    self._values[name] = [value * weight, weight]
        self._seen_so_far = current

        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if not finalize:
                if now - self._last_update < self.interval:
                    return
                if not self._dynamic_display and now - self._last_logged < LOG_INTERVAL:
                    return
            self._write(self._verbose_1_message(current, now, finalize))
            self._last_logged = now
        elif self.verbose == 2 and finalize:
            self._write(self._verbose_2_message(current, now))
        self._last_update = now

    def add(self, n, values=None):
        """Advance the bar by `n` steps; see `update`."""
        self.update(self._seen_so_far + n, values)

    def _write(self, message):
        sys.stdout.write(message)
        sys.stdout.flush()

    def _bar(self, current):
        if self.target is None:
            return "%7d/Unknown" % current
        numdigits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
        bar = ("%" + str(numdigits) + "d/%d [") % (current, self.target)
        prog_width = int(self.width * (float(current) / self.target)) if self.target else self.width
        prog_width = min(prog_width, self.width)
        if prog_width > 0:
            bar += "=" * (prog_width - 1)
            bar += ">" if current < self.target else "="
        return bar + "." * (self.width - prog_width) + "]"

    def _metrics_info(self):
        info = ""
        for name in self._values_order:
            total, weight = self._values[name]
            info += f" - {name}:" + _format_value(_to_float(total) / max(1, weight))
        return info

    def _verbose_1_message(self, current, now, finalize):
        prev_total_width = self._total_width
        message = ""
        if self._dynamic_display:
            message = ("\b" * prev_total_width if self._backspace else "") + "\r"
        bar = self._bar(current)
        self._total_width = len(bar)
        time_per_unit = self._estimate_step_duration(current, now)
        if self.target is None or finalize:
            info = f" - {now - self._start:.0f}s" + _format_time(time_per_unit, self.unit_name)
        else:
            info = " - ETA: " + _format_eta(time_per_unit * (self.target - current))
        info += self._metrics_info()
        self._total_width += len(info)
        if self._dynamic_display and prev_total_width > self._total_width:
            info += " " * (prev_total_width - self._total_width)
        if finalize or not self._dynamic_display:
            info += "\n"
        return message + bar + info

    def _verbose_2_message(self, current, now):
        if self.target is None:
            count = str(current)
        else:
            numdigits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            count = ("%" + str(numdigits) + "d/%d") % (current, self.target)
        info = count + f" - {now - self._start:.0f}s" + self._metrics_info()
        if self._time_at_epoch_end:
            time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            info += " -" + _format_time(time_per_epoch, "epoch")
            info += " -" + _format_time(time_per_epoch / self.target, self.unit_name)
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
        return info + "\n"

    def _estimate_step_duration(self, current, now):
        """Seconds per step, ignoring the (usually slow) first step once possible."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


def _format_time(time_per_unit, unit_name):
    """' 29ms/step', ' 3s/epoch', ' 750us/sample'."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta
