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
    # The paper's definition above each metric, and the part its Q2 asks the rater to quote
    # ("[copy paste incoherent part]"), from the appendix to Fig. 9.
    definition: str = ""
    definition_zh: str = ""
    quote_part: str = ""
    quote_part_zh: str = ""

    @property
    def q2(self) -> str:
        """Fig. 9's Q2 in this metric's own words."""
        return (f"{Q2_OPENING}: quote the {self.quote_part} from the impression, then explain "
                "briefly, one reason a line.")

    @property
    def q2_zh(self) -> str:
        return f"{Q2_OPENING_ZH}：引用诊断意见中{self.quote_part_zh}，并简要说明，每行一个原因。"

    def band(self, score: int) -> int:
        """Index into BANDS (0 = 80-100) of a score 0-100."""
        return next(i for i, (low, _) in enumerate(BANDS) if score >= low)

    def band_label(self, score: int) -> str:
        i = self.band(score)
        return f"{self.bands[i]} {self.bands_zh[i]}"


_FEW = ("Very few", "Relatively few", "Moderate number", "Relatively serious",
        "Extremely serious")
_FEW_ZH = ("极少", "较少", "中等数量", "较严重", "极其严重")

METRICS: tuple[Metric, ...] = (
    Metric("understandability", "Understandability", "可理解性",
           "Easy to understand and explain to ordinary people or clinicians?",
           "诊断意见是否易于理解，便于向患者等非专业人士或临床医生解释？",
           ("Very easy", "Fairly easy", "Moderate", "Somewhat difficult", "Very difficult"),
           ("非常容易", "比较容易", "一般", "有些困难", "非常困难"),
           "The impression should be easy to understand, in concise language, avoiding overly "
           "technical or complex terms, so that users easily grasp its meaning and significance.",
           "诊断意见应易于理解，语言简洁，避免使用过于专业或晦涩的术语，使读者容易把握其含义和临床意义。",
           "incomprehensible part", "难以理解的部分"),
    Metric("coherence", "Coherence", "连贯性",
           "Logically clear, with a coherent structure between its parts?",
           "诊断意见是否逻辑清晰，各部分之间结构连贯？",
           ("Highly coherent", "Fairly coherent", "Moderately coherent", "Somewhat incoherent",
            "Highly incoherent"),
           ("高度连贯", "比较连贯", "一般连贯", "有些不连贯", "非常不连贯"),
           "A coherent impression has a good structure and organization, not just a collection of "
           "related information: each sentence is connected to its context, and together they form"
           " a coherent body of information on one topic.",
           "诊断意见应结构合理、条理清楚，而不只是相关信息的罗列：每句话都与上下文衔接，"
           "共同构成围绕同一主题的连贯整体。",
           "incoherent part", "不连贯的部分"),
    Metric("relevance", "Relevance", "相关性",
           "Relevant to the given topic or content?",
           "诊断意见是否与给定的主题或内容相关？",
           ("Highly relevant", "Fairly relevant", "Moderately relevant", "Somewhat irrelevant",
            "Completely irrelevant"),
           ("高度相关", "比较相关", "一般相关", "有些不相关", "完全不相关"),
           "The impression should be closely related to the question or need, address the question"
           " posed or focus on the main topic, and give useful information relevant to it.",
           "诊断意见应与问题或需求密切相关，回应所提出的问题或聚焦主题，并提供与之相关的有用信息。",
           "irrelevant part", "不相关的部分"),
    Metric("conciseness", "Conciseness", "简洁性",
           "Concise, free of redundant information, with nothing important lost?",
           "诊断意见是否简洁，没有冗余或不必要的信息，且未遗漏重要内容？",
           ("Very concise", "Fairly concise", "Moderately concise", "Somewhat verbose",
            "Excessively wordy"),
           ("非常简洁", "比较简洁", "一般简洁", "有些冗长", "过于冗长"),
           "The impression should be as concise and clear as possible, avoiding lengthy "
           "descriptions and needless repetition to save the reader time, while no important "
           "detail or information is lost.",
           "诊断意见应尽可能简洁明了，避免冗长描述和不必要的重复，以节省读者的时间和精力；"
           "同时应确保重要细节和信息不丢失。",
           "verbose part", "冗长的部分"),
    Metric("clinical_utility", "Clinical utility", "临床实用性",
           "Of practical value in clinical practice?",
           "诊断意见在临床实践中是否有实用价值？",
           ("Highly useful", "Fairly useful", "Moderately useful", "Somewhat unhelpful",
            "Completely useless"),
           ("非常有用", "比较有用", "有一定用处", "帮助不大", "完全无用"),
           "The impression should be of clinical use: information about the patient's condition, "
           "diagnosis, treatment recommendations or other practical medical information that helps"
           " clinicians judge and decide accurately.",
           "诊断意见应具有一定的临床实用性：为临床医生提供患者病情、诊断、治疗建议或其他实用的医学信息，"
           "帮助其做出准确的判断和决策。",
           "useless part", "无用的部分"),
    Metric("missed_diagnosis", "Missed diagnosis", "漏诊",
           "Does it fail to identify a disease present in the findings? (higher = fewer)",
           "诊断意见是否存在漏诊，即未能正确识别或确认检查所见中存在的疾病？（分数越高，漏诊越少）",
           _FEW, _FEW_ZH,
           "Missed diagnosis is a failure to diagnose a disease or symptom the patient has. It "
           "may delay treatment or withhold appropriate care, risking the patient's health and "
           "letting the disease progress; reducing missed diagnoses is crucial in practice.",
           "漏诊指未能正确诊断患者实际存在的疾病或病变，可能导致治疗延误或患者得不到恰当的诊治，"
           "危及患者健康，甚至导致疾病进展或恶化；在临床实践中，减少漏诊对及时发现和治疗疾病至关重要。",
           "incorrectly diagnosed part", "漏诊或诊断错误的部分"),
    Metric("overdiagnosis", "Overdiagnosis", "过度诊断",
           "Are normal or mild conditions diagnosed as disease or over-treated? "
           "(higher = fewer)",
           "诊断意见是否存在过度诊断，即将正常表现诊断为疾病，或对轻微病变给出过度的处理建议？"
           "（分数越高，过度诊断越少）",
           _FEW, _FEW_ZH,
           "Overdiagnosis is an unnecessary diagnosis of a person who does not have the "
           "disease. It may lead to needless treatment and interventions, raise costs and harm "
           "the person's health.",
           "过度诊断指对实际上并未患病的人做出不必要的诊断，可能导致不必要的治疗和干预，"
           "增加医疗费用，并可能对患者健康产生负面影响。",
           "overdiagnosed part", "过度诊断的部分"),
)
METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
# SPEC §7 Q2; each metric says which part to quote (Metric.q2).
Q2_OPENING = ("If the text is not clinically relevant or has no relationship, choose 0 or NA "
              "and explain why")
Q2_OPENING_ZH = "如果文本与临床无关或毫无关联，请选择0或NA并说明原因"
Q2 = ("If the text is not clinically relevant or has no relationship, choose 0 or NA and "
      "explain why: quote the part of the impression, one reason a line.")
Q2_ZH = ("如果文本与临床无关或毫无关联，请选择0或NA并说明原因：引用诊断意见中的相关部分，"
         "每行一个原因。")


def metric(key: str) -> Metric:
    for m in METRICS:
        if m.key == key:
            return m
    raise KeyError(key)


def band_range_text(index: int) -> str:
    low, high = BANDS[index]
    return f"{low}–{high}"
