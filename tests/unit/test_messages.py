"""Text the system writes is kept as a key with parameters and shown in the reader's language."""

import json

from app import i18n
from app.absences.services import STATUS_LABELS
from app.i18n.messages import label, of_row, render, said, stored


def test_a_message_shows_in_the_readers_language_with_its_labels_translated():
    message = said("{person}：{status}", person="孙静", status=label(STATUS_LABELS["active"]))
    assert message.text() == "孙静：离岗中"
    with i18n.language("en"):
        assert message.text() == f"孙静: {i18n.gettext('离岗中')}"
        assert "离岗中" not in message.text()


def test_the_stored_row_keeps_the_chinese_text_beside_the_key():
    with i18n.language("en"):  # whoever writes it, the text column is Chinese
        text, key, params = stored(said("延期 {days} 个工作日", days=5))
    assert (text, key, params) == ("延期 5 个工作日", "延期 {days} 个工作日", {"days": 5})
    assert stored("自由文本") == ("自由文本", "", None)


def test_messages_nest_and_lists_join_in_the_readers_language():
    cases = [said("{line}（{applicant}）", line="低保", applicant=name) for name in ("张三", "李四")]
    message = said(
        "{earlier}，责令 {due} 前采取补救措施",
        earlier=said("{person}：{status}", person="王", status=cases),
        due="2026-12-01",
    )
    json.dumps(message.params)  # JSON-ready for the row
    assert message.text() == "王：低保（张三）、低保（李四），责令 2026-12-01 前采取补救措施"
    with i18n.language("en"):
        assert message.text().startswith("王: 低保 (张三), 低保 (李四); remedial measures ordered by 2026-12-01")


def test_an_old_row_with_only_text_shows_its_text_and_params_may_be_json_text():
    assert of_row({"note": "旧的说明", "note_key": "", "note_params": None}, "note") == "旧的说明"
    row = {"message": "x", "message_key": "书面凭证第 {number} 号", "message_params": '{"number": 3}'}
    with i18n.language("en"):
        assert of_row(row, "message") == "written receipt no. 3"
    assert render("", None, "text") == "text"


def test_a_grassroots_link_with_the_default_prefix_reads_in_the_readers_language():
    from app.evaluation.grassroots import shown_label

    assert shown_label("基层测评人3") == "基层测评人3"
    with i18n.language("en"):
        assert shown_label("基层测评人3") == "grassroots rater 3"
        assert shown_label("城关镇2") == "城关镇2"  # a prefix someone typed stays as typed
