import Foundation

/// A bar chart drawn as inline SVG: title, axes with ticks, labels with units, and a legend.
/// Our own few lines rather than a library: no Swift charting library renders SVG on Linux
/// without a browser or a JavaScript runtime, and the pages must work offline.
public struct BarChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Bars in order: the label under each and its height.
    public var bars: [(label: String, value: Double)]
    /// What the bars are, for the legend.
    public var series: String
    public var yMaximum: Double?
    public var width = 640.0
    public var height = 300.0
    /// Every n-th bar label is drawn (the others are too crowded).
    public var labelEvery: Int?

    public init(title: String, xLabel: String, yLabel: String, bars: [(label: String, value: Double)], series: String, yMaximum: Double? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.bars = bars
        self.series = series
        self.yMaximum = yMaximum
    }

    static let colour = "#3b6ea5"

    public var svg: String {
        let left = 64.0
        let right = 16.0
        let top = 40.0
        let bottom = 56.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let largest = bars.map(\.value).max() ?? 0
        let ceilingValue = yMaximum ?? Self.niceCeiling(largest)
        let scale = ceilingValue > 0 ? plotHeight / ceilingValue : 0
        let step = bars.isEmpty ? plotWidth : plotWidth / Double(bars.count)
        var parts: [String] = []
        parts.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">"
        )
        parts.append("<title>\(HTML.escape(title))</title>")
        parts.append("<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>")
        parts.append(
            "<text x=\"\(Self.number(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(HTML.escape(title))</text>"
        )
        // Y axis: five ticks with grid lines.
        for tick in 0...4 {
            let value = ceilingValue * Double(tick) / 4
            let y = top + plotHeight - value * scale
            parts.append(
                "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(y))\" x2=\"\(Self.number(left + plotWidth))\" y2=\"\(Self.number(y))\" stroke=\"#dddddd\"/>"
            )
            parts.append(
                "<text x=\"\(Self.number(left - 6))\" y=\"\(Self.number(y + 4))\" text-anchor=\"end\">\(HTML.escape(Self.tickLabel(value)))</text>")
        }
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * step
            let barHeight = max(0, bar.value) * scale
            parts.append(
                "<rect class=\"bar\" x=\"\(Self.number(x + step * 0.1))\" y=\"\(Self.number(top + plotHeight - barHeight))\" width=\"\(Self.number(step * 0.8))\" height=\"\(Self.number(barHeight))\" fill=\"\(Self.colour)\"><title>\(HTML.escape(bar.label)): \(HTML.escape(Self.tickLabel(bar.value)))</title></rect>"
            )
            let every = labelEvery ?? max(1, Int((Double(bars.count) / 12).rounded(.up)))
            if index % every == 0 {
                parts.append(
                    "<text x=\"\(Self.number(x + step / 2))\" y=\"\(Self.number(top + plotHeight + 14))\" text-anchor=\"middle\">\(HTML.escape(bar.label))</text>"
                )
            }
        }
        // Axes, their labels, the legend.
        parts.append(
            "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(top + plotHeight))\" x2=\"\(Self.number(left + plotWidth))\" y2=\"\(Self.number(top + plotHeight))\" stroke=\"black\"/>"
        )
        parts.append(
            "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(top))\" x2=\"\(Self.number(left))\" y2=\"\(Self.number(top + plotHeight))\" stroke=\"black\"/>"
        )
        parts.append(
            "<text x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(Self.number(height - 22))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>")
        parts.append(
            "<text transform=\"translate(14 \(Self.number(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>")
        let legendX = left + plotWidth - 180
        parts.append("<rect x=\"\(Self.number(legendX))\" y=\"\(Self.number(height - 14))\" width=\"10\" height=\"10\" fill=\"\(Self.colour)\"/>")
        parts.append("<text x=\"\(Self.number(legendX + 14))\" y=\"\(Self.number(height - 5))\">\(HTML.escape(series))</text>")
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at least `value` (1 for an empty chart).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    static func tickLabel(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3g", value)
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
