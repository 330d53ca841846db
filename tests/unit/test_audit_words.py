"""The audit trail in words: names instead of ids, labels instead of codes, no JSON."""

from zoneinfo import ZoneInfo

from app import i18n
from app.history.words import Names, describe

ZONE = ZoneInfo("Asia/Shanghai")
NAMES = Names(
    people={7: "孙静", 8: "李国栋", "sunjing": "孙静"},
    lines={3: "最低生活保障", "dibao": "最低生活保障"},
    cases={12: "#12 最低生活保障 · 张三"},
    cycles={2: 2026},
    absences={5: 7},
)


def row(action, entity, entity_id, before=None, after=None, summary="", **more):
    return {
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "summary": summary,
        "summary_key": "",
        "summary_params": None,
        **more,
    }


def texts(entry):
    return [change.text() for change in entry.changes]


def test_ids_become_names_and_codes_become_labels():
    entry = describe(
        row("assignment.update", "line", 3, {"a": 7, "b": None}, {"a": 8, "b": 7, "approved_by": None}),
        NAMES,
        ZONE,
        "dangshan",
    )
    assert entry.thing == "最低生活保障" and entry.action == "调整A/B岗"
    assert texts(entry) == ["A岗：孙静 → 李国栋", "B岗：— → 孙静", "批准人：—"]


def test_statuses_are_read_by_the_area_they_belong_to():
    absence = describe(
        row("absence.status", "absence", 5, {"status": "approved"}, {"status": "active"}), NAMES, ZONE, "x"
    )
    assert absence.thing == "孙静的离岗" and absence.link == "/t/x/absences/5"
    assert texts(absence) == ["状态：已批准 → 离岗中"]
    opened = describe(
        row("substitution.open", "line", 3, None, {"substitute": None, "status": "uncovered"}), NAMES, ZONE, ""
    )
    assert texts(opened) == ["替岗人员：—", "状态：无人替代"]
    closed = describe(row("substitution.close", "line", 3, {"absence": 5, "substitute": 8}, None), NAMES, ZONE, "")
    assert texts(closed) == ["所属离岗告示：孙静的离岗 → —", "替岗人员：李国栋 → —"]
    case = describe(row("case.accept", "case", 12, {"status": "received"}, {"status": "accepted"}), NAMES, ZONE, "x")
    assert (case.thing, case.link, texts(case)) == (
        "#12 最低生活保障 · 张三",
        "/t/x/cases/12",
        ["状态：已接收 → 已受理"],
    )


def test_a_staff_member_is_named_and_linked_and_tenant_files_speak_by_username_and_code():
    entry = describe(
        row(
            "user.update",
            "user",
            7,
            {"qualifications": [], "active": True, "email": "a@b.cn"},
            {"qualifications": ["dibao"], "active": True, "email": ""},
            summary="tenant load: sunjing",
        ),
        NAMES,
        ZONE,
        "dangshan",
    )
    assert (entry.thing, entry.link) == ("孙静", "/t/dangshan/staff/7")
    assert entry.summary == "按县配置文件更新"
    assert texts(entry) == ["岗位资格：— → 最低生活保障", "电子邮箱：a@b.cn → —"]


def test_times_are_local_nested_settings_are_not_dumped_and_english_reads_english():
    entry = describe(
        row(
            "absence.post",
            "absence",
            5,
            None,
            {"person": 7, "kind": "sick", "starts_at": "2026-12-04T01:00:00+00:00", "office": {"name": "办公室"}},
        ),
        NAMES,
        ZONE,
        "",
    )
    assert texts(entry) == ["人员：孙静", "离岗类型：病假", "开始时间：2026-12-04 09:00", "办公室：（已设置）"]
    with i18n.language("en"):
        english = describe(
            row("evaluation.step", "evaluation_cycle", 2, {"step": "self"}, {"step": "internal"}), NAMES, ZONE, ""
        )
        shown = [english.thing, english.action, *texts(english)]
        assert "2026" in english.thing and all(ord(ch) < 0x3000 for text in shown for ch in text), shown


def test_older_rows_keep_their_text_with_their_codes_in_words():
    old_status = row(
        "absence.status", "absence", 5, {"status": "approved"}, {"status": "active"}, summary="孙静：active"
    )
    old_opening = row(
        "substitution.open", "line", 3, None, None, summary="最低生活保障：孙静请假，无人替岗（uncovered）"
    )
    assert describe(old_status, NAMES, ZONE, "").summary == "孙静：离岗中"
    assert describe(old_opening, NAMES, ZONE, "").summary == "最低生活保障：孙静请假，无人替岗（无人替代）"
    assert describe(row("case.accept", "case", 12, summary="受理：张三"), NAMES, ZONE, "").summary == "受理：张三"


def test_who_acted_without_signing_in_is_named_in_the_readers_language():
    rated = row(
        "evaluation.rate",
        "evaluation_cycle",
        2,
        None,
        {"score": "85.50", "rater": "link:41"},
        actor=None,
        actor_label="基层测评人3",
        address="link",
    )
    swept = row("absence.status", "absence", 5, actor=None, actor_label="后台任务：同岗替代", address="worker")
    with i18n.language("en"):
        assert [describe(r, NAMES, ZONE, "").actor for r in (rated, swept)] == [
            "grassroots rater 3",
            "background task: substitution",
        ]
        assert [describe(r, NAMES, ZONE, "").address for r in (rated, swept)] == ["Rating link", "background task"]
    assert texts(describe(rated, NAMES, ZONE, "")) == ["分数：85.50", "评分人：测评链接"]


def test_a_robot_reads_by_its_platform_and_events_and_never_shows_its_secret():
    added = row(
        "robot.create",
        "robot",
        4,
        None,
        {
            "platform": "wecom",
            "name": "低保群",
            "secret": "******",
            "events": ["reminder", "uncovered"],
            "active": True,
        },
    )
    entry = describe(added, NAMES, ZONE, "")
    assert entry.thing == "群机器人"
    assert texts(entry) == [
        "平台：企业微信",
        "名称：低保群",
        "加签密钥：******",
        "推送的事件：办理期限提醒、无人办理的业务",
        "启用：是",
    ]
