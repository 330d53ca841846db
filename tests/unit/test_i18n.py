"""Chinese first; every message has its English, so the API's ``detail`` is always English."""

from app import i18n
from app.errors import InvalidInput
from app.translations import messages, missing


def test_every_message_of_code_and_templates_has_an_english_translation():
    assert len(messages()) > 50
    assert missing("en") == []


def test_chinese_is_the_default_and_english_is_one_switch_away():
    assert i18n.gettext("审计日志") == "审计日志"
    with i18n.language("en"):
        assert i18n.gettext("审计日志") == "Audit log"
    with i18n.language("klingon"):
        assert i18n.gettext("审计日志") == "审计日志"


def test_bad_input_speaks_chinese_on_pages_and_english_in_the_api():
    error = InvalidInput("用户名 {username} 已被占用", username="wangxiaolei")
    assert error.localized() == "用户名 wangxiaolei 已被占用"
    assert error.in_language("en") == "username wangxiaolei is taken"
    assert str(error) == "username wangxiaolei is taken"
