/// A self-contained HTML page: inline CSS, no script, no network; readable on a laptop and printable.
public struct HTMLPage {
    public let title: String
    private var sections: [String] = []

    public init(title: String) {
        self.title = title
    }

    /// Appends a section with a heading and already-built HTML (charts, tables).
    public mutating func section(_ heading: String, _ html: String, note: String? = nil) {
        let paragraph = note.map { "<p class=\"note\">\(escapeMarkup($0))</p>" } ?? ""
        sections.append("<section><h2>\(escapeMarkup(heading))</h2>\(paragraph)<div class=\"chart\">\(html)</div></section>")
    }

    /// A table from rows of text (escaped here).
    public static func table(header: [String], rows: [[String]]) -> String {
        let head = "<tr>" + header.map { "<th>\(escapeMarkup($0))</th>" }.joined() + "</tr>"
        let body = rows.map { "<tr>" + $0.map { "<td>\(escapeMarkup($0))</td>" }.joined() + "</tr>" }.joined()
        return "<table>\(head)\(body)</table>"
    }

    public static let styles = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:62rem;padding:0 1rem;color:#222;line-height:1.4}
        h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
        .note{color:#555;font-size:.9rem}.chart svg{width:100%;height:auto;max-width:62rem}
        table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
        th{background:#f4f4f4}td.num,th.num{text-align:right}
        section{page-break-inside:avoid}
        @media print{body{margin:0;max-width:none}a{color:inherit}}
        """

    public func render(subtitle: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeMarkup(title))</title><style>\(Self.styles)</style></head>
        <body><h1>\(escapeMarkup(title))</h1><p class="note">\(escapeMarkup(subtitle))</p>
        \(sections.joined(separator: "\n"))
        </body></html>
        """
    }
}
