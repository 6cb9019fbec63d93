"""The window's language: RadVal's and Qt's own translations, chosen once at start."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from radval_desktop import paths
from radval_desktop.catalogue import AUTO, CHINESE, ENGLISH, setting_language
from radval_desktop.prompts import bundled_templates

log = logging.getLogger(__name__)

# The language names and ui.language's values are the core's (catalogue.py): the CLI's too.
LANGUAGES = (ENGLISH, CHINESE)
_TRANSLATORS = "_radval_translators"  # kept on the app: a translator Python frees stops working
_LANGUAGE = "_radval_language"


def translations_dir() -> Path:
    return paths.resources_dir() / "i18n"


def catalogue_path(language: str) -> Path:
    """RadVal's compiled translation file for ``language`` (none for English)."""
    return translations_dir() / f"radval_{language}.qm"


def choose_language(setting: str, system: QLocale | None = None) -> str:
    """The window language for the ui.language setting; "auto" (or a value RadVal has no
    translation for) follows the system locale: any Chinese locale gets Simplified Chinese."""
    chosen = setting_language(setting)
    if chosen is not None:
        return chosen
    if str(setting).strip().lower() not in ("", AUTO):
        log.warning("ui.language '%s' is not one of auto, en or zh_CN; the system's "
                    "language is used.", setting)
    locale = system if system is not None else QLocale.system()
    return CHINESE if locale.language() == QLocale.Language.Chinese else ENGLISH


def install_language(app: QCoreApplication, language: str) -> bool:
    """Translate the window into ``language`` from now on (widgets made later); False, with
    the reason logged, when its files cannot be loaded (the window then stays English)."""
    remove_language(app)
    if language == ENGLISH:
        return True
    own = QTranslator(app)
    if not own.load(str(catalogue_path(language))):
        log.error("The translation file %s cannot be loaded; the window stays in English.",
                  catalogue_path(language))
        return False
    translators = [own]
    # Qt's own texts (OK/Cancel, the file dialog, a line edit's context menu).
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        translators.append(qt)
    else:
        log.warning("Qt's own %s translation was not found; its dialog buttons stay English.",
                    language)
    for translator in translators:
        app.installTranslator(translator)
    setattr(app, _TRANSLATORS, translators)
    setattr(app, _LANGUAGE, language)
    return True


def remove_language(app: QCoreApplication) -> None:
    """Back to English (the source texts); tests switch languages with it."""
    for translator in getattr(app, _TRANSLATORS, []):
        app.removeTranslator(translator)
    setattr(app, _TRANSLATORS, [])
    setattr(app, _LANGUAGE, ENGLISH)


def current_language(app: QCoreApplication | None = None) -> str:
    app = app or QCoreApplication.instance()
    return str(getattr(app, _LANGUAGE, ENGLISH))


def body_system_names() -> dict[str, str]:
    """The body systems' names in the window's language: the prompt file's own words
    (胸部, 腹部, 肌肉骨骼系统 …), so the window and the prompt say the same."""
    names = dict(bundled_templates().body_systems["en"])
    if current_language() == CHINESE:
        names.update(bundled_templates().body_systems.get("zh", {}))
    return names
