"""Realistic request examples for the OpenAPI docs at /docs.

Written the way reports arrive (parents, teenagers, moderators), with invented names and
accounts, and without sexual detail.
"""

from __future__ import annotations

PARENT_GROOMING = {
    "id": "rpt-2025-004187",
    "text": (
        "Con gái tôi học lớp 6 (11 tuổi). Khoảng hai tuần nay có một tài khoản tên "
        "\"Anh Tuấn Free Fire\" liên tục nhắn tin riêng cho cháu qua Messenger, khen cháu "
        "xinh, hứa nạp kim cương và đòi cháu gửi ảnh riêng tư, dặn cháu không được kể với "
        "bố mẹ. Hôm qua người này hẹn gặp cháu ở cổng trường chiều thứ Sáu. Gia đình rất lo, "
        "xin hướng dẫn xử lý gấp."
    ),
    "metadata": {
        "channel": "web_form",
        "platform": "facebook_messenger",
        "reported_url": "https://www.facebook.com/profile.php?id=100000000000000",
        "victim_age": 11,
    },
}

TEEN_BULLYING = {
    "id": "rpt-2025-004188",
    "text": (
        "lop e co nhom zalo ten \"hoi anti Linh\" tui no dang anh che ban Linh moi ngay, "
        "con goi ban ay la do beo. Linh nghi hoc 3 hom r, e chup dc man hinh r a. e phai lam sao"
    ),
    "metadata": {"channel": "chatbot", "platform": "zalo", "victim_age": 13},
}

MODERATOR_SCAM = {
    "id": "mod-tiktok-77231",
    "text": (
        "Trang \"Shop Kim Cương Giá Rẻ\" đăng livestream tặng skin miễn phí, yêu cầu các em "
        "nhỏ nhập tài khoản game và mã OTP gửi về điện thoại của bố mẹ. Đã có ít nhất 5 phụ "
        "huynh phản ánh con bị mất tài khoản và bị trừ tiền ngân hàng."
    ),
    "metadata": {"channel": "platform_moderator", "platform": "tiktok"},
}

NEWS_NONE = {
    "id": "rpt-2025-004190",
    "text": (
        "Xin chào, tôi muốn hỏi cách cài đặt chế độ kiểm soát của phụ huynh trên điện thoại "
        "của con tôi (9 tuổi) để chặn các video không phù hợp trên YouTube."
    ),
    "metadata": {"channel": "hotline_111"},
}

SCORE_EXAMPLES = [PARENT_GROOMING, TEEN_BULLYING, MODERATOR_SCAM]
BATCH_EXAMPLES = [{"reports": [PARENT_GROOMING, NEWS_NONE]}]

FEEDBACK_EXAMPLES = [
    {
        "id": "rpt-2025-004187",
        "categories": ["grooming"],
        "primary": "grooming",
        "urgency": "critical",
        "reviewer": "nguyen.thi.hoa",
        "note": "Đã gọi lại cho phụ huynh: có lịch hẹn gặp chiều thứ Sáu, chuyển công an phường.",
    },
    {
        "id": "rpt-2025-004190",
        "categories": ["none"],
        "primary": "none",
        "urgency": "low",
        "reviewer": "tran.van.minh",
        "note": "Câu hỏi tư vấn, không có trẻ bị hại.",
    },
]

RESULT_EXAMPLE = {
    "id": "rpt-2025-004187",
    "primary": "grooming",
    "categories": ["grooming"],
    "scores": {
        "csam": 0.0121, "sextortion": 0.0832, "grooming": 0.9731, "trafficking": 0.0042,
        "self_harm": 0.0003, "violence": 0.0051, "cyberbullying": 0.0024, "privacy": 0.0198,
        "scam": 0.0107, "harmful_content": 0.0063, "none": 0.0088,
    },
    "urgency": "critical",
    "urgency_scores": {"low": 0.004, "medium": 0.011, "high": 0.0934, "critical": 0.8916},
    "priority": 0.9756,
    "needs_review": False,
    "signals": ["urgency:age_under_13", "urgency:meeting_plan"],
    "explanation": {"grooming": ["nhắn tin riêng", "hẹn gặp", "nạp", "không được kể", "ảnh"]},
    "model_version": "20250612-081502-a1b2c3",
    "latency_ms": 7.4,
}
