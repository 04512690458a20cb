import Foundation
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import WebAPI

/// `/elasticc2/confmatrixlatest`: the TOM's `gen_confmatrix_last`, kept current as messages
/// arrive, checked against the TOM's own computation (its SQL, numpy's argmax) run here.
@Suite("Confusion matrices: the TOM's gen_confmatrix_last, kept current as messages arrive")
struct ConfusionMatrixTests {
    /// Our JSON as the peer prints it: classifier → "true|predicted" → objects.
    static func cells(_ json: [UInt8]) throws -> [String: [String: Int]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        var cells: [String: [String: Int]] = [:]
        for classifier in document["classifiers"] as? [[String: Any]] ?? [] {
            let id = String(classifier["classifier_id"] as? Int ?? -1)
            let rows = (classifier["true_classes"] as? [[String: Any]] ?? []).map { $0["description"] as? String ?? "" }
            let columns = (classifier["predicted_classes"] as? [[String: Any]] ?? []).map { column in
                column["classid"] is NSNull ? "unmapped" : column["description"] as? String ?? ""
            }
            let counts = classifier["counts"] as? [[Int]] ?? []
            var mine: [String: Int] = [:]
            for (row, name) in rows.enumerated() {
                for (column, predicted) in columns.enumerated() where counts[row][column] > 0 { mine["\(name)|\(predicted)"] = counts[row][column] }
            }
            cells[id] = mine
        }
        return cells
    }

