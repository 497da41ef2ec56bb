import Foundation
import MPICore
import MPIReport
import MPIStore

/// The review page's HTML: the sign-in form, the queue, and one pair side by side with its waterfall
/// and the three decisions. Everything is escaped; URLs carry review item numbers only, never a name
/// or an identifier.
enum ReviewPages {
    static let styles = HTMLPage.styles + """
        .agree{background:#e3f4ec}.differ{background:#fbe6da}.missing{color:#888}
        .decisions button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem;border:1px solid #888;border-radius:4px;background:#fff;cursor:pointer}
        .decisions button.link{border-color:#009E73}.decisions button.unlink{border-color:#D55E00}
        textarea{width:100%;min-height:3rem;font:inherit}kbd{border:1px solid #aaa;border-radius:3px;padding:0 .3rem;font-size:.85rem}
        header{display:flex;justify-content:space-between;align-items:baseline}form.inline{display:inline}
        a.item{font-weight:bold}
        """

    static func page(_ title: String, user: String?, csrf: String?, body: String) -> String {
        let account = user.map { name in
            "<span>Signed in as \(escapeMarkup(name)) <form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(escapeMarkup(csrf ?? ""))\"><button>Sign out</button></form></span>"
        } ?? ""
        return """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapeMarkup(title)) · mpi review</title><style>\(styles)</style></head>
            <body><header><h1>\(escapeMarkup(title))</h1>\(account)</header>\(body)</body></html>
            """
    }

    static func login(csrf: String, failed: Bool) -> String {
        page("Sign in", user: nil, csrf: nil, body: """
            \(failed ? "<p class=\"differ\">The name or password is not right.</p>" : "")
            <form method="post" action="/login">
            <p><label>Name<br><input name="name" id="name" autocomplete="username" required autofocus></label></p>
            <p><label>Password<br><input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
            <input type="hidden" name="csrf" value="\(escapeMarkup(csrf))">
            <p><button type="submit" id="sign-in">Sign in</button></p></form>
            """)
    }

    static func queue(_ items: [ReviewEntry], user: String, csrf: String, notice: String?) -> String {
        let rows = items.enumerated().map { position, item in
            "<tr><td class=\"num\">\(position + 1)</td><td><a class=\"item\" href=\"/review/\(item.id)\">item \(item.id)</a></td>"
                + "<td class=\"num\">\(String(format: "%.4f", item.probability))</td><td class=\"num\">\(String(format: "%.2f", item.matchWeight))</td>"
                + "<td>\(escapeMarkup(item.reason))</td></tr>"
        }.joined()
        let table = items.isEmpty ? "<p>The review queue is empty.</p>"
            : "<table id=\"queue\"><tr><th>#</th><th>pair</th><th class=\"num\">probability</th><th class=\"num\">match weight</th><th>why it is here</th></tr>\(rows)</table>"
        return page("Review queue", user: user, csrf: csrf, body: """
            \(notice.map { "<p class=\"agree\" id=\"notice\">\(escapeMarkup($0))</p>" } ?? "")
            <p class="note">Highest stakes first: the pairs closest to an automatic link. \(items.count) shown.</p>\(table)
            """)
    }

    /// The two persons the pair would join, every record side by side: a held cluster seen whole.
    static func cluster(_ groups: [(person: String, records: [MatchRecord])], kinds: [ComparisonKind]) -> String {
        let records = groups.flatMap { group in group.records.map { (group.person, $0) } }
        guard records.count > 2 else { return "" }
        var html = "<h2>The persons this pair would join</h2><table id=\"cluster\"><tr><th>field</th>"
        html += records.map { "<th>\(escapeMarkup($0.0))<br>\(escapeMarkup($0.1.key.description))</th>" }.joined() + "</tr>"
        for kind in kinds {
            let values = records.map { ComparedValues.text(kind, $0.1) }
            let distinct = Set(values.filter { !$0.isEmpty })
            html += "<tr class=\"\(distinct.count > 1 ? "differ" : "agree")\"><td>\(escapeMarkup(kind.name))</td>"
                + values.map { "<td>\(escapeMarkup($0.isEmpty ? "—" : $0))</td>" }.joined() + "</tr>"
        }
        return html + "</table><p class=\"note\">Orange rows hold different values within the two persons.</p>"
    }

    static func item(_ item: ReviewEntry, explanation: Explanation, kinds: [ComparisonKind], left: MatchRecord, right: MatchRecord,
                     persons: (String?, String?), cluster: String = "", user: String, csrf: String) -> String {
        var rows = "<tr><th>field</th><th>\(escapeMarkup(item.left.description))</th><th>\(escapeMarkup(item.right.description))</th><th>level</th><th class=\"num\">weight</th></tr>"
        rows += "<tr><td>person now</td><td>\(escapeMarkup(persons.0 ?? "—"))</td><td>\(escapeMarkup(persons.1 ?? "—"))</td><td></td><td></td></tr>"
        for (index, step) in explanation.steps.enumerated() {
            let a = ComparedValues.text(kinds[index], left), b = ComparedValues.text(kinds[index], right)
            let style = a.isEmpty || b.isEmpty ? "missing" : step.level == 1 ? "agree" : step.weight + step.termFrequencyAdjustment >= 0 ? "agree" : "differ"
            rows += "<tr class=\"\(style)\"><td>\(escapeMarkup(step.comparison))</td><td>\(escapeMarkup(a.isEmpty ? "—" : a))</td>"
                + "<td>\(escapeMarkup(b.isEmpty ? "—" : b))</td><td>\(escapeMarkup(step.label))</td>"
                + "<td class=\"num\">\(String(format: "%+.2f", step.weight + step.termFrequencyAdjustment))</td></tr>"
        }
        return page("Review item \(item.id)", user: user, csrf: csrf, body: """
            <p><a href="/">← queue</a> · why it is here: <strong>\(escapeMarkup(item.reason))</strong> ·
            probability \(String(format: "%.6f", explanation.probability)) · match weight \(String(format: "%.2f", explanation.matchWeight))</p>
            <table id="pair">\(rows)</table>
            <p class="note">Green: the values agree or count for a match; orange: they differ; grey: one is missing.</p>
            <div class="chart">\(Charts.waterfall(explanation))</div>
            \(cluster)
            <form method="post" action="/review/\(item.id)" id="decide">
            <input type="hidden" name="csrf" value="\(escapeMarkup(csrf))">
            <p><label>Reason (required)<br><textarea name="reason" id="reason" required></textarea></label></p>
            <p class="decisions">
            <button name="decision" value="link" class="link" id="link">Link <kbd>L</kbd></button>
            <button name="decision" value="unlink" class="unlink" id="unlink">Unlink <kbd>U</kbd></button>
            <button name="decision" value="not_sure" id="not-sure">Not sure <kbd>N</kbd></button></p></form>
            <script>
            document.addEventListener('keydown', function (event) {
              if (event.target.tagName === 'TEXTAREA' || event.target.tagName === 'INPUT' || event.ctrlKey || event.metaKey || event.altKey) return;
              var id = {l: 'link', u: 'unlink', n: 'not-sure'}[event.key.toLowerCase()];
              if (!id) return;
              event.preventDefault();
              var reason = document.getElementById('reason');
              if (!reason.value.trim()) { reason.focus(); return; }
              document.getElementById(id).click();
            });
            </script>
            """)
    }
}
