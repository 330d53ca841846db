"""What each recorded action is called on the audit page and the dashboard (the code stays in the
record and in the filter)."""

from __future__ import annotations

from app.i18n import N_

ACTION_LABELS = {
    "tenant.create": N_("新建县"),
    "tenant.update": N_("修改县的设置"),
    "user.create": N_("新建账号"),
    "user.update": N_("修改账号"),
    "user.enable": N_("启用/停用账号"),
    "user.password": N_("设置密码"),
    "staff.update": N_("修改人员信息"),
    "staff.qualifications": N_("修改岗位资格"),
    "token.create": N_("创建 API 令牌"),
    "token.revoke": N_("吊销 API 令牌"),
    "line.create": N_("新增业务岗位"),
    "line.update": N_("修改业务岗位"),
    "assignment.update": N_("调整A/B岗"),
    "absence.post": N_("发布离岗告示"),
    "absence.record_afterwards": N_("补录离岗"),
    "absence.status": N_("离岗状态变化"),
    "absence.approve": N_("批准离岗"),
    "absence.reject": N_("不批准离岗"),
    "absence.cancel": N_("撤销离岗告示"),
    "absence.return": N_("登记返岗"),
    "escalation.pick": N_("指定替岗人员"),
    "substitution.open": N_("开始替岗"),
    "substitution.close": N_("结束替岗"),
    "case.create": N_("登记案件"),
    "case.accept": N_("受理"),
    "case.refuse": N_("不予受理"),
    "case.notice": N_("一次性告知"),
    "case.survey": N_("入户调查"),
    "case.post": N_("开始公示"),
    "case.objection": N_("登记公示异议"),
    "case.objection_resolved": N_("异议已处理"),
    "case.approve": N_("审批同意"),
    "case.reject": N_("审批不同意"),
    "case.close": N_("归档"),
    "case.extend": N_("延期"),
    "case.acting_handler": N_("更换当前办理人"),
    "case.due_recomputed": N_("重算到期日"),
    "case.reveal_id": N_("查看完整身份证号"),
    "accountability.create": N_("超期问责"),
    "calendar_day.create": N_("设置工作日历"),
    "calendar_day.update": N_("设置工作日历"),
    "calendar_day.set": N_("设置工作日历"),
    "calendar_day.clear": N_("取消工作日历设置"),
    "global_calendar_day.set": N_("设置全局工作日历"),
    "global_calendar_day.clear": N_("取消全局工作日历设置"),
    "settings.email": N_("邮件通知设置"),
    "evaluation.open": N_("开始年度考评"),
    "evaluation.subject": N_("增加考评对象"),
    "evaluation.step": N_("考评步骤"),
    "evaluation.rate": N_("考评评分"),
    "evaluation.links": N_("生成基层测评链接"),
    "evaluation.finalise": N_("考评定稿"),
    "evaluation.reopen": N_("重新打开考评"),
    "evaluation.rectified": N_("整改完成"),
}


def action_label(action: str) -> str:
    """The Chinese name of an action (a msgid, translated where shown), or the code itself."""
    return ACTION_LABELS.get(action, action)
