"""The import's column mapping step: which column of the lead's file holds each field, guessed
from known names (or the mapping confirmed last time for this header), confirmed by the lead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QCoreApplication, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.study.columns import IMPORT_FIELDS, IMPORT_REQUIRED, ordered
from radval_desktop.study.importing import ImportSummary
from radval_desktop.workers.sentences import translated

# Bad rows named in the window's message; `radval study import` names every one.
PROBLEMS_SHOWN = 8


def field_name(name: str) -> str:
    """The field as the lead reads it, in the window's language."""
    names = {
        "findings": QCoreApplication.translate("ColumnMappingDialog", "Findings"),
        "impression": QCoreApplication.translate(
            "ColumnMappingDialog", "Reference impression (optional)"),
        "model": QCoreApplication.translate("ColumnMappingDialog", "Model (hidden from raters)"),
        "candidate": QCoreApplication.translate(
            "ColumnMappingDialog", "Candidate impression (to be scored)"),
        "institution": QCoreApplication.translate("ColumnMappingDialog", "Institution"),
        "body_system": QCoreApplication.translate("ColumnMappingDialog", "Body system"),
        "modality": QCoreApplication.translate("ColumnMappingDialog", "Modality"),
        "case_id": QCoreApplication.translate("ColumnMappingDialog", "Case id"),
        "age": QCoreApplication.translate("ColumnMappingDialog", "Age"),
        "sex": QCoreApplication.translate("ColumnMappingDialog", "Sex"),
    }
    return names.get(name, name)


def import_text(summary: ImportSummary) -> str:
    """What an import did: counts, the columns used, the rows skipped by line (in the Study
    tab's words, as before the mapping step)."""
    lines = [QCoreApplication.translate(
        "StudyPanel", "{cases} cases, {candidates} candidates imported; {n} rows skipped."
    ).format(cases=summary.cases, candidates=summary.candidates, n=len(summary.problems))]
    lines.append(QCoreApplication.translate("StudyPanel", "Columns: {columns}").format(
        columns=", ".join(f"{k}={v}" for k, v in ordered(summary.columns).items())))
    for problem in summary.problems[:PROBLEMS_SHOWN]:  # "line 3: empty findings"
        words = problem.sentence()
        lines.append(QCoreApplication.translate("StudyPanel", "{problem}; skipped").format(
            problem=translated(words.context, words.template, words.values, str(problem))))
    if len(summary.problems) > PROBLEMS_SHOWN:
        lines.append(QCoreApplication.translate(
            "StudyPanel", "… and {n} more rows skipped: `radval study import` lists each."
        ).format(n=len(summary.problems) - PROBLEMS_SHOWN))
    return "\n".join(lines)


class ColumnMappingDialog(QDialog):
    def __init__(self, file_name: str, columns: Sequence[str], chosen: Mapping[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("study.columns")
        self.setWindowTitle(self.tr("Columns of {name}").format(name=file_name))
        self.intro = QLabel(self.tr(
            "Which column of {name} holds each field? Known column names were filled in; "
            "check each and change any that is wrong. Rows with an empty findings, model or "
            "candidate cell are named by line and skipped.").format(name=file_name),
            wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.status = QLabel(objectName="study.columns.status", wordWrap=True,
                             textFormat=Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Import"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        # Wide enough for a long Chinese column name and the name box's example in full.
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.setMinimumWidth(560)
        for name in IMPORT_FIELDS:
            combo = QComboBox(objectName=f"study.columns.{name}")
            combo.addItem(self.tr("— no column —"), None)
            for column in columns:
                combo.addItem(column, column)
            found = combo.findData(chosen.get(name)) if chosen.get(name) else 0
            combo.setCurrentIndex(max(found, 0))
            combo.currentIndexChanged.connect(self._on_combo_changed)
            self._combos[name] = combo
            label = field_name(name) + (" *" if name in IMPORT_REQUIRED else "")
            form.addRow(label, combo)
            if name == "model":
                # A reporting system's export has no model column: the radiologists' own
                # impressions are imported as one blinded "model" the lead names here.
                self.model_name = QLineEdit(objectName="study.columns.model_name")
                self.model_name.setPlaceholderText(self.tr(
                    "or one name for every row, e.g. radiologist"))
                self.model_name.textChanged.connect(self._on_combo_changed)
                form.addRow("", self.model_name)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._on_combo_changed()

    def combo(self, name: str) -> QComboBox:
        return self._combos[name]

    def column(self, name: str) -> str | None:
        data = self._combos[name].currentData()
        return data if isinstance(data, str) else None

    def mapping(self) -> dict[str, str]:
        """Every field: its column, or "" for none (so no known name is guessed over the
        lead's choice)."""
        return {name: self.column(name) or "" for name in IMPORT_FIELDS}

    def model(self) -> str:
        """The name for rows naming no model; "" when a model column is chosen."""
        return "" if self.column("model") else self.model_name.text().strip()

    @Slot()
    def _on_combo_changed(self) -> None:
        self.model_name.setEnabled(self.column("model") is None)
        missing = [name for name in IMPORT_REQUIRED if self.column(name) is None
                   and not (name == "model" and self.model())]
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not missing)
        self.status.setText(self.tr("Choose a column for {fields} to import.").format(
            fields=", ".join(missing)) if missing else "")
