import Foundation
import JSON
import Postgres
import Scoring

/// `/elasticc2/confmatrixlatest`: the TOM's page of confusion matrices — an "Updated" line and,
/// per classifier ("broker version classifier params", in the TOM's order), its two heat maps as
/// SVG files at the TOM's static URLs, labelled by what sums to 100 % (the TOM's template swaps
/// the two headings), with every number also in a table; and the same matrices as JSON.
public enum ConfusionMatrixPage {
    /// Where the TOM's `collectstatic` puts the SVGs; scripts that fetched them there still do.
    public static let svgDirectory = "/static/elasticc2/confmatrix_lastclass"

    public static func svgPath(classifierId: Int64, _ normalisation: ConfusionMatrix.Normalisation) -> String {
        "\(svgDirectory)/\(classifierId)_axnorm\(normalisation.rawValue).svg"
    }

    static func updated(on connection: PostgresConnection) throws -> String {
        let rows = try connection.query(
            "SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM elasticcstream_summary_progress WHERE name = 'broker messages'",
            statement: "matrices' time")
        return try rows.rows.first?.decode(String.self, at: 0).appending(" UTC") ?? "(not yet)"
    }

    public static func html(settleSeconds: Int = StreamSummary.defaultSettleSeconds, on connection: PostgresConnection) throws -> String {
        try StreamSummary.refresh(settleSeconds: settleSeconds, limit: StreamSummary.pageViewLimit, on: connection)
        let matrices = try ConfusionSums.matrices(on: connection)
        var body = "<p>Updated <span data-key=\"updated\">\(try updated(on: connection))</span></p>"
        body += "<p>Confusion matrices for each broker's classifier. Counts are of <i>objects</i>, not sources: for each object, "
        body += "the message about the latest source (observation) the classifier classified, among alerts sent; its class of "
        body += "highest probability is the predicted class, and the simulation's true type, through the class-id taxonomy, the "
        body += "true class. Each matrix is shown twice: normalised by true class (each row sums to 100 %: the fraction of a true "
        body += "class given each prediction) and normalised by predicted class (each column sums to 100 %: the fraction of a "
        body += "prediction that is each true class). Class ids the taxonomy does not know share the column \"unmapped\". "
        body += "The matrices are kept current as messages are stored (\(DiagnosticPages.summaryNote(settleSeconds, on: connection)))"
        body += " — <a href=\"/elasticc2/confmatrixlatest.json\">as JSON</a>.</p>"
        var previousBroker: String?
        for entry in matrices {
            if entry.broker != previousBroker {
                body += "<h2>\(HTML.escape(entry.broker))</h2>"
                previousBroker = entry.broker
            }
            let matrix = entry.matrix
            body += "<section><h3>\(HTML.escape(entry.title)) <small>(classifier \(entry.classifierId), "
            body += "<span data-key=\"objects/\(entry.classifierId)\">\(matrix.objects)</span> objects)</small></h3>"
            for normalisation in [ConfusionMatrix.Normalisation.byTrueClass, .byPredictedClass] {
                let path = svgPath(classifierId: entry.classifierId, normalisation)
                body += "<figure><img src=\"\(path)\" alt=\"\(HTML.escape(entry.title)), \(HTML.escape(normalisation.explanation))\">"
                body += "<figcaption>axnorm \(normalisation.rawValue): \(HTML.escape(normalisation.explanation))</figcaption></figure>"
            }
            guard !matrix.rows.isEmpty else { continue }
            let byTrue = matrix.fractions(.byTrueClass)
            let byPredicted = matrix.fractions(.byPredictedClass)
            body +=
                "<details><summary>The numbers: objects, % of the true class, % of the predicted class</summary><table><tr><th>true ↓ predicted →</th>"
            for column in matrix.columns { body += "<th>\(HTML.escape(matrix.label(column)))</th>" }
            body += "</tr>"
            for (row, trueClass) in matrix.rows.enumerated() {
                body += "<tr><th>\(HTML.escape(trueClass.description))</th>"
                for (index, column) in matrix.columns.enumerated() {
                    let key = "\(entry.classifierId)/\(trueClass.id)/\(column == .unmapped ? "unmapped" : matrix.label(column))"
                    body += "<td><span data-key=\"count/\(HTML.escape(key))\">\(matrix.counts[row][index])</span><br>"
                    body += String(format: "%.1f %% · %.1f %%", byTrue[row][index] * 100, byPredicted[row][index] * 100) + "</td>"
                }
                body += "</tr>"
            }
            body += "</table></details></section>"
        }
        return DiagnosticPages.page(title: "ELAsTiCC2 confusion matrices", body: body)
    }

    /// One heat map, or nil for a classifier that does not exist.
    public static func svg(classifierId: Int64, _ normalisation: ConfusionMatrix.Normalisation, on connection: PostgresConnection) throws -> String? {
        guard let entry = try ConfusionSums.matrices(only: classifierId, on: connection).first else { return nil }
        return HeatMap(title: entry.title, matrix: entry.matrix, normalisation: normalisation).svg
    }

    /// `{updated, classifiers: [{classifier_id, brokername, brokerversion, classifiername,
    /// classifierparams, true_classes, predicted_classes, counts, axnorm1, axnorm0}]}`.
    public static func json(on connection: PostgresConnection) throws -> [UInt8] {
        let matrices = try ConfusionSums.matrices(on: connection)
        var writer = JSONWriter(reservingCapacity: 4096)
        writer.beginObject()
        writer.key("updated")
        writer.string(try updated(on: connection))
        writer.key("classifiers")
        writer.beginArray()
        for entry in matrices {
            let matrix = entry.matrix
            writer.beginObject()
            writer.key("classifier_id")
            writer.int(entry.classifierId)
            for (key, value) in [
                ("brokername", entry.broker), ("brokerversion", entry.version), ("classifiername", entry.classifier),
                ("classifierparams", entry.parameters),
            ] {
                writer.key(key)
                writer.string(value)
            }
            writer.key("true_classes")
            writer.beginArray()
            for row in matrix.rows {
                writer.beginObject()
                writer.key("classid")
                writer.int(Int64(row.id))
                writer.key("description")
                writer.string(row.description)
                writer.endObject()
            }
            writer.endArray()
            writer.key("predicted_classes")
            writer.beginArray()
            for column in matrix.columns {
                writer.beginObject()
                writer.key("classid")
                if case .taxonomy(let id) = column { writer.int(Int64(id)) } else { writer.null() }
                writer.key("description")
                writer.string(matrix.label(column))
                if column == .unmapped {
                    writer.key("classids")
                    writer.beginArray()
                    for id in matrix.unmappedIds { writer.int(Int64(id)) }
                    writer.endArray()
                }
                writer.endObject()
            }
            writer.endArray()
            writer.key("counts")
            writer.beginArray()
            for row in matrix.counts {
                writer.beginArray()
                for count in row { writer.int(count) }
                writer.endArray()
            }
            writer.endArray()
            for normalisation in [ConfusionMatrix.Normalisation.byTrueClass, .byPredictedClass] {
                writer.key("axnorm\(normalisation.rawValue)")
                writer.beginArray()
                for row in matrix.fractions(normalisation) {
                    writer.beginArray()
                    for fraction in row { writer.double(fraction) }
                    writer.endArray()
                }
                writer.endArray()
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
