"""The page shell: inline CSS and a small inline script. The script builds every piece of
data-derived DOM with textContent, never innerHTML, so no dataset text is ever parsed as
HTML; the data itself sits in a JSON script block with '<', '>' and '&' escaped."""

from __future__ import annotations

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px} h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4;cursor:pointer} .note{color:#555;font-size:13px}
.warning{background:#fff4e5;border-left:4px solid #e67e22;padding:6px 10px;font-size:14px}
.plots{display:flex;flex-wrap:wrap;gap:12px} .controls{margin:8px 0}
#samples-table td.text{max-width:560px;white-space:pre-wrap;word-break:break-word}
#samples-table tr:hover{background:#f6f9ff;cursor:pointer}
.heatmap{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px;line-height:1.8}
.heatmap span{padding:1px 0;border-radius:2px} details pre{font-size:12px;overflow:auto}
"""

SCRIPT = r"""
(function(){
  var block = document.getElementById('report-data');
  if(!block) return;
  var data = JSON.parse(block.textContent);
  var s = data.samples; if(!s) return;
  var pageSize = 50, page = 0, sortCol = -1, sortAsc = false, filtered = s.rows.slice();
  var thead = document.querySelector('#samples-table thead');
  var tbody = document.querySelector('#samples-table tbody');
  var headers = ['id','label'].concat(s.columns).concat(['text']);
  var tr = document.createElement('tr');
  headers.forEach(function(h, i){
    var th = document.createElement('th'); th.textContent = h;
    th.addEventListener('click', function(){ if(sortCol===i){sortAsc=!sortAsc}else{sortCol=i;sortAsc=false} sortRows(); draw(); });
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  document.getElementById('samples-note').textContent = 'Showing ' + s.rows.length + ' of ' + s.total +
    ' samples, ranked by ' + s.rank_by + ' (higher = more likely a member).';
  function value(r, i){ if(i===0) return r.id; if(i===1) return r.label; if(i===headers.length-1) return r.text; return r.scores[i-2]; }
  function sortRows(){ filtered.sort(function(a,b){ var x=value(a,sortCol), y=value(b,sortCol);
    if(x===y) return 0; if(x===null) return 1; if(y===null) return -1; return (x<y?-1:1)*(sortAsc?1:-1); }); }
  function draw(){
    while(tbody.firstChild) tbody.removeChild(tbody.firstChild);
    var pages = Math.max(1, Math.ceil(filtered.length/pageSize)); page = Math.min(page, pages-1);
    filtered.slice(page*pageSize, (page+1)*pageSize).forEach(function(r){
      var row = document.createElement('tr');
      headers.forEach(function(h, i){ var td = document.createElement('td'); var v = value(r, i);
        td.textContent = (v===null||v===undefined) ? '—' : (typeof v==='number' && i>1 ? v.toFixed(4) : String(v));
        if(i===headers.length-1) td.className='text'; row.appendChild(td); });
      row.addEventListener('click', function(){ heat(r); });
      tbody.appendChild(row);
    });
    document.getElementById('page').textContent = 'page ' + (page+1) + ' / ' + pages;
  }
  function colour(v, lo, hi){ var t = Math.max(0, Math.min(1, (v-lo)/(hi-lo||1)));
    return 'hsl(' + Math.round(120*t) + ',70%,80%)'; }
  var current = null;
  function heat(r){
    current = r; var box = document.getElementById('heatmap');
    while(box.firstChild) box.removeChild(box.firstChild);
    var mode = document.getElementById('heat-mode').value;
    var vals = r[mode];
    if(!r.tokens || !vals){ box.textContent = 'No per-token scores stored for this sample (run without --no-tokens; only the top samples keep them).'; return; }
    var lo = mode==='z' ? -3 : -10, hi = mode==='z' ? 3 : 0;
    var title = document.createElement('div'); title.textContent = 'sample ' + r.id; box.appendChild(title);
    r.tokens.forEach(function(t, i){ var span = document.createElement('span'); span.textContent = t;
      var v = vals[i]; span.style.background = v===null ? '#eee' : colour(v, lo, hi);
      span.title = mode + ' = ' + (v===null ? 'n/a' : v.toFixed(3)); box.appendChild(span); });
  }
  document.getElementById('heat-mode').addEventListener('change', function(){ if(current) heat(current); });
  document.getElementById('search').addEventListener('input', function(e){ var q = e.target.value.toLowerCase();
    filtered = s.rows.filter(function(r){ return r.id.toLowerCase().indexOf(q)>=0 || (r.text||'').toLowerCase().indexOf(q)>=0; });
    page = 0; if(sortCol>=0) sortRows(); draw(); });
  document.getElementById('prev').addEventListener('click', function(){ if(page>0){page--; draw();} });
  document.getElementById('next').addEventListener('click', function(){ page++; draw(); });
  draw();
  if(s.rows.length) heat(s.rows[0]);
  document.body.setAttribute('data-report-ready', '1');
})();
"""
