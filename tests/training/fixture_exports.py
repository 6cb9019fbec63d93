"""Two institutions' exports as hospitals send them, for `prepare` and the data card test.

H1 (internal): one CSV in GBK with Chinese column names the aliases do not know.
H2 (external): a JSONL file (UTF-8) and an XLSX sheet with English column names.
Each row's comment says what prepare must do with it; test_data_card.py counts from them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

H1_COLUMNS = ["编号", "检查部位", "设备类型", "性别", "年龄", "报告描述", "报告结果"]
# CSV line = index + 2 (line 1 is the header).
H1_ROWS = [
    # line 2: kept; "检查所见：" title removed, "请结合临床。" removed (terms)
    ["A1", "胸部", "CT", "女", "45岁",
     "检查所见：双肺纹理清晰，右肺上叶见一磨玻璃结节，大小约6mm。",
     "右肺上叶磨玻璃结节。请结合临床。"],
    # line 3: kept
    ["A2", "胸部", "CT", "男", "63岁", "双肺纹理增多，左肺下叶见条索影，纵隔未见肿大淋巴结。",
     "左肺下叶少许纤维灶。"],
    # line 4: kept (and an H2 row repeats it: dropped there)
    ["A3", "腹部", "CT", "女", "52岁", "肝脏形态大小正常，肝右叶见一低密度灶，边界清。",
     "肝右叶囊肿可能。"],
    # line 5: kept; MR -> MRI
    ["A4", "腹部", "MR", "男", "38", "胆囊壁增厚，胆囊内见多发结石信号。", "胆囊炎，胆囊结石。"],
    # line 6: kept
    ["A5", "头部", "MRI", "女", "29岁", "右侧额叶见斑片状长T2信号，FLAIR呈高信号。",
     "右侧额叶异常信号，考虑缺血灶。"],
    # line 7: kept
    ["A6", "头部", "CT", "男", "71岁", "左侧基底节区见片状低密度影，脑室系统扩大。",
     "左侧基底节区腔隙性脑梗死，脑萎缩。"],
    # line 8: kept; 8 months -> age 0 in the card
    ["A7", "肌肉骨骼", "CT", "男", "8个月", "右侧股骨干见骨皮质连续性中断。", "右侧股骨干骨折。"],
    # line 9: kept; the repeated sentence removed
    ["A8", "颌面颈部", "CT", "女", "55岁",
     "甲状腺左叶见低密度结节。甲状腺左叶见低密度结节。颈部未见肿大淋巴结。", "甲状腺左叶结节。"],
    # line 10: dropped, duplicate of line 3 once its "影像所见：" title is removed
    ["A9", "胸部", "CT", "男", "63岁",
     "影像所见：双肺纹理增多，左肺下叶见条索影，纵隔未见肿大淋巴结。", "左肺下叶少许纤维灶。"],
    # line 11: dropped, empty impression
    ["A10", "胸部", "CT", "女", "40岁", "双肺未见异常。", ""],
    # line 12: kept; age 103
    ["A11", "胸部", "CT", "女", "103岁", "双肺散在斑片影，双侧胸腔少量积液。",
     "双肺炎症，双侧胸腔积液。"],
    # line 13: dropped, empty after cleaning (the impression is only a non-essential term)
    ["A12", "腹部", "CT", "男", "47岁", "脾脏稍大。", "请结合临床。"],
    # line 14: dropped, unknown body system
    ["A13", "足部", "CT", "男", "33岁", "右足跟骨见骨折线。", "右跟骨骨折。"],
]

H2_JSONL = [
    # line 1: kept; "Findings:" title and "Please correlate clinically." removed
    {"id": "B1", "part": "chest", "device": "CT", "gender": "M", "patient_age": "50Y",
     "description": "Findings: Small nodule in the right upper lobe. Please correlate clinically.",
     "result": "Right upper lobe nodule."},
    # line 2: kept
    {"id": "B2", "part": "abdomen", "device": "CT", "gender": "F", "patient_age": "61",
     "description": "The liver is enlarged with a hypodense lesion in segment 7.",
     "result": "Hepatomegaly with a segment 7 lesion."},
    # line 3: dropped, not JSON (written raw below)
    None,
    # line 4: dropped, duplicate of line 2
    {"id": "B4", "part": "abdomen", "device": "CT", "gender": "F", "patient_age": "61",
     "description": "The liver is enlarged with a hypodense lesion in segment 7.",
     "result": "Hepatomegaly with a segment 7 lesion."},
    # line 5: kept; sex unknown, no age
    {"id": "B5", "part": "head", "device": "MRI", "gender": "unknown", "patient_age": "",
     "description": "Periventricular white matter hyperintensities on FLAIR.",
     "result": "Chronic small vessel ischemic changes."},
]
H2_XLSX_COLUMNS = ["id", "part", "device", "gender", "patient_age", "description", "result"]
H2_XLSX = [
    # sheet row 2: kept; DR -> XR
    ["B6", "chest", "DR", "M", "40", "No focal consolidation. Heart size is normal.",
     "No acute cardiopulmonary abnormality."],
    # sheet row 3: dropped, the same report as H1 line 4 (kept there: institution 1 first)
    ["B7", "腹部", "CT", "女", "52", "肝脏形态大小正常，肝右叶见一低密度灶，边界清。",
     "肝右叶囊肿可能。"],
]

MAPPING = """
internal = "H1"

[[institutions]]
id = "H1"
name = "Hospital One"
files = ["h1_reports.csv"]
[institutions.columns]
findings = "报告描述"
impression = "报告结果"
body_system = "检查部位"
modality = "设备类型"
age = "年龄"
sex = "性别"

[[institutions]]
id = "H2"
name = "Hospital Two"
files = ["h2_reports.jsonl", "h2_more.xlsx"]
[institutions.columns]
body_system = "part"
modality = "device"
age = "patient_age"
"""


def write_exports(folder: Path) -> Path:
    """Write both institutions' files and the mapping; returns the mapping's path."""
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "h1_reports.csv").open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(H1_COLUMNS)
        writer.writerows(H1_ROWS)
    lines = [json.dumps(r, ensure_ascii=False) if r else '{"id": "B3", "part": "chest",'
             for r in H2_JSONL]
    (folder / "h2_reports.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(H2_XLSX_COLUMNS)
    for row in H2_XLSX:
        sheet.append(row)
    book.save(folder / "h2_more.xlsx")
    mapping = folder / "institutions.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def corpus_texts() -> list[str]:
    """Every text of the fixtures, for training the tiny tokenizer."""
    texts = [cell for row in H1_ROWS for cell in row[5:]]
    texts += [r["description"] + " " + r["result"] for r in H2_JSONL if r]
    texts += [row[5] + " " + row[6] for row in H2_XLSX]
    return texts
