"""Checks and hints on pasted findings: is it draftable text, which language, which system."""

from __future__ import annotations

import re
import unicodedata

from radval_desktop.errors import InputError, sentence

# A CT report's findings run to a few thousand characters; 20k leaves room for long MRI
# reports and stops a mistaken paste (a whole worklist, a file) before tokenizing it.
MAX_FINDINGS_CHARS = 20_000

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def clean_findings(text: str) -> str:
    """Return the findings ready for the prompt, or raise InputError with the reason."""
    if text is None or not text.strip():
        raise InputError(sentence("RadvalError",
                                  "The findings are empty: paste the FINDINGS section of the "
                                  "report."))
    if len(text) > MAX_FINDINGS_CHARS:
        raise InputError(
            sentence("RadvalError",
                     "The findings are {count:,} characters long; at most {max_findings_chars:,} "
                     "are accepted. Paste the FINDINGS section of one report only."),
            count=len(text), max_findings_chars=MAX_FINDINGS_CHARS
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = sum(
        1 for ch in text
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t"
    )
    if "\x00" in text or control > max(3, len(text) // 100):
        raise InputError(
            sentence("RadvalError",
                     "The pasted text contains {control} control or unassigned characters and "
                     "does not look like report text (a binary file?). Paste the FINDINGS as "
                     "plain text."),
            control=control
        )
    broken = sum(1 for ch in text if "\ud800" <= ch <= "\udfff")
    if broken:
        # Half of a UTF-16 pair is no character: llama.cpp and SQLite cannot take it as text.
        raise InputError(
            sentence("RadvalError",
                     "The pasted text contains {broken} broken characters (unpaired surrogates); "
                     "paste the FINDINGS again from the report as plain text."),
            broken=broken
        )
    if not any(ch.isalnum() for ch in text):
        raise InputError(sentence("RadvalError",
                                  "The findings contain no words: paste the FINDINGS section of "
                                  "the report."))
    return text.strip()


def detect_language(text: str) -> str:
    """'zh' when Chinese characters dominate the letters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk and cjk >= latin_words else "en"


# Words that name a body system, checked in this order (head before neck: "head and neck").
_SYSTEM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chest", ("肺", "胸", "纵隔", "支气管", "心影", "lung", "pleura", "mediastin", "chest",
               "pulmonary", "thorax", "bronch", "pneumo", "cardiomediastinal")),
    ("abdomen", ("肝", "胆", "胰", "脾", "肾", "腹", "胃", "肠", "盆腔", "liver", "hepat",
                 "kidney", "renal", "pancrea", "spleen", "abdom", "bowel", "pelvi", "gallbladder")),
    ("head", ("颅", "脑", "脑室", "brain", "cerebr", "intracranial", "ventricle", "skull",
              "white matter", "cerebell")),
    ("maxillofacial_neck", ("甲状腺", "颈部", "鼻窦", "眼眶", "颌", "咽", "喉", "thyroid",
                            "sinus", "orbit", "mandib", "maxill", "pharyn", "laryn", "parotid",
                            "neck")),
    ("musculoskeletal", ("骨", "关节", "椎", "韧带", "半月板", "肌", "bone", "joint", "fracture",
                         "vertebra", "ligament", "menisc", "tendon", "femur", "knee", "shoulder",
                         "spine", "osseous", "muscle")),
)


def suggest_body_system(text: str) -> str | None:
    """The body system whose words occur most often in the findings, or None."""
    lower = text.lower()
    counts = {system: sum(lower.count(word) for word in words) for system, words in _SYSTEM_WORDS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else None


def suggest_modality(text: str) -> str | None:
    lower = text.lower()
    if re.search(r"\bmri?\b|磁共振|t1wi|t2wi|flair|dwi|信号", lower):
        return "MRI"
    if re.search(r"\bct\b|密度|hu\b|attenuat|平扫|增强扫描", lower):
        return "CT"
    if re.search(r"radiograph|x-ray|\bpa\b|lateral view|x线|平片", lower):
        return "XR"
    return None
