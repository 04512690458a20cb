import Foundation
import Postgres
import TOMDatabase
import TestSupport
import Testing

@testable import WebAPI

/// The page anchors behind the DRF views: deep pages from the nearest anchor, kept right as the
/// tables are written to.
@Suite("PPDB browsing: counts and deep pages from anchors, current after every write")
struct BrowseTests {
    @Test("Every page across anchors equals OFFSET's; a write moves the generation and the next page sees it")
    func anchorsFollowWrites() throws {
        let (_, connection) = try ScienceAPITests.database()
        let table = PPDBBrowser.forcedSources
        func expected(_ offset: Int, _ limit: Int) throws -> [Int64] {
            try connection.query(
                "SELECT diaforcedsource_id FROM elasticc2_ppdbdiaforcedsource ORDER BY 1 LIMIT \(Int64(limit)) OFFSET \(Int64(offset))",
                statement: "expected"
            ).rows.map { try $0.decode(Int64.self) }
        }
        func ids(_ page: PPDBBrowser.Page) throws -> [Int64] {
            try page.rows.map { row in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])
                return Int64(try #require(object["diaforcedsource_id"] as? Int))
            }
        }
        // 52,172 forced sources: anchors at 0, 10,000, … 50,000; pages straddling them.
        for offset in [0, 9_995, 10_000, 29_999, 50_000, 52_170, 52_172, 60_000] {
            let page = try PPDBBrowser.page(table, limit: 7, offset: offset, on: connection)
            #expect(page.count == 52_172)
            #expect(try ids(page) == expected(offset, 7), "offset \(offset)")
        }
        let anchors = try connection.query(
            "SELECT count(*) FROM elasticcstream_page_anchors WHERE table_name = 'elasticc2_ppdbdiaforcedsource'", statement: "anchors"
        ).single(Int64.self)
        #expect(anchors == 6)
        // A forced source with the lowest id shifts every position by one.
        try connection.query(
            """
            INSERT INTO elasticc2_ppdbdiaforcedsource (diaforcedsource_id, diaobject_id, midpointtai, filtername, psflux, psfluxerr)
            SELECT 1, diaobject_id, midpointtai, filtername, psflux, psfluxerr FROM elasticc2_ppdbdiaforcedsource ORDER BY diaforcedsource_id LIMIT 1
            """, statement: "one more")
        for offset in [0, 10_000, 52_172] {
            let page = try PPDBBrowser.page(table, limit: 3, offset: offset, on: connection)
            #expect(page.count == 52_173)
            #expect(try ids(page) == expected(offset, 3), "offset \(offset) after the write")
        }
        let generations = try connection.query(
            "SELECT generation > 1, counted_generation = generation FROM elasticcstream_table_generation WHERE table_name = 'elasticc2_ppdbdiaforcedsource'",
            statement: "generation")
        #expect(try generations.single((Bool, Bool).self) == (true, true))
    }
}
