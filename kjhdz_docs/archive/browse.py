"""``invoke browse``: static, self-contained HTML pages over the archive index.

``archive/index.html`` lists the latest version of every sealed year, ``archive/<year>/index.html``
one year (and its earlier versions). Inline CSS and JavaScript, no network, links relative to the
page, so the pages work opened from disk or a USB stick. A filter box narrows the rows as you type;
each bag shows the result of its last 四性检测. ``--serve`` also serves the folder on localhost.

A full-text search box (全文检索) finds words inside the documents of every sealed year (``archive/index.html``;
a year's page searches that year): on the first search the page adds a ``<script>`` element per year for
``search/<year>.js`` (:mod:`.fulltext`), which a browser loads from file:// where ``fetch``/XHR would be
refused, and shows each matching 件 with a snippet and links, ranked as ``invoke search --text`` ranks.
"""

from __future__ import annotations

import html
import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from .. import console
from ..errors import MissingInputError
from ..paths import archive_root
from . import fulltext
from .catalogue import NAME as CATALOGUE
from .index import INDEX, load_index, year_dirs
from .index import versions as bag_versions
from .verify import last_verify

TYPES = {"notice": "通知", "recommendations": "推荐清单", "summary": "汇总报告", "submission": "报送材料",
         "letter": "函件（去文）"}
