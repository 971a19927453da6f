"""What the citizen-facing pages say, in Chinese (the default) and English: one small dictionary."""

from __future__ import annotations

from typing import Final

from govrate.analytics.queries import RateName
from govrate.evaluations.models import CaseState, HandlingRating, ReasonCode, Stage
from govrate.kernel.scale import Level
from govrate.rating.models import Lang

HTML_LANG: Final = {Lang.ZH: "zh-CN", Lang.EN: "en"}

# key -> (Chinese, English)
TEXTS: Final[dict[str, tuple[str, str]]] = {
    "site.name": ("政务服务好差评", "Government service evaluation"),
    "lang.switch": ("English", "中文"),
    "rate.title": ("请对本次服务进行评价", "Please rate this service"),
    "rate.voluntary": (
        "评价完全自愿，可以匿名；任何单位和个人不得强迫、催促或干扰您的评价。",
        "Rating is voluntary and may be anonymous; nobody may press you to rate or tell you how.",
    ),
    "rate.record": ("办件编号", "Record number"),
    "rate.deadline": ("可评价至", "Can be rated until"),
    "rate.item": ("办理事项", "Service"),
    "rate.stage": ("评价环节", "Stage to rate"),
    "rate.stage_rated": ("已评价", "rated"),
    "rate.level": ("您对本次服务满意吗？", "How satisfied are you with this service?"),
    "rate.reasons": ("不满意的原因（可多选）", "What went wrong? (choose one or more)"),
    "rate.reasons_hint": (
        "如选择“不满意”或“非常不满意”，请至少选择一项原因。",
        "If you choose Dissatisfied or Very dissatisfied, choose at least one reason.",
    ),
    "rate.comment": ("意见建议（选填）", "Comments (optional)"),
    "rate.comment_hint": ("最多 {max} 字", "Up to {max} characters"),
    "rate.contact": ("联系方式（选填）", "Contact for a follow-up (optional)"),
    "rate.contact_hint": (
        "留下联系方式，办理部门可就您的评价回访。也可以匿名评价。",
        "Leave a contact if you would like the agency to follow up on your evaluation. You can also stay anonymous.",
    ),
    "rate.contact_name": ("称呼（选填）", "Name (optional)"),
    "rate.contact_phone": ("手机号", "Mobile number"),
    "rate.contact_email": ("电子邮箱", "E-mail"),
    "rate.contact_consent": (
        "我同意办理部门就本次评价及其处理情况与我联系。联系方式加密保存，仅用于处理本次评价。",
        "I agree that the agency may contact me about this evaluation and its handling. "
        "My contact is stored encrypted and used for this evaluation only.",
    ),
    "rate.honeypot": ("网址（请勿填写）", "Website (leave empty)"),
    "rate.submit": ("提交评价", "Submit"),
    "rate.rated_just_now": (
        "您几分钟前已在本设备提交过本页的评价。再次提交将回到那次评价的回执，不会重复计入。",
        "You rated from this page on this device a few minutes ago. Sending the form again returns to that "
        "receipt; it is not counted twice.",
    ),
    "rate.rate_anew": ("评价另一次服务", "Rate another service"),
    "rate.sending": ("正在提交……", "Sending…"),
    "rate.failed": ("提交未成功，请检查网络后重试。", "Not sent. Check the connection and try again."),
    "rate.errors": ("请修改以下内容后再提交：", "Please correct the following and submit again:"),
    "report.title": ("有人要求或催促您评价？", "Did someone press you to rate?"),
    "report.hint": (
        "可在此匿名举报，无需填写个人信息。举报直接交政务服务监督部门，不转给窗口工作人员，也不影响您的评价。",
        "Report it here, anonymously: no personal details needed. It goes to the supervisors of government "
        "services, not to the window's staff, and does not change any rating.",
    ),
    "report.comment": ("补充说明（选填）", "What happened (optional)"),
    "report.comment_hint": (
        "最多 200 字，请勿填写姓名、电话等个人信息",
        "Up to 200 characters; no names or phone numbers",
    ),
    "report.submit": ("有人要求或催促我评价", "Someone pressed me to rate"),
    "reported.title": ("举报已收到", "Report received"),
    "reported.text": (
        "感谢您的举报。监督部门将核查处理，不会告知窗口工作人员是谁举报。评价仍完全由您决定。",
        "Thank you. The supervisors will look into it; the window's staff are not told who reported. "
        "Whether and how to rate is still entirely up to you.",
    ),
    "reported.back": ("返回评价页面", "Back to the rating page"),
    "report_refused.title": ("举报未能提交", "The report was not sent"),
    "report_refused.text": (
        "页面已过期或无法识别。请返回评价页面，刷新后再举报。",
        "The page has expired or was not recognised. Go back, reload the page and report again.",
    ),
    "kiosk.report": (
        "有人要求或催促您评价？扫码后可在手机上匿名举报。",
        "Pressed to rate? Scan the code to report it anonymously from your phone.",
    ),
    "error.item": ("请选择办理事项。", "Choose the service you used."),
    "error.stage": ("请选择要评价的环节。", "Choose the stage to rate."),
    "error.level": ("请选择满意程度。", "Choose how satisfied you are."),
    "error.reason": ("请至少选择一项不满意的原因。", "Choose at least one reason."),
    "error.comment": ("意见建议过长，请精简。", "The comment is too long; please shorten it."),
    "error.contact": ("请填写手机号或电子邮箱，或不留联系方式。", "Give a mobile number or an e-mail, or no contact."),
    "error.contact_name": ("称呼过长。", "The name is too long."),
    "error.contact_phone": ("请填写正确的11位手机号。", "Enter an 11-digit mainland mobile number."),
    "error.contact_email": ("请填写正确的电子邮箱。", "Enter a valid e-mail address."),
    "error.contact_consent": ("留下联系方式需勾选同意回访。", "To leave a contact, tick the consent."),
    "error.form": (
        "这个页面已过期或无法核对，评价没有保存。您填写的内容还在，请再次提交。",
        "This page has expired or could not be checked, so the evaluation was not saved. What you entered "
        "is still here: please submit it again.",
    ),
    "thanks.title": ("感谢您的评价", "Thank you for your evaluation"),
    "thanks.received": ("您的评价已收到，感谢您的反馈。", "Your evaluation has been received. Thank you."),
    "receipt.title": ("评价已提交", "Evaluation submitted"),
    "receipt.thanks": ("感谢您的评价。", "Thank you for your evaluation."),
    "receipt.bad": (
        "您的不满意评价已转交办理部门核实整改，处理结果将反馈给您。",
        "Your bad review goes to the agency to verify and put right; you will be told the outcome.",
    ),
    "receipt.keep": (
        "请保存下面的链接，随时查看评价及处理进度（链接仅您本人持有，请勿转发）：",
        "Keep the link below to follow your evaluation and its handling (it is yours alone; do not share it):",
    ),
    "receipt.status_link": ("查看我的评价及处理进度", "Follow my evaluation"),
    "receipt.number": ("评价编号", "Evaluation number"),
    "status.title": ("我的评价", "My evaluation"),
    "status.item": ("办理事项", "Service"),
    "status.stage": ("评价环节", "Stage"),
    "status.level": ("满意程度", "Rating"),
    "status.comment": ("意见建议", "Comments"),
    "status.created": ("评价时间", "Rated at"),
    "status.case": ("差评处理进度", "Handling of the bad review"),
    "status.case_pending": (
        "正在转交办理部门，请稍后刷新查看。",
        "Being passed to the agency; refresh this page later.",
    ),
    "status.burst_awaiting": (
        "您的评价已收到并记录。同一时段收到多条同类评价，正等待上级主管部门一并审核，审核后将在此页显示。",
        "Your review has been received and recorded. It arrived with others at the same time and awaits the "
        "supervising authority's review of them together; the outcome will be shown on this page.",
    ),
    "status.burst_flood": (
        "您的评价已收到，并与同一时段收到的其他评价一并记录。上级主管部门已对这些评价一并审核，不再单独立案办理；"
        "您的评价仍计入公开的评价结果。",
        "Your review has been received and recorded with others received at the same time. The supervising "
        "authority reviewed them together and no separate case is opened; your review still counts in the "
        "published results.",
    ),
    "status.case_state": ("当前状态", "Current state"),
    "status.case_opened": ("受理时间", "Opened at"),
    "status.reopened_once": ("（已重新办理 1 次）", " (reopened once)"),
    "status.reopened_times": ("（已重新办理 {count} 次）", " (reopened {count} times)"),
    "status.answer": ("办理部门答复", "The agency's answer"),
    "status.answered": ("答复时间", "Answered at"),
    "status.handling_rating": ("您对处理结果的评价", "Your rating of the handling"),
    "status.reasons": ("不满意的原因", "What went wrong"),
    "status.rate_handling": ("请评价处理结果", "Please rate how your bad review was handled"),
    "status.handling_comment": ("对处理结果的意见（选填）", "Comments on the handling (optional)"),
    "status.dissatisfied_hint": (
        "选择“不满意”，案件将退回办理部门重新处理；已重新处理过一次的，将提交上级主管部门督办。",
        "If you choose Dissatisfied, the case goes back to the agency to be handled again; if it has been "
        "handled again once already, it goes to the supervising authority.",
    ),
    "status.escalate": (
        "如不满意，直接提交上级主管部门督办",
        "If dissatisfied, send it straight to the supervising authority",
    ),
    "status.rate_submit": ("提交处理评价", "Submit my rating of the handling"),
    "status.reopened": (
        "您对处理结果不满意，案件已退回办理部门重新处理。",
        "You were not satisfied, so the case has gone back to the agency to be handled again.",
    ),
    "status.due": ("办理部门最迟于 {day} 当天内答复。", "The agency must answer by the end of {day}."),
    "status.escalated": (
        "案件已提交上级主管部门督办，处理结果将在此页显示。",
        "The case has gone to the supervising authority; the outcome will be shown on this page.",
    ),
    "status.closed": ("感谢您的评价，案件已办结。", "Thank you for your rating; the case is closed."),
    "error.handling": ("请选择您对处理结果的满意程度。", "Choose how satisfied you are with the handling."),
    "status.follow_up": ("追评", "Follow-up review"),
    "status.refresh": ("刷新", "Refresh"),
    "refusal.back": ("如有疑问，请向窗口工作人员咨询。", "If in doubt, ask the staff at the window."),
    "refusal.not-found.title": ("二维码无法识别", "Code not recognised"),
    "refusal.not-found.text": (
        "这个二维码或链接不是本系统签发的，或已被改动。",
        "This code or link was not issued by this system, or has been altered.",
    ),
    "refusal.gone.title": ("二维码已失效", "Code no longer valid"),
    "refusal.gone.text": (
        "这个二维码已更换或停用。请扫描窗口现在张贴的二维码。",
        "This code has been replaced or withdrawn. Please scan the code now displayed at the window.",
    ),
    "refusal.evaluation-period-over.title": ("评价期已过", "The evaluation period has ended"),
    "refusal.evaluation-period-over.text": (
        "这次办理的评价期已经结束，无法再评价。如有意见，可拨打12345政务服务便民热线。",
        "This service can no longer be rated. For comments, call the 12345 government service hotline.",
    ),
    "refusal.conflict.title": ("已经评价过了", "Already rated"),
    "refusal.conflict.text": (
        "这次办理已经评价过了。每次办理、每个环节只评价一次，评价提交后不能更改。",
        "This service has been rated already. Each service, and each of its stages, is rated once; "
        "an evaluation cannot be changed.",
    ),
    "refusal.unavailable.title": ("服务暂时不可用", "Temporarily unavailable"),
    "refusal.unavailable.text": ("评价服务暂时不可用，请稍后再试。", "Please try again in a moment."),
    "refusal.too-many-requests.title": ("请稍后再评价", "Please rate a little later"),
    "refusal.too-many-requests.text": (
        "这里刚刚收到的评价太多，您的评价没有保存。请稍后再提交（最长可能需要等待一小时），谢谢。",
        "Too many evaluations arrived from here just now, so yours was not saved. Please submit it again "
        "later (the wait can be up to an hour). Thank you.",
    ),
    "refusal.unknown-link.title": ("找不到这条评价", "Evaluation not found"),
    "refusal.unknown-link.text": (
        "这个查看链接不完整或有误。请使用提交评价后保存的完整链接，链接中“receipt=”后的内容不能缺少。",
        "This link to follow an evaluation is incomplete or wrong. Please use the whole link you kept after "
        "rating, including everything after “receipt=”.",
    ),
    "results_refusal.not-found.title": ("暂无公开结果", "No published results"),
    "results_refusal.not-found.text": (
        "这里还没有公开的评价结果：可能还没有评价，或今天的统计尚未发布（结果每天凌晨更新）。",
        "There are no published results here yet: no evaluations so far, or today's analysis is not "
        "published yet (results are updated every night).",
    ),
    "results_refusal.validation-error.title": ("无法读取这个网址", "This address cannot be read"),
    "results_refusal.validation-error.text": (
        "网址中的代码或月份有误，或者这个月份没有结果：",
        "The code or month in this address is wrong, or that month has no results:",
    ),
    "results_refusal.unavailable.title": ("暂时无法显示", "Temporarily unavailable"),
    "results_refusal.unavailable.text": ("公开结果暂时无法显示，请稍后再试。", "Please try again in a moment."),
    "results_refusal.other.title": ("暂时无法显示", "Cannot show this now"),
    "results_refusal.other.text": ("页面出现问题，请稍后再试。", "Something went wrong; please try again later."),
    "results_refusal.back": ("查看全部公开结果", "See all published results"),
    "refusal.other.title": ("暂时无法评价", "Cannot rate now"),
    "refusal.other.text": ("页面出现问题，请稍后再试。", "Something went wrong; please try again later."),
    "kiosk.title": ("服务评价", "Service evaluation"),
    "kiosk.idle": ("办理完成后，请在此为本次服务评价", "When your service is done, please rate it here"),
    "kiosk.prompt": ("请为本次服务评价", "Please rate this service"),
    "kiosk.phone": ("也可用手机扫码评价", "Or scan to rate on your phone"),
    "kiosk.submit": ("提交", "Submit"),
    "kiosk.thanks": ("感谢您的评价！", "Thank you!"),
    "kiosk.rated": ("这次办理已经评价过了", "This service has been rated already"),
    "kiosk.failed": ("提交未成功，请再按一次", "Not sent; please press again"),
    "kiosk.noscript": ("本评价设备需要启用浏览器脚本。", "This evaluation device needs JavaScript."),
    "poster.title": ("请您评价", "Please rate our service"),
    "poster.scan": ("扫码评价本次服务", "Scan to rate this service"),
    "poster.step1": ("用手机扫描二维码", "Scan the code with your phone"),
    "poster.step2": ("选择满意程度，不满意可选择原因", "Choose how satisfied you are; if not, tell us why"),
    "poster.step3": ("提交评价，可保存链接查看处理进度", "Submit; keep the link to follow the handling"),
    "poster.print": ("用浏览器打印本页（{size}纸）。", "Print this page from the browser ({size} paper)."),
    "poster.other_size": ("改为 {size}", "Switch to {size}"),
    "widget.title": ("服务评价", "Service evaluation"),
    "widget.open": ("评价本次服务", "Rate this service"),
    "widget.close": ("关闭", "Close"),
    "thanks.results": ("查看各地各部门好差评结果公开", "See the published results of every region and agency"),
    "disclosure.title": ("政务服务好差评结果公开", "Published evaluation results"),
    "disclosure.region": ("地区 {code}", "Region {code}"),
    "disclosure.agency": ("部门 {code}", "Agency {code}"),
    "disclosure.item": ("服务事项 {code}", "Service item {code}"),
    "disclosure.up": ("上一级", "Up one level"),
    "disclosure.month": ("{month} 月度结果", "Results of {month}"),
    "disclosure.no_data": ("暂无评价数据。", "No evaluations yet."),
    "disclosure.rate": ("指标", "Rate"),
    "disclosure.this_month": ("本月", "This month"),
    "disclosure.year": ("近12个月", "Last 12 months"),
    "disclosure.counts": ("{numerator} / {denominator}", "{numerator} of {denominator}"),
    "disclosure.suppressed": ("样本过少，不公开", "Too few to publish"),
    "disclosure.suppressed_inline": ("样本过少，不公开", "too few to publish"),
    "disclosure.none": ("无", "none"),
    "disclosure.answered": (
        "差评按期答复：本月 {month}，近12个月 {year}。",
        "Bad reviews answered on time: {month} this month, {year} in the last 12 months.",
    ),
    "disclosure.trend": ("近12个月趋势", "12-month trend"),
    "disclosure.trend_desc": (
        "按月的好评率、差评按期回复率和未评率；数值见下表。",
        "Good-review rate, on-time reply rate of bad reviews and unrated rate by month; the numbers are in the table.",
    ),
    "disclosure.period": ("月份", "Month"),
    "disclosure.by_month": ("逐月数据", "Month by month"),
    "disclosure.children.region": ("各部门", "Agencies"),
    "disclosure.children.agency": ("各服务事项", "Service items"),
    "disclosure.regions": ("各地区", "Regions"),
    "disclosure.name": ("名称", "Name"),
    "disclosure.all_month": ("全部地区 {month}", "All regions, {month}"),
    "disclosure.scorecards": ("部门月度绩效考核表", "Monthly scorecards of the agencies"),
    "disclosure.suppression": (
        "评价数少于 {min} 的指标不公开，以免识别评价人；为免由合计推算出这些指标，"
        "另有少数指标一并不公开。数据更新于 {at}。",
        "A rate counted over fewer than {min} is not published, so that no evaluator can be singled out; a few "
        "more are withheld so that totals cannot give those away. Updated {at}.",
    ),
    "disclosure.download": ("下载 CSV 数据", "Download the data (CSV)"),
    "scorecard.title": ("{region} 部门绩效考核表 {month}", "Scorecards of {region}, {month}"),
    "scorecard.rank": ("排名", "Rank"),
    "scorecard.agency": ("部门", "Agency"),
    "scorecard.change": ("较上月", "vs last month"),
    "scorecard.unranked": ("未排名", "not ranked"),
    "scorecard.ranking_note": (
        "排名按好评率、再按满意度；当月有效评价少于 {min} 条的部门不排名。名次后括号内为较上月升降的名次。",
        "Ranked by good-review rate, then satisfaction score; agencies with fewer than {min} rated "
        "evaluations in the month are not ranked. In brackets after a place: places gained (+) or lost (−) "
        "since last month.",
    ),
    "scorecard.print": ("用浏览器打印本页。", "Print this page from the browser."),
}

