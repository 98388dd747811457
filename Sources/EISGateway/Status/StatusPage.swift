import EISCore
import Foundation
import Hummingbird

/// The status page: one self-contained HTML document (inline style and script, no external
/// scripts, fonts or images), so it works offline and on a gateway with no internet.
///
/// It fetches `status.json` every `?refresh=MS` milliseconds (default 2000) and redraws. Every
/// value from the report is set as text (`textContent`), never as HTML: a backend's error text is
/// the backend's words. The Content-Security-Policy allows exactly the inline script and style
/// (by hash) and requests to the gateway itself.
enum StatusPage {
    static let style = """
    :root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#6e7781;--line:#d0d7de}
    body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;max-width:72rem}
    h1{font-size:1.3rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
    .meta,.mute{color:var(--mute)}#banner{color:var(--bad);font-weight:600;min-height:1.2em}
    table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
    th,td{white-space:nowrap}th{font-weight:600;font-size:.85rem;color:var(--mute)}td.num{font-variant-numeric:tabular-nums;text-align:right}
    .state{font-weight:600}.verified,.ok{color:var(--ok)}.unhealthy,.ejected,.refused,.down{color:var(--bad)}.unverified{color:var(--warn)}
    .figures{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;margin:.3rem 0}.figures b{font-variant-numeric:tabular-nums}
    td.reason{white-space:normal;font-size:.85rem;color:var(--mute);overflow-wrap:anywhere}
    """

    static let script = #"""
    (function () {
      "use strict";
      var query = new URLSearchParams(location.search);
      var refresh = Math.max(200, parseInt(query.get("refresh") || "2000", 10) || 2000);
      var token = new URLSearchParams(location.hash.slice(1)).get("token");
      // Out of the address bar and the history once read.
      if (token) { history.replaceState(null, "", location.pathname + location.search); }
      function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = String(text);
        return node;
      }
      function ms(value) { return value == null ? "–" : (value < 10 ? value.toFixed(2) : value.toFixed(1)) + " ms"; }
      function share(value) { return value == null ? "–" : (value * 100).toFixed(1) + " %"; }
      function rate(value) { return value == null ? "–" : value.toFixed(value < 10 ? 2 : 0) + "/s"; }
      function figure(parent, label, value) {
        var span = el("span", null, label + " ");
        span.appendChild(el("b", null, value));
        parent.appendChild(span);
      }
      function cells(row, values) {
        values.forEach(function (value) {
          var cell = el("td", typeof value === "object" && value ? value.className : null, typeof value === "object" && value ? value.text : value);
          row.appendChild(cell);
        });
      }
      function renderModel(model, window) {
        var section = el("section");
        section.dataset.model = model.name;
        var title = el("h2", null, model.name + " ");
        title.appendChild(el("span", model.servable ? "ok" : "down", model.servable ? "servable" : "NOT SERVABLE"));
        section.appendChild(title);
        var figures = el("div", "figures");
        var requests = model.requests || {};
        figure(figures, "shares", model.shares);
        figure(figures, "trust domains up", model.trust_domains_up);
        figure(figures, "requests", rate(requests.per_second));
        figure(figures, "p50", ms(requests.p50_ms));
        figure(figures, "p90", ms(requests.p90_ms));
        figure(figures, "p99", ms(requests.p99_ms));
        figure(figures, "errors", share(requests.error_ratio));
        section.appendChild(figures);
        var batching = model.batching, batchFigures = el("div", "figures");
        figure(batchFigures, "batching", batching.enabled ? "on (max " + batching.max_batch + ", " + batching.max_delay_ms + " ms)" : "off");
        figure(batchFigures, "padding buckets", batching.padding_buckets.join(", "));
        figure(batchFigures, "batches in " + window + " s", batching.batches);
        figure(batchFigures, "rows/batch", batching.mean_rows == null ? "–" : batching.mean_rows.toFixed(1));
        figure(batchFigures, "requests/batch", batching.mean_requests == null ? "–" : batching.mean_requests.toFixed(1));
        figure(batchFigures, "padding", share(batching.padding_share));
        section.appendChild(batchFigures);
        var table = el("table"), head = el("tr");
        ["backend", "trust domain", "state", "calls", "errors", "p50", "p99", "avg", "in flight", "url"].forEach(function (name) { head.appendChild(el("th", null, name)); });
        table.appendChild(head);
        model.backends.forEach(function (backend) {
          var row = el("tr"), calls = backend.calls || {};
          row.dataset.backend = backend.name;
          row.dataset.state = backend.state;
          var state = backend.state + (backend.ejected_until ? " until " + new Date(backend.ejected_until).toLocaleTimeString() : "");
          cells(row, [backend.name, backend.trust_domain, { className: "state " + backend.state, text: state },
            { className: "num", text: calls.count == null ? 0 : calls.count }, { className: "num", text: share(calls.error_ratio) },
            { className: "num", text: ms(calls.p50_ms) }, { className: "num", text: ms(calls.p99_ms) },
            { className: "num", text: ms(backend.latency_ewma_ms) }, { className: "num", text: backend.outstanding }, { className: "mute", text: backend.url }]);
          table.appendChild(row);
          if (backend.reason) {
            var why = el("tr"), cell = el("td", "reason", backend.reason);
            cell.colSpan = 10;
            why.appendChild(cell);
            table.appendChild(why);
          }
        });
        section.appendChild(table);
        return section;
      }
      function render(report) {
        document.getElementById("overall").textContent = report.status;
        document.getElementById("overall").className = "state " + (report.status === "ok" ? "ok" : "down");
        document.getElementById("meta").textContent = "eis-gateway " + report.version + " · updated " + new Date(report.generated_at).toLocaleTimeString() +
          " · figures over the last " + report.window_seconds + " s, rates over " + report.rate_seconds + " s · refresh every " + refresh / 1000 + " s";
        var models = document.getElementById("models");
        models.replaceChildren.apply(models, report.models.map(function (model) { return renderModel(model, report.window_seconds); }));
        document.body.dataset.updated = report.generated_at;
        document.body.dataset.renders = String((+document.body.dataset.renders || 0) + 1);
      }
      function tick() {
        var headers = token ? { Authorization: "Bearer " + token } : {};
        fetch("status.json", { headers: headers, cache: "no-store" })
          .then(function (response) {
            if (!response.ok) throw new Error("HTTP " + response.status);
            return response.json();
          })
          .then(function (report) { render(report); document.getElementById("banner").textContent = ""; })
          .catch(function (error) { document.getElementById("banner").textContent = "cannot read status.json: " + error.message; })
          .then(function () { setTimeout(tick, refresh); });
      }
      tick();
    })();
    """#

    /// The page.
    static let html: [UInt8] = Array("""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
    <title>eis-gateway status</title><style>\(style)</style></head>
    <body><h1>eis-gateway <span id="overall" class="state">…</span></h1>
    <div id="meta" class="meta">loading status.json…</div><div id="banner"></div><main id="models"></main>
    <script>\(script)</script></body></html>

    """.utf8)

    /// The headers the page is served with: its policy, and no caching, framing or sniffing.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; connect-src 'self'; script-src '\(hashSource(script))'; style-src '\(hashSource(style))'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .cacheControl: "no-store",
        .xContentTypeOptions: "nosniff",
    ]

    /// A CSP hash source (`sha256-<base64>`) for an inline element's text.
    static func hashSource(_ text: String) -> String {
        let hex = Array(text.utf8).withUnsafeBytes { SHA256Digest.hex(of: $0) }
        var bytes = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return "sha256-" + Data(bytes).base64EncodedString()
    }
}
