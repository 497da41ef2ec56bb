public import MPICore
import RealModule

/// Charts as SVG, drawn by our own code so a report needs no network and no script.
public enum Charts {
    /// The waterfall of one pair: the prior, then each comparison's weight (and its term-frequency
    /// adjustment), the running total after each, and the final match weight and probability.
    public static func waterfall(_ explanation: Explanation, title: String = "Why this pair scored as it did") -> String {
        struct Bar { let label: String; let detail: String; let delta: Double }
        var bars = [Bar(label: "prior (λ)", detail: "", delta: explanation.priorWeight)]
        for step in explanation.steps {
            bars.append(Bar(label: step.comparison, detail: step.label, delta: step.weight))
            if step.termFrequencyAdjustment != 0 {
                bars.append(Bar(label: "  term frequency", detail: step.comparison, delta: step.termFrequencyAdjustment))
            }
        }
        var totals: [Double] = []
        var running = 0.0
        for bar in bars { running += bar.delta; totals.append(running) }
        let lowest = min(0, totals.min() ?? 0, bars.map(\.delta).min() ?? 0)
        let highest = max(0, totals.max() ?? 0)
        let rowHeight = 26.0, labelWidth = 300.0, chartWidth = 420.0, valueWidth = 110.0
        let height = Double(bars.count + 2) * rowHeight + 40
        var canvas = SVGCanvas(width: labelWidth + chartWidth + valueWidth, height: height)
        let span = max(highest - lowest, 1)
        func x(_ value: Double) -> Double { labelWidth + (value - lowest) / span * chartWidth }
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        canvas.line(x1: x(0), y1: 26, x2: x(0), y2: height - 10, stroke: "#444")
        var start = 0.0
        for (index, bar) in bars.enumerated() {
            let y = 30 + Double(index) * rowHeight
            let end = start + bar.delta
            canvas.rect(x: x(min(start, end)), y: y + 4, width: abs(x(end) - x(start)), height: rowHeight - 8,
                        fill: bar.delta >= 0 ? Palette.positive : Palette.negative,
                        title: "\(bar.label) \(bar.detail): \(format(bar.delta, 2)) bits, total \(format(end, 2))")
            canvas.text(bar.label, x: 0, y: y + rowHeight / 2 + 4, size: 12)
            canvas.text(bar.detail, x: 150, y: y + rowHeight / 2 + 4, size: 11, fill: "#555")
            canvas.text((bar.delta >= 0 ? "+" : "") + format(bar.delta, 2), x: labelWidth + chartWidth + valueWidth - 50, y: y + rowHeight / 2 + 4,
                        anchor: .end, size: 12)
            canvas.text(format(end, 2), x: labelWidth + chartWidth + valueWidth, y: y + rowHeight / 2 + 4, anchor: .end, size: 11, fill: "#555")
            start = end
        }
        let y = 30 + Double(bars.count) * rowHeight
        canvas.rect(x: x(min(0, explanation.matchWeight)), y: y + 4, width: abs(x(explanation.matchWeight) - x(0)), height: rowHeight - 8,
                    fill: Palette.primary, title: "match weight \(format(explanation.matchWeight, 2))")
        canvas.text("match weight", x: 0, y: y + rowHeight / 2 + 4, size: 12, bold: true)
        canvas.text(format(explanation.matchWeight, 2), x: labelWidth + chartWidth + valueWidth - 50, y: y + rowHeight / 2 + 4, anchor: .end, bold: true)
        canvas.text("probability \(format(explanation.probability, 6))", x: 0, y: y + rowHeight + 18, size: 13, bold: true)
        return canvas.render(label: title)
    }

    /// Horizontal bars, one per labelled value (pairs per blocking rule, weights per level).
    public static func horizontalBars(_ items: [(label: String, value: Double)], title: String, unit: String = "",
                                      colour: (Double) -> String = { _ in Palette.primary }) -> String {
        let rowHeight = 22.0, labelWidth = 330.0, chartWidth = 380.0, valueWidth = 90.0
        var canvas = SVGCanvas(width: labelWidth + chartWidth + valueWidth, height: Double(items.count) * rowHeight + 40)
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        let lowest = min(0, items.map(\.value).min() ?? 0), highest = max(0, items.map(\.value).max() ?? 0)
        let span = max(highest - lowest, 1e-9)
        func x(_ value: Double) -> Double { labelWidth + (value - lowest) / span * chartWidth }
        for (index, item) in items.enumerated() {
            let y = 28 + Double(index) * rowHeight
            canvas.rect(x: x(min(0, item.value)), y: y + 3, width: abs(x(item.value) - x(0)), height: rowHeight - 6, fill: colour(item.value),
                        title: "\(item.label): \(format(item.value, 3))\(unit)")
            canvas.text(item.label, x: 0, y: y + rowHeight / 2 + 4, size: 11)
            canvas.text(format(item.value, abs(item.value) >= 100 || item.value == item.value.rounded() ? 0 : 2) + unit, x: labelWidth + chartWidth + valueWidth, y: y + rowHeight / 2 + 4,
                        anchor: .end, size: 11)
        }
        if lowest < 0 { canvas.line(x1: x(0), y1: 24, x2: x(0), y2: canvas.height - 8, stroke: "#444") }
        return canvas.render(label: title)
    }

