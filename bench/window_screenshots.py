"""Screenshots of the real window drafting real abnormal chest CTs from ../shared/data.

For each chosen report (seeded; abnormal: the impression is not a normal statement), the
window drafts it twice in a private RADVAL_HOME: first with no corpus (a fresh install: the
starter examples and the first-run notice), then after the file's other reports are imported
as the department's past reports (the case itself is never used as its own example: the
pipeline's rule). PNGs go to screenshots/ (git-ignored: they show licensed data) and the
drafts are printed beside the radiologist's impression. Asserts nothing.

    QT_QPA_PLATFORM=offscreen python bench/window_screenshots.py [--cases 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import REPO, SKIPPED, find_data_dir, load_pairs, use_bench_cache  # noqa: E402

SCREENSHOTS = REPO / "screenshots"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    data = find_data_dir()
    if data is None:
        print(SKIPPED)
        return 0
    use_bench_cache()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="radval-shots-"))
    os.environ["RADVAL_HOME"] = str(home)
    os.environ["RADVAL_SYSTEM_CONFIG"] = str(home / "system-config.toml")
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[model]\nn_threads = 1\n", encoding="utf-8")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    from radval_desktop.ui.app import configure_application
    from radval_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    configure_application(app)
    pairs = load_pairs(data / "cov_ctr_zh.dev.jsonl")
    abnormal = [p for p in pairs if "未见" not in p.impression and "正常" not in p.impression]
    chosen = random.Random(args.seed).sample(sorted(abnormal, key=lambda p: p.id), args.cases)

    def wait(signal: object, ms: int = 300_000) -> list[object]:
        loop, got = QEventLoop(), []

        def done(*values: object) -> None:
            got.extend(values)
            loop.quit()

        signal.connect(done)  # type: ignore[attr-defined]
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        signal.disconnect(done)  # type: ignore[attr-defined]
        return got

    window = MainWindow(load_model=False)
    window.resize(1100, 800)
    window.show()
    window.load_model()
    wait(window.service.model_loaded)
    SCREENSHOTS.mkdir(exist_ok=True)
    for stage in ("no-corpus", "corpus"):
        if stage == "corpus":
            past = home / "past.csv"
            with past.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["findings", "impression", "body_system", "modality"])
                writer.writerows((p.findings, p.impression, "chest", "CT") for p in pairs)
            window.import_corpus_file(past)
            wait(window.importer.import_finished, 120_000)
        for number, pair in enumerate(chosen, 1):
            window.findChild(QPlainTextEdit, "draft.findings").setPlainText(pair.findings)
            window.draft_panel.generate()
            got = wait(window.service.draft_finished)
            app.processEvents()
            path = SCREENSHOTS / f"real-chest-ct-{number}-{stage}.png"
            window.grab().save(str(path))
            result = got[1] if len(got) > 1 else None
            text = window.findChild(QPlainTextEdit, "draft.impression").toPlainText()
            print(f"[{stage} {number}] findings: {pair.findings}\n  draft: {text!r}\n"
                  f"  radiologist: {pair.impression!r}\n"
                  f"  message: {window.draft_panel.message_text()}\n"
                  f"  examples: {getattr(result, 'example_source', '?')}, "
                  f"flags: {[f.reason for f in getattr(result, 'flags', ())]}\n  -> {path}")
    window.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
