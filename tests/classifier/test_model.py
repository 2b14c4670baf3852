"""Behavioural tests of the trained model (Made-With-ML style) and estimator conventions.

The examples below were written for these tests and are not in data/samples.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone

from classifier.model import PARALLEL_BATCH, RESULT_KEYS, TriageModel, calibration_folds
from classifier.normalize import strip_diacritics
from classifier.taxonomy import CATEGORIES, URGENCY_LEVELS

MINIMUM_FUNCTIONALITY = {
    "csam": "Có một nhóm Telegram đang bán video xâm hại tình dục các bé gái khoảng 10 tuổi, admin gửi link cho ai chuyển tiền.",
    "sextortion": "Nó dọa nếu em không chuyển 2 triệu thì sẽ đăng ảnh nhạy cảm của em lên nhóm lớp, em sợ lắm.",
    "grooming": "Một người đàn ông lạ trên Facebook ngày nào cũng nhắn tin khen con gái tôi 12 tuổi xinh, tặng thẻ game và bảo con giữ bí mật, đòi con gửi ảnh.",
    "trafficking": "Có người rủ em tôi 15 tuổi sang Trung Quốc làm việc nhẹ lương cao, bao ăn ở, dặn không được nói với gia đình.",
    "self_harm": "Bạn em nhắn là không muốn sống nữa, đã chuẩn bị thuốc và viết thư tạm biệt mọi người.",
    "violence": "Clip mấy học sinh lớp 8 đánh hội đồng một bạn nữ, đạp vào người, đang lan truyền trên TikTok.",
    "cyberbullying": "Cả lớp lập nhóm chat riêng để chửi bới, chế ảnh con tôi thành con lợn rồi gọi nó là đồ béo ngu.",
    "scam": "Con tôi bị lừa vào trang nhận quà miễn phí Free Fire, nhập tài khoản và mật khẩu xong thì bị mất nick.",
    "harmful_content": "Trong game trẻ em có quảng cáo trang cá cược, bấm vào là ra nội dung đánh bạc và bán thuốc lá điện tử.",
    "none": "Xin hỏi cách cài đặt kiểm soát của phụ huynh trên điện thoại cho con học lớp 3 như thế nào ạ?",
}

NEWS = [
    "Bộ TT&TT thành lập mạng lưới ứng cứu, bảo vệ trẻ em trên môi trường mạng với sự tham gia của nhiều bộ ngành.",
    "Cảnh báo thủ đoạn dụ dỗ trẻ em qua game online, phụ huynh cần chú ý quản lý thời gian dùng mạng của con.",
    "Công an tỉnh thông báo đã xét xử xong vụ án lừa đảo qua mạng từ năm ngoái, đối tượng đã nhận án tù.",
]


def test_result_records_have_exactly_the_documented_keys(model: TriageModel) -> None:
    record = model.score_reports([MINIMUM_FUNCTIONALITY["grooming"]], ["r1"])[0]
    assert tuple(record) == RESULT_KEYS
    assert set(record["scores"]) == set(CATEGORIES)
    assert set(record["urgency_scores"]) == set(URGENCY_LEVELS)
    assert abs(sum(record["urgency_scores"].values()) - 1) < 1e-3
    assert 0.0 <= record["priority"] <= 1.0
    assert record["id"] == "r1"


@pytest.mark.parametrize(("expected", "text"), MINIMUM_FUNCTIONALITY.items())
def test_minimum_functionality_per_category(model: TriageModel, expected: str, text: str) -> None:
    record = model.score_reports([text])[0]
    assert expected in record["categories"], record["scores"]


@pytest.mark.parametrize("text", NEWS)
def test_news_and_awareness_texts_stay_none(model: TriageModel, text: str) -> None:
    assert model.predict([text])[0] == "none"


def test_invariance_to_case_spacing_and_diacritics(model: TriageModel) -> None:
    texts = list(MINIMUM_FUNCTIONALITY.values())
    base = model.predict(texts)
    assert (model.predict([t.upper() for t in texts]) == base).all()
    assert (model.predict(["  ".join(t.split()) for t in texts]) == base).all()
    stripped = model.predict([strip_diacritics(t) for t in texts])
    assert (stripped == base).mean() >= 0.8


def test_time_and_meeting_place_raise_grooming_urgency(model: TriageModel) -> None:
    base = "Có người lạ trên Zalo liên tục nhắn tin làm quen con gái tôi 14 tuổi, tặng quà và bảo con đừng kể với ai."
    urgent = base + " Tối nay hắn hẹn gặp con ở quán cà phê gần trường."
    before, after = model.score_reports([base, urgent])
    assert URGENCY_LEVELS.index(after["urgency"]) > URGENCY_LEVELS.index(before["urgency"])
    assert after["urgency"] == "critical"
    assert {"urgency:time_soon", "urgency:meeting_plan"} <= set(after["signals"])


def test_victim_age_metadata_is_a_signal(model: TriageModel) -> None:
    text = MINIMUM_FUNCTIONALITY["cyberbullying"]
    record = model.score_reports([text], metadata=[{"victim_age": 9}])[0]
    assert "urgency:age_under_13" in record["signals"]


def test_critical_reports_rank_above_low_ones(model: TriageModel) -> None:
    urgent, calm = model.score_reports(
        ["Em chán sống lắm rồi, tối nay em sẽ nhảy cầu, không ai cứu được em đâu.", NEWS[0]]
    )
    assert urgent["urgency"] == "critical"
    assert urgent["priority"] > calm["priority"]


def test_explanations_use_the_reporters_words_and_never_unknown_ones(model: TriageModel) -> None:
    marker = "Zqxwvmarker"
    text = MINIMUM_FUNCTIONALITY["sextortion"] + f" Tài khoản của nó là {marker}."
    record = model.score_reports([text])[0]
    terms = [t for words in record["explanation"].values() for t in words]
    assert terms, record
    assert set(record["explanation"]) == set(record["categories"])
    for term in terms:
        assert term.startswith("<") or all(part in text for part in term.split()), term
        assert marker.lower() not in term.lower()


@pytest.mark.parametrize("text", ["ok", "asdf qwer zxcv uiop hjkl bnm", "The weather is lovely today in London, isn't it?"])
def test_unsure_inputs_need_review(model: TriageModel, text: str) -> None:
    assert model.score_reports([text])[0]["needs_review"]


def test_scoring_is_deterministic_and_batch_independent(model: TriageModel) -> None:
    texts = list(MINIMUM_FUNCTIONALITY.values())
    ids = [f"r{i}" for i in range(len(texts))]
    batch = model.score_reports(texts, ids)
    single = [model.score_reports([t], [i])[0] for t, i in zip(texts, ids)]
    assert batch == single


def test_estimator_conventions() -> None:
    model = TriageModel(C=3.0, cv=4)
    assert model.get_params()["C"] == 3.0
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coef_")


def test_fit_returns_self_and_learns(small_training_set) -> None:
    frame = small_training_set
    model = TriageModel(cv=3)
    assert model.fit(frame["text"].tolist(), frame[["categories", "urgency"]].to_dict("records")) is model
    assert model.coef_.shape[0] == len(CATEGORIES)
    assert np.all((model.thresholds_ > 0) & (model.thresholds_ < 1))
    assert model.cv_macro_f1_ > 0.5


def test_large_data_mode_calibrates_on_one_split_without_refit(small_training_set, samples) -> None:
    frame = small_training_set
    model = TriageModel(cv=3, cv_max_rows=100).fit(
        frame["text"].tolist(), frame[["categories", "urgency"]].to_dict("records")
    )
    assert np.all((model.thresholds_ > 0) & (model.thresholds_ < 1))
    assert 0 < model.critical_threshold_ <= 0.5
    assert model.cv_macro_f1_ > 0.4
    held_out = samples[~samples["id"].isin(frame["id"])].sample(300, random_state=0)
    predicted = model.predict(held_out["text"].tolist())
    assert np.mean(predicted == held_out["primary"].to_numpy()) > 0.5


def test_calibration_folds_switch_to_one_split_above_the_row_limit() -> None:
    labels = ["a", "b"] * 60
    folds, refit = calibration_folds(labels, 5, 200, seed=0)
    assert refit and len(folds) == 5
    folds, refit = calibration_folds(labels, 5, 100, seed=0)
    assert not refit and len(folds) == 1
    train, test = folds[0]
    assert len(test) == 24 and len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 120


def test_parallel_batches_equal_serial_scoring(model: TriageModel, samples) -> None:
    texts = samples["text"].tolist()[:PARALLEL_BATCH]
    serial = model._score(texts, [str(i) for i in range(len(texts))], [None] * len(texts))
    parallel = copy.copy(model).set_params(n_jobs=2)
    assert parallel.score_reports(texts) == serial


def test_training_twice_on_the_same_data_gives_the_same_model(small_training_set) -> None:
    frame = small_training_set.iloc[:200]
    texts, labels = frame["text"].tolist(), frame[["categories", "urgency"]].to_dict("records")
    first, second = (TriageModel(cv=3).fit(texts, labels) for _ in range(2))
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.urgency_.coef_, second.urgency_.coef_)
