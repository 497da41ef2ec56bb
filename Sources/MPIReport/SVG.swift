import Foundation

/// Text made safe for HTML and SVG: the five characters markup gives meaning to are escaped.
public func escapeMarkup(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}

/// Numbers as charts print them: a fixed number of decimals, no locale.
func format(_ value: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", value) }

/// A small SVG writer: shapes and text in user units, escaped, with the colours of the report's
/// palette. Charts build on it; nothing here knows about matching.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, title: String? = nil) {
        let tooltip = title.map { "<title>\(escapeMarkup($0))</title>" } ?? ""
        elements.append(#"<rect x="\#(format(x))" y="\#(format(y))" width="\#(format(max(width, 0)))" height="\#(format(max(height, 0)))" fill="\#(fill)">\#(tooltip)</rect>"#)
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#555", width: Double = 1, dashed: Bool = false) {
        let dash = dashed ? #" stroke-dasharray="4 3""# : ""
        elements.append(#"<line x1="\#(format(x1))" y1="\#(format(y1))" x2="\#(format(x2))" y2="\#(format(y2))" stroke="\#(stroke)" stroke-width="\#(format(width))"\#(dash)/>"#)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
        let list = points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ")
        elements.append(#"<polyline points="\#(list)" fill="none" stroke="\#(stroke)" stroke-width="\#(format(width))"/>"#)
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String, title: String? = nil) {
        let tooltip = title.map { "<title>\(escapeMarkup($0))</title>" } ?? ""
        elements.append(#"<circle cx="\#(format(x))" cy="\#(format(y))" r="\#(format(radius))" fill="\#(fill)">\#(tooltip)</circle>"#)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ value: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12, bold: Bool = false, fill: String = "#222") {
        let weight = bold ? #" font-weight="bold""# : ""
        elements.append(#"<text x="\#(format(x))" y="\#(format(y))" text-anchor="\#(anchor.rawValue)" font-size="\#(format(size, 1))" fill="\#(fill)"\#(weight)>\#(escapeMarkup(value))</text>"#)
    }

    /// The finished drawing, scaled to its container's width.
    func render(label: String) -> String {
        #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(format(width, 0)) \#(format(height, 0))" role="img" aria-label="\#(escapeMarkup(label))" font-family="system-ui, sans-serif">"#
            + elements.joined() + "</svg>"
    }
}

/// The report's colours: colour-blind safe (Okabe-Ito).
public enum Palette {
    public static let positive = "#009E73"
    public static let negative = "#D55E00"
    public static let neutral = "#999999"
    public static let primary = "#0072B2"
    public static let secondary = "#E69F00"
    public static let accent = "#CC79A7"
    public static let grid = "#e5e5e5"
}