    /// m and u of each level side by side, on a log scale (they span 1 to 1e-6).
    public static func mAndU(_ levels: [(label: String, m: Double, u: Double)], title: String) -> String {
        let rowHeight = 30.0, labelWidth = 260.0, chartWidth = 440.0
        var canvas = SVGCanvas(width: labelWidth + chartWidth + 40, height: Double(levels.count) * rowHeight + 56)
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        let floor = -7.0
        func x(_ p: Double) -> Double { labelWidth + (max(Double.log10(max(p, 1e-12)), floor) - floor) / -floor * chartWidth }
        for exponent in stride(from: Int(floor), through: 0, by: 1) {
            let position = x(Double.exp10(Double(exponent)))
            canvas.line(x1: position, y1: 26, x2: position, y2: canvas.height - 24, stroke: Palette.grid)
            canvas.text("1e\(exponent)", x: position, y: canvas.height - 10, anchor: .middle, size: 10, fill: "#666")
        }
        for (index, level) in levels.enumerated() {
            let y = 28 + Double(index) * rowHeight
            canvas.rect(x: labelWidth, y: y + 3, width: x(level.m) - labelWidth, height: 11, fill: Palette.primary, title: "m = \(level.m)")
            canvas.rect(x: labelWidth, y: y + 15, width: x(level.u) - labelWidth, height: 11, fill: Palette.secondary, title: "u = \(level.u)")
            canvas.text(level.label, x: 0, y: y + 19, size: 11)
        }
        canvas.rect(x: labelWidth + chartWidth - 120, y: 6, width: 10, height: 10, fill: Palette.primary)
        canvas.text("m", x: labelWidth + chartWidth - 106, y: 15, size: 11)
        canvas.rect(x: labelWidth + chartWidth - 80, y: 6, width: 10, height: 10, fill: Palette.secondary)
        canvas.text("u", x: labelWidth + chartWidth - 66, y: 15, size: 11)
        return canvas.render(label: title)
    }

    /// A histogram of values in equal bins, with vertical markers (thresholds).
    public static func histogram(_ values: [Double], bins: Int = 40, title: String, xLabel: String,
                                 markers: [(label: String, value: Double)] = [], logCounts: Bool = true) -> String {
        let width = 800.0, height = 300.0, left = 60.0, bottom = 40.0, top = 30.0
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        guard let low = (values + markers.map(\.value)).min(), let high = (values + markers.map(\.value)).max(), high > low else {
            canvas.text("no values", x: left, y: height / 2)
            return canvas.render(label: title)
        }
        var counts = [Int](repeating: 0, count: bins)
        for value in values { counts[min(bins - 1, Int((value - low) / (high - low) * Double(bins)))] += 1 }
        let peak = Double(counts.max() ?? 1)
        func scaled(_ count: Int) -> Double {
            guard count > 0 else { return 0 }
            return logCounts ? Double.log10(Double(count) + 1) / Double.log10(peak + 1) : Double(count) / peak
        }
        let plotWidth = width - left - 20, plotHeight = height - top - bottom
        let barWidth = plotWidth / Double(bins)
        for (index, count) in counts.enumerated() {
            let barHeight = scaled(count) * plotHeight
            let from = low + (high - low) * Double(index) / Double(bins)
            canvas.rect(x: left + Double(index) * barWidth + 1, y: top + plotHeight - barHeight, width: barWidth - 2, height: barHeight,
                        fill: Palette.primary, title: "\(format(from, 1)) to \(format(from + (high - low) / Double(bins), 1)): \(count)")
        }
        canvas.line(x1: left, y1: top + plotHeight, x2: width - 20, y2: top + plotHeight, stroke: "#444")
        for tick in 0...4 {
            let value = low + (high - low) * Double(tick) / 4
            canvas.text(format(value, 1), x: left + plotWidth * Double(tick) / 4, y: top + plotHeight + 16, anchor: .middle, size: 10)
        }
        canvas.text(xLabel + (logCounts ? " (bar heights: log count)" : ""), x: left + plotWidth / 2, y: height - 6, anchor: .middle, size: 11)
        for (index, marker) in markers.enumerated() {
            let position = left + (marker.value - low) / (high - low) * plotWidth
            canvas.line(x1: position, y1: top - 4, x2: position, y2: top + plotHeight, stroke: Palette.negative, width: 2, dashed: true)
            canvas.text("\(marker.label) \(format(marker.value, 1))", x: position + 4, y: top + 8 + Double(index) * 14, size: 11, fill: Palette.negative)
        }
        return canvas.render(label: title)
    }

