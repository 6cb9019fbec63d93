"""The window's translation catalogue read without Qt: the CLI's texts (the self-test) in
Chinese or English, from the same resources/i18n .ts file the window's .qm is compiled from."""

from __future__ import annotations

import functools
import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping

from radval_desktop import paths
from radval_desktop.errors import Words

log = logging.getLogger(__name__)

ENGLISH = "en"  # the source language: no catalogue
CHINESE = "zh_CN"
AUTO = "auto"
# What a user or IT may write for ui.language, and the language each means.
SETTING_VALUES = {"en": ENGLISH, "english": ENGLISH, "zh": CHINESE, "zh_cn": CHINESE,
                  "zh-cn": CHINESE, "zh_hans": CHINESE}
# gettext's order: the first of these set names the language of messages.
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

Translate = Callable[[str, str], str]


def setting_language(setting: str) -> str | None:
    """The language ui.language names; None for "auto" or a value RadVal does not know."""
    return SETTING_VALUES.get(str(setting).strip().lower())


def cli_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The command line's language: ui.language, or with "auto" the locale of the shell
    (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): zh_CN.UTF-8, zh_TW … get Chinese."""
    chosen = setting_language(setting)
    if chosen is not None:
        return chosen
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "").split(":")[0]
        if value:
            return CHINESE if value.lower().startswith("zh") else ENGLISH
    return ENGLISH


def _english(context: str, text: str) -> str:
    return text


@functools.cache
def _messages(language: str) -> dict[tuple[str, str], str]:
    path = paths.resources_dir() / "i18n" / f"radval_{language}.ts"
    found: dict[tuple[str, str], str] = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as err:
        log.error("The translation file %s cannot be read (%s); the text stays English.",
                  path, err)
        return found
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            # An unfinished translation is no translation: Qt's lrelease leaves it out too.
            if translation is not None and translation.text and not translation.get("type"):
                found[(name, message.findtext("source") or "")] = translation.text
    return found


def translator(language: str) -> Translate:
    """(context, English text) -> the text in ``language``; the English when not translated."""
    if language == ENGLISH:
        return _english
    messages = _messages(language)
    return lambda context, text: messages.get((context, text), text)


def render(translate: Translate, context: str, template: str,
           values: Mapping[str, object] | Iterable[tuple[str, object]] = (),
           english: str | None = None) -> str:
    """``template`` translated, its values filled in (a Words value translated first); the
    English (or ``english``) when a translation does not fit its values, so a slip never
    hides the text. The window (workers/sentences.py), the self-test and the CLI all say
    their sentences through it."""
    # A sentence inside another drops its Chinese full stop: "（…在右侧）。", not "（…在右侧。）。".
    filled = {key: render(translate, value.context, value.template, value.values).rstrip("。")
              if isinstance(value, Words) else value for key, value in dict(values).items()}
    text = translate(context, template)
    if text != template and "written" in filled:
        # A safety flag's concept as the report words it (肺癌), not the term list's English
        # id: a translated window names it so (safety.checks._with_words).
        filled["concept"] = filled["written"]
    try:
        return text.format(**filled) if filled else text
    except (KeyError, IndexError, ValueError):
        log.error("The translation of %r does not fit its values; English shown.", template)
        if english is not None:
            return english
        return template.format(**filled) if filled else template
