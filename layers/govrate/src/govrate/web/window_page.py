"""The mobile page behind a window's QR code, and the pages that refuse a code.

No framework and no external resources: one small inline style and script, allowed by their hashes in
the Content-Security-Policy. The script posts to intake's `POST /v1/evaluations` on the same API,
found relative to the page (`<api>/q/<token>` → `<api>/v1/evaluations`), so the stage prefix or
custom domain needs no configuration.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Final

from govrate.models import Channel, ReasonCode
from govrate.scale import Level
from govrate.web.problems import Problem
from govrate.window_models import WindowRatingPage

_STYLE: Final = """
*{box-sizing:border-box}
body{margin:0;color:#1a1a1a;background:#f4f6f8}
body{font:18px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0}
.window{margin:0 0 1rem;color:#444}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:600;margin-bottom:.5rem}
.choice{display:block;margin:.4rem 0}
.choice input{position:absolute;opacity:0}
.choice span{display:block;padding:.8rem 1rem;border:2px solid #9aa5b1;border-radius:.6rem;background:#fff}
.level span{font-size:1.2rem;font-weight:600;text-align:center;padding:1rem}
.choice input:checked+span{border-color:#0b5cad;background:#e3effb}
.choice input:focus-visible+span{outline:3px solid #f0a000;outline-offset:2px}
label[for=comment]{display:block;font-weight:600;margin-bottom:.5rem}
textarea{width:100%;min-height:6rem;font:inherit;padding:.6rem;border:2px solid #9aa5b1;border-radius:.6rem}
button{width:100%;margin-top:1rem;padding:1rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:.6rem}
button:disabled{background:#9aa5b1}
#status{min-height:1.5rem;margin-top:1rem}
.note{font-size:.9rem;color:#555}
"""

_SCRIPT: Final = """
(function () {
  var form = document.getElementById("rate");
  var reasons = document.getElementById("reasons");
  var status = document.getElementById("status");
  var submit = form.querySelector("button");
  var api = new URL("../", location.href);
  function checked(name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]:checked"));
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "level") {
      reasons.hidden = !event.target.dataset.bad;
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var item = checked("item")[0];
    var level = checked("level")[0];
    if (!item || !level) {
      status.textContent = "请选择办理事项和满意度。";
      return;
    }
    var body = {
      item_code: item.value,
      agency_code: form.dataset.agency,
      region_code: form.dataset.region,
      window_id: form.dataset.window,
      channel: form.dataset.channel,
      level: Number(level.value)
    };
    if (level.dataset.bad) {
      body.reason_codes = checked("reason").map(function (box) { return box.value; });
      if (!body.reason_codes.length) {
        status.textContent = "请选择不满意的原因。";
        return;
      }
    }
    var comment = form.elements.comment.value.trim();
    if (comment) {
      body.comment = comment;
    }
    submit.disabled = true;
    status.textContent = "正在提交……";
    fetch(new URL("v1/evaluations", api), {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.detail || answer.title || response.status);
        }
        return answer;
      });
    }).then(function (accepted) {
      form.hidden = true;
      status.textContent = "评价已提交，感谢您的反馈。请保存以下链接，查看评价及处理进度：";
      var link = document.createElement("a");
      link.href = new URL(accepted.status_url.replace(/^\\//, ""), api).href;
      link.textContent = "查看我的评价";
      status.appendChild(document.createElement("br"));
      status.appendChild(link);
    }).catch(function (error) {
      submit.disabled = false;
      status.textContent = "提交未成功（" + error.message + "），请稍后重试。";
    });
  });
})();
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


_STYLE_ONLY_POLICY: Final = (
    f"default-src 'none'; style-src {_csp_hash(_STYLE)}; base-uri 'none'; frame-ancestors 'none'"
)
RATING_PAGE_HEADERS: Final = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        f"{_STYLE_ONLY_POLICY}; script-src {_csp_hash(_SCRIPT)}; connect-src 'self'; form-action 'none'"
    ),
}
REFUSAL_PAGE_HEADERS: Final = {**RATING_PAGE_HEADERS, "Content-Security-Policy": _STYLE_ONLY_POLICY}

REASON_LABELS_ZH: Final = {
    ReasonCode.ATTITUDE: "服务态度不好",
    ReasonCode.SLOW: "办理慢、等候久",
    ReasonCode.UNCLEAR_REQUIREMENTS: "办事要求讲不清",
    ReasonCode.REPEATED_TRIPS: "来回跑、多次跑",
    ReasonCode.SYSTEM_FAULT: "系统故障",
    ReasonCode.POLICY: "政策规定不合理",
    ReasonCode.OTHER: "其他",
}

# What a citizen who scanned a refused code reads, by problem kind.
_REFUSALS: Final = {
    "not-found": ("二维码无法识别", "这个二维码不是本系统签发的，或已被改动。请向窗口工作人员咨询评价方式。"),
    "gone": ("二维码已失效", "这个窗口的评价二维码已更换或停用。请扫描窗口现在张贴的二维码。"),
    "unavailable": ("服务暂时不可用", "评价服务暂时不可用，请稍后再扫码评价。"),
}
_GENERIC_REFUSAL: Final = ("暂时无法评价", "页面出现问题，请稍后再试。")


def _page(title: str, content: str, script: str = "") -> str:
    script_tag = f"<script>{script}</script>" if script else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{content}</main>{script_tag}</body></html>"
    )


def _level_choice(level: Level) -> str:
    bad = ' data-bad="1"' if level.is_bad_review else ""
    return (
        f'<label class="choice level"><input type="radio" name="level" value="{int(level)}" required{bad}>'
        f"<span>{escape(level.label_zh)}</span></label>"
    )


def render_rating_page(page: WindowRatingPage, max_comment_length: int) -> str:
    window = page.window
    only_item = len(page.items) == 1
    items = "".join(
        f'<label class="choice"><input type="radio" name="item" value="{escape(item.item_code)}" required'
        f"{' checked' if only_item else ''}><span>{escape(item.name_zh)}</span></label>"
        for item in page.items
    )
    levels = "".join(_level_choice(level) for level in sorted(Level, reverse=True))
    reasons = "".join(
        f'<label class="choice"><input type="checkbox" name="reason" value="{reason.value}">'
        f"<span>{escape(REASON_LABELS_ZH[reason])}</span></label>"
        for reason in ReasonCode
    )
    content = (
        "<h1>请对本次服务进行评价</h1>"
        f'<p class="window">{escape(window.name_zh)}</p>'
        f'<form id="rate" data-window="{escape(window.window_id)}" data-agency="{escape(window.agency_code)}"'
        f' data-region="{escape(window.region_code)}" data-channel="{Channel.WINDOW_QR.value}">'
        f"<fieldset><legend>办理事项</legend>{items}</fieldset>"
        f"<fieldset><legend>满意度</legend>{levels}</fieldset>"
        f'<fieldset id="reasons" hidden><legend>不满意的原因（可多选）</legend>{reasons}</fieldset>'
        '<label for="comment">意见建议（选填）</label>'
        f'<textarea id="comment" name="comment" maxlength="{max_comment_length}"></textarea>'
        '<button type="submit">提交评价</button>'
        "</form>"
        '<p id="status" role="status" aria-live="polite"></p>'
        "<noscript><p>请开启浏览器的脚本功能后提交评价。</p></noscript>"
        '<p class="note">评价自愿，可匿名；任何单位和个人不得强迫或干预评价。</p>'
    )
    return _page(f"服务评价 · {window.name_zh}", content, _SCRIPT)


def render_refusal_page(problem: Problem) -> str:
    title, message = _REFUSALS.get(problem.kind, _GENERIC_REFUSAL)
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