RATES: Final[dict[RateName, tuple[str, str]]] = {
    RateName.GOOD_REVIEW_RATE: ("好评率", "Good-review rate"),
    RateName.ACTIVE_GOOD_REVIEW_RATE: ("主动评价好评率", "Good-review rate of evaluator-given ratings"),
    RateName.UNRATED_RATE: ("未评率", "Unrated rate"),
    RateName.BAD_REVIEW_REPLY_RATE: ("差评按期回复率", "Bad reviews answered on time"),
    RateName.RETURN_VISIT_RECTIFICATION_RATE: ("回访整改率", "Return visits and rectifications"),
    RateName.RECTIFICATION_SATISFACTION_RATE: ("回访整改满意率", "Satisfaction with the handling"),
    RateName.SATISFACTION_SCORE: ("满意度", "Satisfaction score"),
    RateName.FLAGGED_SHARE: ("疑似干扰评价占比", "Evaluations flagged for interference"),
}

REASONS: Final[dict[ReasonCode, tuple[str, str]]] = {
    ReasonCode.ATTITUDE: ("服务态度不好", "Unfriendly staff"),
    ReasonCode.SLOW: ("办理慢、等候久", "Slow, long wait"),
    ReasonCode.UNCLEAR_REQUIREMENTS: ("办事要求讲不清", "Unclear requirements"),
    ReasonCode.REPEATED_TRIPS: ("来回跑、多次跑", "Had to come back again"),
    ReasonCode.SYSTEM_FAULT: ("系统故障", "System fault"),
    ReasonCode.POLICY: ("政策规定不合理", "Unreasonable rules"),
    ReasonCode.OTHER: ("其他", "Other"),
}