STATUS = {"accepted": "采用", "rejected": "退回", "superseded": "已被替代", "attachment": "附件", "unmatched": "未匹配"}
VERIFY = {"pass": ("通过", "ok"), "fail": ("未通过", "bad"), None: ("未检测", "none")}

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .45em;vertical-align:top;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}
tr.hidden{display:none}
.ok{color:#176117;font-weight:bold}.bad{color:#b00020;font-weight:bold}.none{color:#777}
.code{font-family:monospace;white-space:nowrap}
#filter{font-size:1em;padding:.35em;width:24em;max-width:90%}
.muted{color:#666;font-size:.9em}
#fulltext{font-size:1em;padding:.35em;width:30em;max-width:90%}
#fulltext-results td.snippet{max-width:40em}
mark{background:#ffe27a}
"""

SEARCH_JS = r"""
(function(){
  var box=document.getElementById('fulltext'); if(!box) return;
  var out=document.querySelector('#fulltext-results tbody'), table=document.getElementById('fulltext-results'),
      info=document.getElementById('fulltext-info'),
      years=JSON.parse(document.getElementById('fulltext-years').textContent),
      base=box.getAttribute('data-base')||'', docs=null, loading=false, waiting=[], missing=[];
  var CJK='\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef';
  var nearCJK=new RegExp('\\s+(?=['+CJK+'])|(?<=['+CJK+'])\\s+','g');
  function norm(s){ return (s||'').normalize('NFKC').replace(nearCJK,'').replace(/\s+/g,' ').trim(); }
  function esc(s){ return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];}); }
  function href(p){ return p ? base+p.split('/').map(encodeURIComponent).join('/') : ''; }
  function ready(){
    docs=[]; var all=window.KJHDZ_FULLTEXT||{};
    years.forEach(function(y){
      var d=all[String(y)]; if(!d){ missing.push('search/'+y+'.js'); return; }
      d.docs.forEach(function(x){ x._t=x.title||norm(x['题名']).toLowerCase(); x._x=x.text.toLowerCase(); docs.push(x); });
    });
    waiting.splice(0).forEach(function(f){ f(); });
  }
  function load(then){
    if(docs){ then(); return; } waiting.push(then); if(loading) return; loading=true;
    var left=years.length; if(!left){ ready(); return; }
    info.textContent='正在载入检索索引……';
    years.forEach(function(y){
      var s=document.createElement('script'); s.src=href('search/'+y+'.js');
      s.onload=s.onerror=function(){ if(--left===0) ready(); }; document.head.appendChild(s);
    });
  }
  function words(q){
    var seen={}, w=(q||'').normalize('NFKC').split(/\s+/).map(function(x){ return norm(x).toLowerCase(); })
      .filter(function(x){ if(!x||seen[x]) return false; seen[x]=1; return true; });
    return w.sort(function(a,b){ return b.length-a.length || (a<b?-1:a>b?1:0); });
  }
  function count(hay, w){ var n=0, i=hay.indexOf(w); while(i>=0){ n++; i=hay.indexOf(w,i+w.length); } return n; }
  function score(d, ws){
    var total=0, first=-1, found='';
    for(var i=0;i<ws.length;i++){
      var w=ws[i], t=d._t.indexOf(w)>=0, n=count(d._x,w);
      if(!t && !n) return null;
      total+=(t?10:0)+(n?(1+Math.log(n))*w.length:0);
      if(n && first<0){ first=d._x.indexOf(w); found=w; }
    }
    return {score:total, at:first, word:found};
  }
  function snippet(d, at, w){
    var text=d.text; if(at<0) return esc(text.slice(0,90))+(text.length>90?'…':'');
    var a=Math.max(0,at-30), b=Math.min(text.length,at+w.length+60);
    return (a?'…':'')+esc(text.slice(a,at))+'<mark>'+esc(text.slice(at,at+w.length))+'</mark>'
           +esc(text.slice(at+w.length,b))+(b<text.length?'…':'');
  }
  function run(){
    var ws=words(box.value); out.innerHTML='';
    if(!ws.length){ table.hidden=true; info.textContent=''; return; }
    var hits=[];
    docs.forEach(function(d){ var s=score(d,ws); if(s) hits.push({d:d,s:s}); });
    hits.sort(function(x,y){ return y.s.score-x.s.score || y.d.year-x.d.year ||
                                    (x.d['序号']||x.d['件号'])-(y.d['序号']||y.d['件号']); });
    var shown=hits.slice(0,100), rows=[];
    shown.forEach(function(h){
      var d=h.d, links=[];
      if(d.pdf) links.push('<a class="pdf" href="'+esc(href(d.pdf))+'">PDF</a>');
      if(d.original) links.push('<a class="original" href="'+esc(href(d.original))+'">原件</a>');
      rows.push('<tr><td class="code">'+esc(d['档号'])+'</td><td>'+esc(d['题名'])+'</td><td>'+d.year+'</td>'
                +'<td class="snippet">'+snippet(d,h.s.at,h.s.word)+'</td><td>'+links.join(' ')+'</td></tr>');
    });
    out.innerHTML=rows.join('');
    table.hidden=!shown.length;
    info.textContent='全文检索：'+hits.length+' 件'+(hits.length>shown.length?'（显示前 '+shown.length+' 件）':'')
      +(missing.length?'；未能载入 '+missing.join('、')+'（请运行 invoke reindex）':'');
  }
  var timer=null;
  box.addEventListener('input', function(){ clearTimeout(timer); timer=setTimeout(function(){ load(run); }, 120); });
  var m=/[#&]q=([^&]*)/.exec(location.hash);          // index.html#q=航天: a search to bookmark or pass on
  if(m){ box.value=decodeURIComponent(m[1]); load(run); }
})();
"""

JS = """
(function(){
  var box=document.getElementById('filter'), rows=document.querySelectorAll('tbody tr'),
      count=document.getElementById('count');
  function apply(){
    var words=box.value.toLowerCase().split(/\\s+/).filter(Boolean), shown=0;
    rows.forEach(function(r){
      var t=r.textContent.toLowerCase(), ok=words.every(function(w){return t.indexOf(w)>=0;});
      r.classList.toggle('hidden', !ok); if(ok) shown++;
    });
    count.textContent=shown;
  }
  box.addEventListener('input', apply); apply();
})();
"""


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _href(path: str, prefix: str) -> str:
    """A link to ``path`` (relative to the archive root) from a page ``prefix`` levels down."""
    rel = path[len(prefix):] if prefix and path.startswith(prefix) else path
    return quote(rel, safe="/")


def _links(entry: dict, prefix: str) -> str:
    out = []
    if entry.get("pdf"):
        out.append(f'<a class="pdf" href="{_href(entry["pdf"], prefix)}">PDF</a>')
    if entry.get("original"):
        out.append(f'<a class="original" href="{_href(entry["original"], prefix)}">原件</a>')
    for f in entry.get("files", []):
        if f["role"] in ("attachment", "companion"):
            out.append(f'<a class="more" href="{_href(f["path"], prefix)}">{_e(f["name"])}</a>')
    return " ".join(out)


def _rows(entries: list[dict], prefix: str) -> str:
    rows = []
    for e in entries:
        status = STATUS.get(e.get("status") or "", "")
        if e["type"] == "letter" and e.get("unit"):
            status = f"主送{e['unit']}"
        rows.append(
            f'<tr data-code="{_e(e["档号"])}"><td class="code">{_e(e["档号"])}</td><td>{_e(e["题名"])}</td>'
            f'<td>{_e(e.get("文件编号"))}</td><td>{_e("、".join(e.get("责任者") or []))}</td><td>{_e(e.get("日期"))}</td>'
            f'<td>{_e(e.get("保管期限"))}</td><td>{_e(e.get("密级"))}</td><td>{_e(e.get("公开属性"))}</td>'
            f'<td>{_e(e.get("页数"))}</td><td>{_e(TYPES.get(e["type"], e["type"]))}'
            f'{"（" + _e(status) + "）" if status else ""}</td><td>{_links(e, prefix)}</td></tr>')
    return "\n".join(rows)


def _search_box(search_years: list[int], base: str) -> str:
    """The full-text search box; the years whose ``search/<year>.js`` it loads on the first search."""
    import json

    return (f'<p><label>全文检索 <input id="fulltext" type="search" data-base="{_e(base)}" autocomplete="off" '
            f'placeholder="文件内容中的词，如活动名称、“航天”……"></label> <span id="fulltext-info" class="muted"></span></p>\n'
            f'<script type="application/json" id="fulltext-years">{json.dumps(search_years)}</script>\n'
            '<table id="fulltext-results" hidden><thead><tr><th>档号</th><th>题名</th><th>年度</th><th>片段</th>'
            '<th>文件</th></tr></thead><tbody></tbody></table>\n')


def _page(title: str, intro: str, entries: list[dict], prefix: str, search: str = "") -> str:
    head = ["档号", "题名", "文件编号", "责任者", "日期", "保管期限", "密级", "公开属性", "页数", "类型", "文件"]
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
            f'<style>{CSS}</style></head><body>\n<h1>{_e(title)}</h1>\n{intro}\n{search}'
            f'<p><label>筛选 <input id="filter" type="search" placeholder="档号、题名、单位、文号……" autocomplete="off">'
            f'</label> <span class="muted">显示 <span id="count">{len(entries)}</span> / {len(entries)} 件</span></p>\n'
            f'<table id="records"><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead>\n<tbody>\n'
            f'{_rows(entries, prefix)}\n</tbody></table>\n<script>{JS}</script>'
            f'{"<script>" + SEARCH_JS + "</script>" if search else ""}</body></html>\n')


def _verify_cell(root: Path, year: int, version: str, prefix: str = "") -> str:
    """The last 四性检测 of a bag: its result, when it ran, and a link to its report (``prefix`` leads from
    the page to the archive root)."""
    last = last_verify(root, year, version)
    label, cls = VERIFY[last["status"]]
    when = f'（{_e(last["verified"][:19].replace("T", " "))}）' if last.get("verified") else ""
    link = (f' <a class="verify-report" href="{prefix}{quote(last["report"])}">检测报告</a>'
            if last.get("report") else "")
    return f'<span class="verify {cls}" data-bag="{year}/{version}">四性检测：{label}{when}</span>{link}'


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_pages(root: Path | None = None) -> list[Path]:
    """Write ``index.html`` for the whole archive and for each sealed year; returns the pages written."""
    root = root or archive_root()
    if not root.exists():
        raise MissingInputError(f"{root}: no archive yet", hint="seal a year first: invoke archive --year 2024")
    entries = [e for e in load_index(root) if e.get("latest")]
    entries.sort(key=lambda e: (-e["year"], e.get("序号") or e["件号"]))
    written = []
    years = []
    indexed = fulltext.years(root)
    for year_dir in year_dirs(root):
        year = int(year_dir.name)
        bags = bag_versions(year_dir)
        if not bags:
            continue
        mine = [e for e in entries if e["year"] == year]
        latest = mine[0]["version"] if mine else bags[-1].name
        years.append((year, latest, len(mine)))
        older = [b.name for b in bags if b.name != latest]
        intro = (f'<p>归档包 <a href="{quote(latest)}/">{latest}</a> · {_verify_cell(root, year, latest, "../")} · '
                 f'{len(mine)} 件 · <a class="catalogue" href="{quote(latest)}/data/catalogue/{quote(CATALOGUE)}.pdf">'
                 f'归档文件目录</a>（<a href="{quote(latest)}/data/catalogue/{quote(CATALOGUE)}.xlsx">.xlsx</a>） · '
                 f'<a href="../index.html">全部年度</a></p>')
        if older:
            intro += "<p class=\"muted\">已被替代的版本：" + "，".join(
                f'<a href="{quote(v)}/">{v}</a>（{_verify_cell(root, year, v, "../")}）' for v in older) + "</p>"
        searchable = year in indexed
        written.append(_write(year_dir / "index.html",
                              _page(f"{year}年全国科技活动周 归档文件目录", intro, mine, f"{year}/",
                                    _search_box([year], "../") if searchable else "")))
    summary = "".join(f'<li><a href="{year}/index.html">{year}年</a>：{n} 件，归档包 {v} · '
                      f'{_verify_cell(root, year, v)}</li>' for year, v, n in sorted(years, reverse=True))
    intro = (f"<ul>{summary or '<li>尚无已封装的年度</li>'}</ul>"
             f'<p class="muted">检索索引：<a href="{INDEX}">{INDEX}</a></p>')
    written.append(_write(root / "index.html", _page("全国科技活动周 归档文件目录（全部年度）", intro, entries, "",
                                                     _search_box(indexed, "") if indexed else "")))
    return written


def browse(serve: bool = False, port: int = 8765) -> int:
    """Write the pages; with ``serve``, serve the archive folder on http://127.0.0.1:<port>/ until Ctrl-C."""
    root = archive_root()
    pages = write_pages(root)
    for p in pages:
        console.say(f"{p}  ({p.as_uri()})")
    if serve:
        handler = partial(SimpleHTTPRequestHandler, directory=str(root))
        with ThreadingHTTPServer(("127.0.0.1", int(port)), handler) as httpd:
            console.say(f"serving {root} on http://127.0.0.1:{port}/ — Ctrl-C to stop")
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                pass
    return 0
