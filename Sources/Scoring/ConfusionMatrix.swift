/// A confusion matrix as the TOM's `gen_confmatrix_last` draws it: objects counted by true
/// class (rows) and predicted class (columns), both in the taxonomy's class-id order, rows and
/// columns with no object left out. Predicted class ids the taxonomy does not know (the TOM's
/// test classifier answers 111 and 112, on which the TOM's command dies) share one last column.
public struct ConfusionMatrix: Sendable, Equatable {
    public struct TaxonomyClass: Sendable, Equatable {
        public var id: Int
        public var description: String
        public init(id: Int, description: String) {
            self.id = id
            self.description = description
        }
    }

    public struct Cell: Sendable, Equatable {
        public var trueClass: Int
        public var predictedClass: Int
        public var objects: Int64
        public init(trueClass: Int, predictedClass: Int, objects: Int64) {
            self.trueClass = trueClass
            self.predictedClass = predictedClass
            self.objects = objects
        }
    }

    public enum Column: Sendable, Equatable, Hashable {
        case taxonomy(Int)
        /// Every predicted class id outside the taxonomy.
        case unmapped
    }

    /// How the fractions are taken, by the TOM's `axnorm`.
    public enum Normalisation: Int, Sendable, CaseIterable {
        /// `axnorm 0`: each predicted class (column) sums to 100 % (purity).
        case byPredictedClass = 0
        /// `axnorm 1`: each true class (row) sums to 100 % (completeness).
        case byTrueClass = 1

        public var explanation: String {
            switch self {
            case .byPredictedClass: "normalised by predicted class: each column sums to 100 %"
            case .byTrueClass: "normalised by true class: each row sums to 100 %"
            }
        }
    }

    public var rows: [TaxonomyClass]
    public var columns: [Column]
    /// `counts[row][column]`: objects.
    public var counts: [[Int64]]
    /// The predicted class ids counted in the unmapped column, ascending.
    public var unmappedIds: [Int]
    let descriptions: [Int: String]

    public init(cells: [Cell], taxonomy: [TaxonomyClass]) {
        descriptions = Dictionary(taxonomy.map { ($0.id, $0.description) }, uniquingKeysWith: { first, _ in first })
        let known = Set(taxonomy.map(\.id))
        let trueClasses = Set(cells.filter { $0.objects > 0 }.map(\.trueClass))
        let predicted = Set(cells.filter { $0.objects > 0 }.map(\.predictedClass))
        rows = taxonomy.filter { trueClasses.contains($0.id) }
        unmappedIds = predicted.subtracting(known).sorted()
        columns = taxonomy.filter { predicted.contains($0.id) }.map { .taxonomy($0.id) } + (unmappedIds.isEmpty ? [] : [.unmapped])
        let rowIndex = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) })
        let columnIndex = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        var counts = Array(repeating: Array(repeating: Int64(0), count: columns.count), count: rows.count)
        for cell in cells where cell.objects > 0 {
            // A true class outside the taxonomy cannot be counted (the sums only hold mapped ones).
            guard let row = rowIndex[cell.trueClass] else { continue }
            let column = known.contains(cell.predictedClass) ? Column.taxonomy(cell.predictedClass) : .unmapped
            if let index = columnIndex[column] { counts[row][index] += cell.objects }
        }
        self.counts = counts
    }

    public var objects: Int64 { counts.joined().reduce(0, +) }

    public func label(_ column: Column) -> String {
        switch column {
        case .taxonomy(let id): descriptions[id] ?? String(id)
        case .unmapped: "unmapped (\(unmappedIds.map(String.init).joined(separator: ", ")))"
        }
    }

    /// Fractions (0…1) of each cell within its row or column; no row or column is empty.
    public func fractions(_ normalisation: Normalisation) -> [[Double]] {
        switch normalisation {
        case .byTrueClass:
            return counts.map { row in
                let total = Double(row.reduce(0, +))
                return row.map { total > 0 ? Double($0) / total : 0 }
            }
        case .byPredictedClass:
            let totals = columns.indices.map { column in Double(counts.reduce(0) { $0 + $1[column] }) }
            return counts.map { row in row.enumerated().map { totals[$0] > 0 ? Double($1) / totals[$0] : 0 } }
        }
    }
}
