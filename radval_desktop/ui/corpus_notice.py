"""The Draft view's first-run notice: no past reports in the example corpus yet, and the
button that imports them (the main window runs the import)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from radval_desktop.safety.retrieval import ImportSummary
from radval_desktop.workers.sentences import translated


def empty_text() -> str:
    return QCoreApplication.translate(
        "CorpusNotice", "No past reports yet: drafts use RadVal's built-in starter examples. "
        "Import past reports (CSV/XLSX/JSONL from the reporting system) so drafts follow your "
        "department's style.")


def no_history_text() -> str:
    return QCoreApplication.translate(
        "CorpusNotice", "Past reports are kept in the history database, and history is off: "
        "drafts use RadVal's built-in starter examples.")


def import_label() -> str:
    return QCoreApplication.translate("CorpusNotice", "Import past reports…")


def file_filter() -> str:
    return QCoreApplication.translate("CorpusNotice",
                                      "Past reports (*.csv *.tsv *.xlsx *.jsonl);;All files (*)")


def corpus_status(size: int | None) -> str:
    """The status bar's text for a corpus of ``size`` pairs (None: history is off)."""
    if size is None:
        return QCoreApplication.translate("CorpusNotice", "Examples: none — history is off")
    if not size:
        return QCoreApplication.translate("CorpusNotice", "Examples: none — starter examples")
    return QCoreApplication.translate("CorpusNotice", "Examples: {count:,}").format(count=size)


def import_message(summary: ImportSummary) -> str:
    """What an import did, in one line: "N pairs imported, M already there; K rows skipped
    (first: line 7: …)"."""
    pairs = (QCoreApplication.translate("CorpusNotice", "1 pair imported") if summary.added == 1
             else QCoreApplication.translate("CorpusNotice", "{count:,} pairs imported"))
    text = QCoreApplication.translate("CorpusNotice", "{pairs}, {duplicates:,} already there"
                                      ).format(pairs=pairs.format(count=summary.added),
                                               duplicates=summary.duplicates)
    if not summary.problems:
        return text + QCoreApplication.translate("CorpusNotice", ".")
    skipped = (QCoreApplication.translate("CorpusNotice", "1 row skipped")
               if len(summary.problems) == 1
               else QCoreApplication.translate("CorpusNotice", "{count:,} rows skipped"))
    return QCoreApplication.translate("CorpusNotice", "{text}; {skipped} (first: {problem})."
                                      ).format(text=text,
                                               skipped=skipped.format(count=len(summary.problems)),
                                               problem=_first_problem(summary))


def _first_problem(summary: ImportSummary) -> str:
    if summary.problem_words:
        words = summary.problem_words[0]
        return translated(words.context, words.template, words.values, str(words))
    return summary.problems[0]


class CorpusNotice(QFrame):
    """Shown while the corpus is empty or missing; its button only asks for an import."""

    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="draft.corpus_notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # A pale note, not an error: nothing is wrong with drafting without examples.
        self.setStyleSheet("#draft\\.corpus_notice { background: #fff8e1; "
                           "border: 1px solid #e0c060; border-radius: 4px; }")
        self._text = QLabel(empty_text(), objectName="draft.corpus_notice_text")
        self._text.setWordWrap(True)
        self._button = QPushButton(import_label(), objectName="draft.import_corpus")
        self._button.clicked.connect(self.import_requested)
        layout = QHBoxLayout(self)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._button)
        self._size: int | None = 0
        self._busy = False

    def set_corpus_size(self, size: int | None) -> None:
        """``size`` pairs in the corpus, None when there is none (history off)."""
        self._size = size
        self._text.setText(no_history_text() if size is None else empty_text())
        self.setVisible(not size)
        self._update_button()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_button()

    def button_text(self) -> str:
        return self._button.text()

    def _update_button(self) -> None:
        self._button.setEnabled(not self._busy)
        if self._busy:
            self._button.setText(self.tr("Importing…"))
        elif self._size is None:
            self._button.setText(self.tr("Import needs history on (Settings)…"))
            self._button.setToolTip(self.tr("Turn on Settings > History to keep past reports "
                                            "as examples; this opens Settings."))
        else:
            self._button.setText(import_label())
            self._button.setToolTip("")
