"""Print the time from process start to the window shown and to the model ready, and the
resident memory after one draft. Figures only; never asserts.

    .venv/bin/python bench/startup.py [--lang en|zh] [--home DIR]

RADVAL_HOME defaults to bench/out/home (git-ignored), so the first run includes hashing the
model once and later runs show a warm start; the default model's assembled file comes from
the usual cache (RADVAL_CACHE, else the user's cache folder).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before anything heavy is imported

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

FINDINGS = {
    "en": "CT chest without contrast: patchy consolidation in the right lower lobe with air "
          "bronchograms. No pleural effusion. No enlarged mediastinal lymph nodes.",
    "zh": "胸部CT平扫：右肺下叶见斑片状高密度影，边界模糊，内见支气管充气征。双侧胸腔未见积液。",
}


def process_age() -> float:
    """Seconds since the kernel started this process (Linux), else since this script began."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22, starttime, counted after "pid (comm)"
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - T0


def memory_mb() -> tuple[float, float]:
    """Current and peak resident set size in MB (Linux /proc)."""
    values: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def thread_cpu_seconds() -> list[tuple[str, float]]:
    """CPU seconds used by each thread of this process, busiest first (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    result = []
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        result.append((f"{name}[{task.name}]", (int(fields[11]) + int(fields[12])) / ticks))
    return sorted(result, key=lambda item: -item[1])


def main() -> int:
    start = time.perf_counter() - process_age()  # the process start on perf_counter's clock
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(FINDINGS), default="en")
    parser.add_argument("--home", type=Path,
                        default=Path(__file__).resolve().parent / "out" / "home")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY")
                          else os.environ.get("QT_QPA_PLATFORM", "xcb"))
    if "RADVAL_CACHE" not in os.environ:
        from radval_desktop import paths

        os.environ["RADVAL_CACHE"] = str(paths.cache_dir())
    os.environ["RADVAL_HOME"] = str(args.home)

    from PySide6.QtCore import QObject, QTimer, Slot

    from radval_desktop.drafting import DraftResult
    from radval_desktop.engine.llama_engine import ModelInfo
    from radval_desktop.ui.app import create_application
    from radval_desktop.ui.main_window import MainWindow

    marks: dict[str, float] = {}
    app = create_application(sys.argv[:1])
    window = MainWindow()
    window.show()

    class Probe(QObject):
        @Slot()
        def shown(self) -> None:
            marks["window shown"] = time.perf_counter() - start

        @Slot(object)
        def loaded(self, info: ModelInfo) -> None:
            marks["model ready"] = time.perf_counter() - start
            marks["  of which llama.cpp load"] = info.load_seconds
            window.draft_panel.set_findings(FINDINGS[args.lang])
            window.draft_panel.generate()

        @Slot(str)
        def failed(self, sentence: str) -> None:
            print(f"model failed: {sentence}", file=sys.stderr)
            app.exit(1)

        @Slot(int, object)
        def drafted(self, _request_id: int, result: DraftResult) -> None:
            marks["first draft done"] = time.perf_counter() - start
            rss, peak = memory_mb()
            print(f"{'window shown':28s}{marks['window shown']:8.2f} s after process start")
            print(f"{'model ready':28s}{marks['model ready']:8.2f} s after process start")
            print(f"{'  of which llama.cpp load':28s}{marks['  of which llama.cpp load']:8.2f} s")
            print(f"{'first draft done':28s}{marks['first draft done']:8.2f} s after process start")
            print(f"{'  draft':28s}{result.total_seconds:8.2f} s, first token "
                  f"{result.first_token_seconds or 0:.2f} s, {result.completion_tokens} tokens, "
                  f"{result.tokens_per_second:.1f} tokens/s, {len(result.attempts)} attempt(s)")
            print(f"{'RSS after one draft':28s}{rss:8.0f} MB (peak {peak:.0f} MB)")
            busiest = ", ".join(f"{name} {cpu:.1f} s" for name, cpu in thread_cpu_seconds()[:4])
            print(f"{'CPU by thread':28s}{busiest}")
            print(f"model: {window.status_text('model')}; {window.status_text('device')}")
            print(f"impression: {result.text[:120]!r}")
            window.close()
            app.quit()

    probe = Probe()
    window.service.model_loaded.connect(probe.loaded)
    window.service.model_failed.connect(probe.failed)
    window.service.draft_finished.connect(probe.drafted)
    window.service.draft_failed.connect(lambda _rid, text: (print(text), app.exit(1)))
    # The first turn of the event loop comes after the window's first paint.
    QTimer.singleShot(0, probe.shown)
    status = app.exec()
    window.shutdown()
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
