"""Example retrieval at scale (issue 15): import 100,000 synthetic pairs, time similar().

The pairs are made here from word lists (Chinese and English chest, abdomen and head
sentences), never from ../shared/data, so the figures need no data and leak none. The
corpus is built with the app's own import (a JSONL file through ``import_pairs``) in a
temporary folder; then ``similar()`` is timed for new queries (half Chinese, half English)
as the drafting pipeline calls it: k=3, the default budget, the case itself excluded.
Prints the import time and the median, p95 and max milliseconds per query; asserts nothing.

    python bench/retrieval_speed.py [--pairs 100000] [--queries 200] [--seed 15]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from radval_desktop.safety.retrieval import ExampleCorpus, import_pairs, word_set  # noqa: E402
from radval_desktop.store.database import open_database  # noqa: E402
from radval_desktop.words import jieba_tokenizer  # noqa: E402

ZH = {
    "chest": {
        "place": ["右肺上叶", "右肺中叶", "右肺下叶", "左肺上叶", "左肺下叶", "双肺", "左肺舌段"],
        "finding": ["片状磨玻璃影", "斑片状高密度影", "实性结节", "条索影", "空洞影", "钙化灶",
                    "实变影", "小叶间隔增厚"],
        "detail": ["边缘不清", "边界清楚", "内见支气管充气征", "直径约{n}mm", "周围见毛刺",
                   "邻近胸膜牵拉"],
        "rest": ["双侧胸腔未见积液", "纵隔内未见肿大淋巴结", "心影大小正常", "气管支气管通畅",
                 "右侧胸腔少量积液", "主动脉壁钙化"],
        "impression": ["{place}炎性病变", "{place}结节，建议随访", "{place}慢性炎症",
                       "{place}占位性病变，建议进一步检查", "{place}陈旧性病变"],
    },
    "abdomen": {
        "place": ["肝右叶", "肝左叶", "胆囊", "胰头", "脾脏", "右肾", "左肾", "阑尾区"],
        "finding": ["低密度灶", "囊性灶", "高密度结石影", "软组织肿块", "强化结节", "积气积液"],
        "detail": ["大小约{n}mm", "边界清楚", "增强后未见强化", "动脉期明显强化", "壁增厚",
                   "周围脂肪间隙模糊"],
        "rest": ["腹腔未见积液", "腹膜后未见肿大淋巴结", "胆管未见扩张", "胰腺形态正常",
                 "双肾大小形态正常"],
        "impression": ["{place}囊肿", "{place}结石", "{place}占位，建议增强检查",
                       "{place}炎症", "{place}血管瘤可能"],
    },
    "head": {
        "place": ["右侧基底节区", "左侧基底节区", "右侧额叶", "左侧颞叶", "双侧半卵圆中心",
                  "脑干", "小脑半球", "左侧丘脑"],
        "finding": ["片状低密度影", "斑点状高密度影", "腔隙灶", "软化灶", "占位性病变",
                    "出血灶"],
        "detail": ["边界模糊", "周围见水肿带", "大小约{n}mm", "中线结构居中", "占位效应不明显"],
        "rest": ["脑室系统未见扩张", "脑沟脑裂未见增宽", "颅骨未见骨折", "鼻窦未见异常"],
        "impression": ["{place}腔隙性脑梗死", "{place}脑出血", "{place}软化灶",
                       "{place}占位，建议增强MRI", "脑白质脱髓鞘改变"],
    },
}
EN = {
    "chest": {
        "place": ["right upper lobe", "right middle lobe", "right lower lobe", "left upper lobe",
                  "left lower lobe", "lingula", "both lungs"],
        "finding": ["patchy ground-glass opacity", "consolidation", "a solid nodule",
                    "linear atelectasis", "a cavitary lesion", "a calcified granuloma"],
        "detail": ["with ill-defined margins", "with air bronchograms", "measuring {n} mm",
                   "with spiculated margins", "abutting the pleura"],
        "rest": ["No pleural effusion.", "No pneumothorax.", "Heart size is normal.",
                 "Mediastinal lymph nodes are not enlarged.", "Small right pleural effusion.",
                 "The trachea is midline."],
        "impression": ["Pneumonia in the {place}.", "Pulmonary nodule in the {place}; follow-up "
                       "CT advised.", "Atelectasis of the {place}.", "Mass in the {place}; "
                       "further workup advised.", "Old granulomatous disease."],
    },
    "abdomen": {
        "place": ["right hepatic lobe", "left hepatic lobe", "gallbladder", "pancreatic head",
                  "spleen", "right kidney", "left kidney", "appendix"],
        "finding": ["a hypodense lesion", "a simple cyst", "a calcified stone",
                    "a soft-tissue mass", "an enhancing nodule", "wall thickening"],
        "detail": ["measuring {n} mm", "without enhancement", "with arterial enhancement",
                   "with surrounding fat stranding", "with clear margins"],
        "rest": ["No ascites.", "No retroperitoneal lymphadenopathy.",
                 "The bile ducts are not dilated.", "The pancreas is unremarkable.",
                 "Both kidneys are normal in size."],
        "impression": ["Cyst of the {place}.", "Stone in the {place}.", "Mass of the {place}; "
                       "contrast-enhanced study advised.", "Inflammation of the {place}.",
                       "Probable hemangioma of the {place}."],
    },
    "head": {
        "place": ["right basal ganglia", "left basal ganglia", "right frontal lobe",
                  "left temporal lobe", "centrum semiovale", "brainstem", "cerebellum",
                  "left thalamus"],
        "finding": ["a hypodense focus", "a hyperdense focus", "a lacunar infarct",
                    "encephalomalacia", "a mass lesion", "a hemorrhage"],
        "detail": ["with surrounding edema", "measuring {n} mm", "without mass effect",
                   "with midline shift of {n} mm"],
        "rest": ["The ventricles are not dilated.", "No skull fracture.",
                 "The paranasal sinuses are clear.", "Sulci are normal for age."],
        "impression": ["Lacunar infarct in the {place}.", "Hemorrhage in the {place}.",
                       "Encephalomalacia of the {place}.", "Mass in the {place}; MRI with "
                       "contrast advised.", "Chronic small-vessel ischemic change."],
    },
}


def make_pair(rng: random.Random) -> dict[str, str]:
    """One synthetic case: 1-3 lesion sentences and 2-4 background sentences."""
    language = rng.choice(("zh", "en"))
    system = rng.choice(("chest", "abdomen", "head"))
    words = (ZH if language == "zh" else EN)[system]
    sentences, first_place = [], ""
    for _ in range(rng.randint(1, 3)):
        place = rng.choice(words["place"])
        first_place = first_place or place
        detail = rng.choice(words["detail"]).format(n=rng.randint(3, 40))
        if language == "zh":
            sentences.append(f"{place}见{rng.choice(words['finding'])}，{detail}。")
        else:
            sentences.append(f"There is {rng.choice(words['finding'])} in the {place} {detail}.")
    sentences += rng.sample(words["rest"], rng.randint(2, min(4, len(words["rest"]))))
    joiner = "" if language == "zh" else " "
    return {"findings": joiner.join(sentences), "body_system": system,
            "impression": rng.choice(words["impression"]).format(place=first_place)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    jieba_tokenizer()  # loaded once per process (~0.7 s): not the import's cost
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "past-reports.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for _ in range(args.pairs):
                out.write(json.dumps(make_pair(rng), ensure_ascii=False) + "\n")
        db_path = Path(tmp) / "radval.db"
        corpus = ExampleCorpus(open_database(db_path), db_path)
        started = time.perf_counter()
        summary = import_pairs(corpus, source)
        seconds = time.perf_counter() - started
        print(f"import: {args.pairs:,} rows -> {summary.added:,} pairs added, "
              f"{summary.duplicates:,} duplicates, {len(summary.problems)} problems in "
              f"{seconds:.1f} s ({args.pairs / seconds:,.0f} rows/s)")
        print(f"database: {db_path.stat().st_size / 1e6:.0f} MB")

        queries = [make_pair(rng) for _ in range(args.queries)]
        found, overlap = 0, []
        times: dict[str, list[float]] = {"zh": [], "en": []}
        for query in queries:
            language = "en" if query["findings"].isascii() else "zh"
            started = time.perf_counter()
            examples = corpus.similar(query["findings"], query["body_system"], k=3,
                                      exclude_near=query["findings"])
            times[language].append((time.perf_counter() - started) * 1000)
            found += len(examples)
            # How alike the examples are (word Jaccard with the query): a check that a
            # faster search did not get worse.
            mine = word_set(query["findings"])
            overlap += [len(mine & word_set(e.findings)) / len(mine | word_set(e.findings))
                        for e in examples]
        first = times["en" if queries[0]["findings"].isascii() else "zh"][0]
        print(f"similar(), k=3, the case excluded, {args.queries} queries: "
              f"{found / args.queries:.2f} examples each, word overlap with the query "
              f"{statistics.fmean(overlap) if overlap else 0:.3f}; the first query "
              f"{first:.1f} ms (word counts not cached yet)")
        print("| queries | n | median ms | p95 ms | max ms |")
        print("|---|---|---|---|---|")
        everything = times["zh"] + times["en"]
        for name, values in (("Chinese", times["zh"]), ("English", times["en"]),
                             ("all", everything)):
            if values:
                print(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
                      f"{percentile(values, 0.95):.1f} | {max(values):.1f} |")
        corpus.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