    static func peer(_ url: String) async throws -> [String: [String: Int]] {
        let output = try await TestEnvironment.runPython(script: "tom_confmatrix.py", arguments: [url], input: "")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Int]])
    }

    @Test(
        "Equal to the TOM's recomputation on the snapshot and after new messages: a later source moves its object, an earlier one does not; 112 unmapped"
    )
    func keptCurrent() async throws {
        let (url, connection) = try ScienceAPITests.database()
        let refresh = { @Sendable in
            try await connection.run { connection in try StreamSummary.refresh(settleSeconds: 0, on: connection) }
        }
        #expect(try await refresh() > 0)
        let first = try Self.cells(try await connection.run { connection in try ConfusionMatrixPage.json(on: connection) })
        let expected = try await Self.peer(url)
        #expect(first == expected)
        #expect(first.count == 3 && first.values.allSatisfy { $0.values.reduce(0, +) == 131 })
        // The TOM's test classifier answers 111 and 112, which the taxonomy does not know.
        let alwaysTheSame = try #require(first.first { $0.value.keys.contains { $0.hasSuffix("|unmapped") } })
        #expect(alwaysTheSame.value.keys.allSatisfy { $0.hasSuffix("|unmapped") })
        let matrices = try await connection.run { connection in try ConfusionSums.matrices(on: connection) }
        let unmapped = try #require(matrices.first { "\($0.classifierId)" == alwaysTheSame.key })
        // It gives 112 the higher probability, always.
        #expect(unmapped.matrix.unmappedIds == [112] && unmapped.matrix.label(.unmapped) == "unmapped (112)")

        // An Ib/c object the Nugent classifier called Ia: a later source of it, called Ib/c, moves
        // it to the diagonal; a message about an earlier source of another object, stored later,
        // changes nothing.
        let nugent = try await connection.query(
            "SELECT classifier_id FROM elasticc2_brokerclassifier WHERE classifiername = 'NugentClassifier'", statement: "nugent"
        ).value(0, 0, as: Int64.self)
        let picked = try await connection.query(
            """
            SELECT a.diaobject_id, max(a.alert_id), min(a.alert_id) FROM elasticc2_ppdbalert a
              JOIN elasticc2_diaobjecttruth t ON t.diaobject_id = a.diaobject_id
              JOIN elasticc2_brokermessage m ON m.alert_id = a.alert_id AND m.classifier_id = \(nugent)
             WHERE t.gentype = 20 AND a.alertsenttimestamp IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 2
            """, statement: "objects")
        #expect(picked.rowCount == 2)
        let (_, lastAlert, _) = try picked.rows[0].decode((Int64, Int64, Int64).self)
        let (_, _, earliestAlert) = try picked.rows[1].decode((Int64, Int64, Int64).self)
        for sql in [
            // A new source a day after the object's last, its alert sent, and Nugent's answer: Ib/c.
            """
            CREATE TEMP TABLE new_source AS SELECT s.* FROM elasticc2_ppdbdiasource s JOIN elasticc2_ppdbalert a ON a.diasource_id = s.diasource_id
             WHERE a.alert_id = \(lastAlert)
            """,
            "UPDATE new_source SET diasource_id = diasource_id + 900000000000, midpointtai = midpointtai + 1",
            "INSERT INTO elasticc2_ppdbdiasource SELECT * FROM new_source",
            "CREATE TEMP TABLE new_alert AS SELECT * FROM elasticc2_ppdbalert WHERE alert_id = \(lastAlert)",
            "UPDATE new_alert SET alert_id = alert_id + 900000000000, diasource_id = diasource_id + 900000000000",
            "INSERT INTO elasticc2_ppdbalert SELECT * FROM new_alert",
            "CREATE TEMP TABLE new_messages AS SELECT * FROM elasticc2_brokermessage WHERE classifier_id = \(nugent) AND alert_id IN (\(lastAlert), \(earliestAlert))",
            """
            UPDATE new_messages SET brokermessage_id = (SELECT max(brokermessage_id) FROM elasticc2_brokermessage) + CASE WHEN alert_id = \(lastAlert) THEN 1 ELSE 2 END,
                   alert_id = CASE WHEN alert_id = \(lastAlert) THEN alert_id + 900000000000 ELSE alert_id END,
                   diasource_id = CASE WHEN alert_id = \(lastAlert) THEN diasource_id + 900000000000 ELSE diasource_id END,
                   classid = '{2222,2223,2232}', probability = '{0.1,0.6,0.3}'
            """,
            "UPDATE new_messages SET probability = '{0.1,0.2,0.7}' WHERE alert_id = \(earliestAlert)",
            "INSERT INTO elasticc2_brokermessage SELECT * FROM new_messages",
        ] {
            try await connection.query(PostgresQuery(unescaped: sql), statement: sql)
        }
        #expect(try await refresh() > 0)
        let second = try Self.cells(try await connection.run { connection in try ConfusionMatrixPage.json(on: connection) })
        #expect(second == (try await Self.peer(url)))
        let before = first["\(nugent)"] ?? [:]
        let after = second["\(nugent)"] ?? [:]
        #expect(after["Ib/c|Ia"] == (before["Ib/c|Ia"] ?? 0) - 1 && after["Ib/c|Ib/c"] == (before["Ib/c|Ib/c"] ?? 0) + 1)
        #expect(after.values.reduce(0, +) == 131 && after["Ib/c|KN"] == nil)
    }

    @Test(
        "The page in Chromium: Updated, each classifier titled as the TOM's, its two SVGs loaded at the TOM's URLs, labelled right, numbers in a table"
    )
    func page() async throws {
        let (url, connection) = try ScienceAPITests.database()
        try await TomClientTests.withServer(["--db", url, "--summary-settle", "0"]) { address, work in
            let output = try await TestEnvironment.runPython(
                script: "page_screenshots.py", arguments: ["http://\(address)", "root", "pw", work.path, "/elasticc2/confmatrixlatest"], input: "")
            let report = try #require(
                (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])?["/elasticc2/confmatrixlatest"])
            #expect(report["status"] as? Int == 200 && report["error_text"] as? Bool == false)
            let keys = report["keys"] as? [String: String] ?? [:]
            #expect(keys["updated"]?.hasSuffix(" UTC") == true)
            let classifiers = try await connection.query(
                """
                SELECT classifier_id, concat_ws(' ', brokername, brokerversion, classifiername, classifierparams) FROM elasticc2_brokerclassifier
                 ORDER BY brokername, brokerversion, classifiername, classifierparams
                """, statement: "classifiers")
            let headings = report["headings"] as? [String] ?? []
            let images = report["images"] as? [[String: Any]] ?? []
            #expect(images.count == 2 * classifiers.rowCount)
            for row in 0..<classifiers.rowCount {
                let (id, title) = try classifiers.rows[row].decode((Int64, String).self)
                #expect(headings.contains { $0.hasPrefix(title + " (classifier \(id)") }, "\(title)")
                #expect(keys["objects/\(id)"] == "131")
                for axis in [0, 1] {
                    let path = "/static/elasticc2/confmatrix_lastclass/\(id)_axnorm\(axis).svg"
                    let image = images.first { $0["src"] as? String == path }
                    #expect(image?["width"] as? Int ?? 0 > 400, "\(path) not loaded: \(image ?? [:])")
                    // Served without a login, as the TOM's static files are; every cell's numbers are text.
                    let svg = try await PrometheusScrape.status("http://\(address)\(path)")
                    #expect(svg.code == 200 && svg.body.contains("<text") && !svg.body.contains("<path"))
                    #expect(svg.body.contains(">Predicted class</text>") && svg.body.contains(">True class</text>"))
                    #expect(svg.body.contains(axis == 1 ? "each row sums to 100 %" : "each column sums to 100 %"))
                    #expect(svg.body.contains(">\(HTML.escape(title))</text>"))
                }
            }
            #expect(headings.contains("axnorm 1: normalised by true class: each row sums to 100 %"))
            #expect(headings.contains("axnorm 0: normalised by predicted class: each column sums to 100 %"))
            // The Nugent classifier calls everything Ia: its Ia column is 100 % of each true class, by row.
            let nugent = try await connection.query(
                "SELECT classifier_id FROM elasticc2_brokerclassifier WHERE classifiername = 'NugentClassifier'", statement: "nugent"
            ).value(0, 0, as: Int64.self)
            let byRow = try await PrometheusScrape.status("http://\(address)/static/elasticc2/confmatrix_lastclass/\(nugent)_axnorm1.svg")
            #expect(byRow.body.components(separatedBy: ">100%</text>").count - 1 == 3)
            let counted = keys.filter { $0.key.hasPrefix("count/\(nugent)/") }
            #expect(counted.values.compactMap { Int($0) }.reduce(0, +) == 131)
            #expect(try await PrometheusScrape.status("http://\(address)/static/elasticc2/confmatrix_lastclass/x_axnorm2.svg").code == 404)
            #expect(try await PrometheusScrape.status("http://\(address)/static/elasticc2/confmatrix_lastclass/999_axnorm0.svg").code == 404)
            #expect(try await PrometheusScrape.status("http://\(address)/elasticc2/confmatrixlatest.json").body.contains("login") == true)
        }
    }
}
