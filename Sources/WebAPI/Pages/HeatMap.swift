import Foundation
import Scoring

/// A confusion matrix drawn as SVG, as the TOM's seaborn heat map shows it: each cell coloured
/// by its fraction (matplotlib's "Blues", 0 … 100 %), with its percentage and object count as
/// text (real `<text>`, so a reader can search and copy it), true classes down the left,
/// predicted classes along the bottom, and a colour bar.
struct HeatMap {
    var title: String
    var matrix: ConfusionMatrix
    var normalisation: ConfusionMatrix.Normalisation

    /// matplotlib's "Blues" stops, light to dark.
    static let blues: [(Double, Double, Double)] = [
        (247, 251, 255), (222, 235, 247), (198, 219, 239), (158, 202, 225), (107, 174, 214), (66, 146, 198), (33, 113, 181), (8, 81, 156),
        (8, 48, 107),
    ]

    static func colour(_ fraction: Double) -> String {
        let position = max(0, min(1, fraction)) * Double(blues.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, blues.count - 1)
        let within = position - Double(lower)
        let (r0, g0, b0) = blues[lower]
        let (r1, g1, b1) = blues[upper]
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * within).rounded()) }
        return String(format: "#%02x%02x%02x", mix(r0, r1), mix(g0, g1), mix(b0, b1))
    }

    var svg: String {
        let cellWidth = 30.0
        let cellHeight = 24.0
        let left = 150.0
        let top = 70.0
        let bottom = 150.0
        let right = 90.0
        let fractions = matrix.fractions(normalisation)
        let plotWidth = cellWidth * Double(max(matrix.columns.count, 1))
        let plotHeight = cellHeight * Double(max(matrix.rows.count, 1))
        let width = max(left + plotWidth + right, 720)  // the subtitle fits over a one-column matrix
        let height = top + plotHeight + bottom
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, sans-serif\">",
            "<title>\(HTML.escape(title)) — \(HTML.escape(normalisation.explanation))</title>",
            "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>",
            "<text x=\"\(number(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(HTML.escape(title))</text>",
            "<text x=\"\(number(width / 2))\" y=\"42\" text-anchor=\"middle\" font-size=\"12\">Based on the latest source classified; \(HTML.escape(normalisation.explanation))</text>",
        ]
        if matrix.rows.isEmpty {
            parts.append(
                "<text x=\"\(number(width / 2))\" y=\"\(number(top + 20))\" text-anchor=\"middle\" font-size=\"12\">No classified object yet</text>")
        }
        for (row, trueClass) in matrix.rows.enumerated() {
            let y = top + Double(row) * cellHeight
            parts.append(
                "<text x=\"\(number(left - 6))\" y=\"\(number(y + cellHeight / 2 + 4))\" text-anchor=\"end\" font-size=\"10\">\(HTML.escape(trueClass.description))</text>"
            )
            for (column, count) in matrix.counts[row].enumerated() {
                let x = left + Double(column) * cellWidth
                let fraction = fractions[row][column]
                parts.append(
                    "<rect class=\"cell\" x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(cellWidth))\" height=\"\(number(cellHeight))\" fill=\"\(Self.colour(fraction))\" stroke=\"white\" stroke-width=\"0.5\"/>"
                )
                let ink = fraction > 0.5 ? "white" : "#1a1a1a"
                let percent = String(format: "%.0f%%", (fraction * 100).rounded())
                let countText = count < 1_000_000 ? String(count) : String(format: "%.3g", Double(count))
                parts.append(
                    "<text x=\"\(number(x + cellWidth / 2))\" y=\"\(number(y + 10))\" text-anchor=\"middle\" font-size=\"8\" fill=\"\(ink)\">\(percent)</text>"
                )
                parts.append(
                    "<text x=\"\(number(x + cellWidth / 2))\" y=\"\(number(y + 20))\" text-anchor=\"middle\" font-size=\"7\" fill=\"\(ink)\">\(countText)</text>"
                )
            }
        }
        for (index, column) in matrix.columns.enumerated() {
            let x = left + (Double(index) + 0.5) * cellWidth
            let y = top + plotHeight + 8
            parts.append(
                "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"end\" font-size=\"10\" transform=\"rotate(-60 \(number(x)) \(number(y)))\">\(HTML.escape(matrix.label(column)))</text>"
            )
        }
        parts.append(
            "<text x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 12))\" text-anchor=\"middle\" font-size=\"13\">Predicted class</text>")
        parts.append(
            "<text x=\"18\" y=\"\(number(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 \(number(top + plotHeight / 2)))\">True class</text>"
        )
        // The colour bar: 0 % at the bottom, 100 % at the top.
        let barX = left + plotWidth + 24
        let barHeight = max(plotHeight, 120)
        for step in 0..<20 {
            let fraction = (Double(step) + 0.5) / 20
            parts.append(
                "<rect x=\"\(number(barX))\" y=\"\(number(top + barHeight * (1 - Double(step + 1) / 20)))\" width=\"14\" height=\"\(number(barHeight / 20 + 0.5))\" fill=\"\(Self.colour(fraction))\"/>"
            )
        }
        for tick in [0, 50, 100] {
            parts.append(
                "<text x=\"\(number(barX + 18))\" y=\"\(number(top + barHeight * (1 - Double(tick) / 100) + 4))\" font-size=\"10\">\(tick) %</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