    /// Vertical bars for counts by category (cluster sizes).
    public static func columns(_ items: [(label: String, count: Int)], title: String, xLabel: String) -> String {
        let width = 800.0, height = 260.0, left = 60.0, bottom = 40.0, top = 30.0
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        let peak = Double(max(items.map(\.count).max() ?? 1, 1))
        let plotWidth = width - left - 20, plotHeight = height - top - bottom
        let barWidth = plotWidth / Double(max(items.count, 1))
        for (index, item) in items.enumerated() {
            let barHeight = Double(item.count) / peak * plotHeight
            let x = left + Double(index) * barWidth
            canvas.rect(x: x + 2, y: top + plotHeight - barHeight, width: barWidth - 4, height: barHeight, fill: Palette.primary,
                        title: "\(item.label): \(item.count)")
            canvas.text(String(item.count), x: x + barWidth / 2, y: top + plotHeight - barHeight - 4, anchor: .middle, size: 10)
            canvas.text(item.label, x: x + barWidth / 2, y: top + plotHeight + 16, anchor: .middle, size: 11)
        }
        canvas.line(x1: left, y1: top + plotHeight, x2: width - 20, y2: top + plotHeight, stroke: "#444")
        canvas.text(xLabel, x: left + plotWidth / 2, y: height - 6, anchor: .middle, size: 11)
        return canvas.render(label: title)
    }

    /// Precision against recall as the threshold moves, with chosen thresholds marked.
    public static func precisionRecall(_ points: [Evaluation.CurvePoint], markers: [(label: String, threshold: Double)], title: String) -> String {
        let width = 560.0, height = 420.0, left = 60.0, bottom = 50.0, top = 30.0
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(title, x: 0, y: 16, size: 14, bold: true)
        let plotWidth = width - left - 30, plotHeight = height - top - bottom
        // Zoomed to where the curve lives: precision and recall of a usable model are high.
        let floor = max(0, min(points.map(\.precision).min() ?? 0, points.map(\.recall).min() ?? 0, 0.8) - 0.02)
        func x(_ recall: Double) -> Double { left + (recall - floor) / (1 - floor) * plotWidth }
        func y(_ precision: Double) -> Double { top + plotHeight - (precision - floor) / (1 - floor) * plotHeight }
        for tick in 0...4 {
            let value = floor + (1 - floor) * Double(tick) / 4
            canvas.line(x1: x(value), y1: top, x2: x(value), y2: top + plotHeight, stroke: Palette.grid)
            canvas.line(x1: left, y1: y(value), x2: left + plotWidth, y2: y(value), stroke: Palette.grid)
            canvas.text(format(value, 3), x: x(value), y: top + plotHeight + 16, anchor: .middle, size: 10)
            canvas.text(format(value, 3), x: left - 6, y: y(value) + 4, anchor: .end, size: 10)
        }
        canvas.polyline(points.map { (x($0.recall), y($0.precision)) }, stroke: Palette.primary)
        canvas.text("recall", x: left + plotWidth / 2, y: height - 8, anchor: .middle, size: 12)
        canvas.text("precision", x: 4, y: top - 6, size: 12)
        for (index, marker) in markers.enumerated() {
            guard let point = points.min(by: { abs($0.threshold - marker.threshold) < abs($1.threshold - marker.threshold) }) else { continue }
            canvas.circle(x: x(point.recall), y: y(point.precision), radius: 6, fill: index == 0 ? Palette.negative : Palette.secondary,
                          title: "\(marker.label): precision \(format(point.precision, 4)), recall \(format(point.recall, 4))")
            canvas.text("\(marker.label): P \(format(point.precision, 4)) R \(format(point.recall, 4))", x: x(point.recall) - 8,
                        y: y(point.precision) + 18 + Double(index) * 14, anchor: .end, size: 11)
        }
        return canvas.render(label: title)
    }
}