STAGES: Final[dict[Stage, tuple[str, str]]] = {
    Stage.ACCEPT: ("受理", "Acceptance"),
    Stage.APPROVE: ("审批", "Approval"),
    Stage.DELIVER: ("出件", "Delivery"),
    Stage.OVERALL: ("整体", "Overall"),
}

CASE_STATES: Final[dict[CaseState, tuple[str, str]]] = {
    CaseState.RECEIVED: ("已受理，等待回访核实", "Received; the agency will contact you and verify"),
    CaseState.CONTACTED: ("已回访", "You have been contacted"),
    CaseState.VERIFIED: ("已核实", "Verified"),
    CaseState.TRIAGED: ("正在整改", "Being put right"),
    CaseState.RECTIFIED: ("已整改", "Put right"),
    CaseState.ANSWERED: ("已答复，请评价处理结果", "Answered; please rate the handling"),
    CaseState.RATED: ("您已评价处理结果", "You have rated the handling"),
    CaseState.CLOSED: ("已办结", "Closed"),
    CaseState.ESCALATED: ("已提级督办", "Escalated to the supervisor"),
}

HANDLING: Final[dict[HandlingRating, tuple[str, str]]] = {
    HandlingRating.SATISFIED: ("满意", "Satisfied"),
    HandlingRating.BASICALLY_SATISFIED: ("基本满意", "Basically satisfied"),
    HandlingRating.DISSATISFIED: ("不满意", "Dissatisfied"),
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang is Lang.ZH else pair[1]


def text(key: str, lang: Lang, **values: object) -> str:
    return pick(TEXTS[key], lang).format(**values) if values else pick(TEXTS[key], lang)


def level_label(level: Level, lang: Lang) -> str:
    return level.label_zh if lang is Lang.ZH else level.label_en
