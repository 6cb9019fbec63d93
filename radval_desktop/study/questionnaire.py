"""The seven-metric questionnaire of SPEC §7 (paper Fig. 9): names, questions, band labels."""

from __future__ import annotations

from dataclasses import dataclass

# Five bands of 20, top first (SPEC §7). A score on a boundary belongs to the band above
# it, except 0-20, which takes both ends: 80 is "Very easy", 20 is in the 20-40 band.
BANDS: tuple[tuple[int, int], ...] = ((80, 100), (60, 80), (40, 60), (20, 40), (0, 20))


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    name_zh: str
    question: str
    question_zh: str
    bands: tuple[str, str, str, str, str]  # labels for BANDS, top first
    bands_zh: tuple[str, str, str, str, str]

    def band(self, score: int) -> int:
        """Index into BANDS (0 = 80-100) of a score 0-100."""
        return next(i for i, (low, _) in enumerate(BANDS) if score >= low)

    def band_label(self, score: int) -> str:
        i = self.band(score)
        return f"{self.bands[i]} {self.bands_zh[i]}"


_FEW = ("Very few", "Relatively few", "Moderate number", "Relatively serious",
        "Extremely serious")
_FEW_ZH = ("极少", "较少", "中等", "较严重", "极其严重")

METRICS: tuple[Metric, ...] = (
    Metric("understandability", "Understandability", "可理解性",
           "Easy to understand and explain to ordinary people or clinicians?",
           "是否易于理解，便于向普通人或临床医生解释？",
           ("Very easy", "Fairly easy", "Moderate", "Somewhat difficult", "Very difficult"),
           ("非常容易", "比较容易", "一般", "有些困难", "非常困难")),
    Metric("coherence", "Coherence", "连贯性",
           "Logically clear, with a coherent structure between its parts?",
           "逻辑是否清晰，各部分之间结构是否连贯？",
           ("Highly coherent", "Fairly coherent", "Moderately coherent", "Somewhat incoherent",
            "Highly incoherent"),
           ("高度连贯", "比较连贯", "一般连贯", "有些不连贯", "非常不连贯")),
    Metric("relevance", "Relevance", "相关性",
           "Relevant to the given topic or content?",
           "是否与给定的主题或内容相关？",
           ("Highly relevant", "Fairly relevant", "Moderately relevant", "Somewhat irrelevant",
            "Completely irrelevant"),
           ("高度相关", "比较相关", "一般相关", "有些不相关", "完全不相关")),
    Metric("conciseness", "Conciseness", "简洁性",
           "Concise, free of redundant information, with nothing important lost?",
           "是否简洁、无冗余信息，且未遗漏重要内容？",
           ("Very concise", "Fairly concise", "Moderately concise", "Somewhat verbose",
            "Excessively wordy"),
           ("非常简洁", "比较简洁", "一般简洁", "有些冗长", "过于冗长")),
    Metric("clinical_utility", "Clinical utility", "临床实用性",
           "Of practical value in clinical practice?",
           "在临床实践中是否有实用价值？",
           ("Highly useful", "Fairly useful", "Moderately useful", "Somewhat unhelpful",
            "Completely useless"),
           ("非常有用", "比较有用", "一般有用", "有些无用", "完全无用")),
    Metric("missed_diagnosis", "Missed diagnosis", "漏诊",
           "Does it fail to identify a disease present in the findings? (higher = fewer)",
           "是否未能识别检查所见中存在的疾病？（分数越高，漏诊越少）",
           _FEW, _FEW_ZH),
    Metric("overdiagnosis", "Overdiagnosis", "过度诊断",
           "Are normal or mild conditions diagnosed as disease or over-treated? "
           "(higher = fewer)",
           "是否将正常或轻微情况诊断为疾病或过度治疗？（分数越高，过度诊断越少）",
           _FEW, _FEW_ZH),
)
METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
# SPEC §7 Q2, shown under every metric.
Q2 = ("If the text is not clinically relevant or has no relationship, choose 0 or NA and "
      "explain why: quote the part of the impression, one reason a line.")
Q2_ZH = "如果文本与临床无关或毫无关联，请选择0或NA并说明原因：引用印象中的相关部分，每行一个原因。"


def metric(key: str) -> Metric:
    for m in METRICS:
        if m.key == key:
            return m
    raise KeyError(key)


def band_range_text(index: int) -> str:
    low, high = BANDS[index]
    return f"{low}–{high}"
