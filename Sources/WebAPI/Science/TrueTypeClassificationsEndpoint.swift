import Foundation
import Postgres

/// `elasticc2/brokerclassfortruetype/<format>/<what>/<classifier_id>/<classid>/`: one
/// classifier's classifications of the objects of one true class, as the TOM's
/// `gen_elasticc2_confusionvst` tabulates them, computed on demand from the tables (the TOM
/// reads them from pickles its cron job writes): for each source of such an object, the last
/// message about it (latest stored), days relative to the object's peak floored and kept within
/// −20 … 90; then the five tables the TOM's `what` names.
public enum TrueTypeClassificationsEndpoint {
    public static let whats = ["objects", "sources", "classifications", "meanprobabilities", "maxprobabilities"]
    static let firstDay: Int64 = -20
    static let lastDay: Int64 = 90

    /// One source's last classification, with its object's truth.
    struct Source {
        var objectId: Int64
        var sourceId: Int64
        var time: Double
        var band: String
        var flux: Double
        var signalToNoise: Double?
        var classIds: [Int64]
        var probabilities: [Double]
        var redshift: Double?
        var peak: Double
        var gentype: Int64
        var dayFromPeak: Double { time - peak }
        var relativeDay: Int64 { Int64((time - peak).rounded(.down)) }
    }

    /// The TOM's answer for a `what` it does not know (400, as the TOM's).
    public static func unknownWhat(_ what: String) -> String { "Unknown data structure: \(what)" }

    /// The answer, or nil where the TOM has no file: an unknown classifier, or a class id that is
    /// not an exact-match class of `elasticc2_classidofgentype`.
    public static func answer(what: String, classifierId: Int64, classId: Int64, on connection: PostgresConnection) throws -> [UInt8]? {
        let known = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM elasticc2_brokerclassifier WHERE classifier_id = \(classifierId))
               AND EXISTS (SELECT 1 FROM elasticc2_classidofgentype WHERE classid = \(classId) AND exactmatch)
            """, statement: "classifier and class known")
        guard try known.single(Bool.self) else { return nil }
        let rows = try connection.query(
            """
            SELECT DISTINCT ON (s.diaobject_id, s.diasource_id)
                   s.diaobject_id, s.diasource_id, s.midpointtai, s.filtername, s.psflux, s.snr, m.classid, m.probability,
                   t.zcmb, t.peakmjd, t.gentype
              FROM elasticc2_diaobjecttruth t
              JOIN elasticc2_ppdbdiasource s ON t.diaobject_id = s.diaobject_id
              JOIN elasticc2_brokermessage m ON s.diasource_id = m.diasource_id
             WHERE m.classifier_id = \(classifierId)
               AND t.gentype IN (SELECT gentype FROM elasticc2_classidofgentype WHERE classid = \(classId))
             ORDER BY s.diaobject_id, s.diasource_id, m.descingesttimestamp DESC, m.brokermessage_id DESC
            """, statement: "classifications of a true class")
        var sources: [Source] = []
        sources.reserveCapacity(rows.rowCount)
        for row in rows.rows {
            let (objectId, sourceId, time, band, flux, signalToNoise, classIds, probabilities, redshift, peak, gentype) = try row.decode(
                (Int64, Int64, Double, String, Float, Float?, [Int16], [Float], Float?, Float, Int64).self)
            let source = Source(
                objectId: objectId, sourceId: sourceId, time: time, band: band, flux: flux.asPrintedDouble,
                signalToNoise: signalToNoise?.asPrintedDouble, classIds: classIds.map(Int64.init),
                probabilities: probabilities.map(\.asPrintedDouble), redshift: redshift?.asPrintedDouble,
                peak: peak.asPrintedDouble, gentype: gentype)
            if (firstDay...lastDay).contains(source.relativeDay) { sources.append(source) }
        }
        return frame(what, sources)?.json
    }

    static func frame(_ what: String, _ sources: [Source]) -> TightFrame? {
        func optional(_ value: Double?) -> TightFrame.Value { value.map { .double($0) } ?? .null }
        switch what {
        case "objects":
            var frame = TightFrame(indexNames: ["s.diaobject_id"], columns: ["t.zcmb", "t.peakmjd", "t.gentype"])
            var previous: Int64?
            for source in sources where source.objectId != previous {
                previous = source.objectId
                frame.append(index: [.int(source.objectId)], [optional(source.redshift), .double(source.peak), .int(source.gentype)])
            }
            return frame
        case "sources":
            var frame = TightFrame(
                indexNames: ["s.diasource_id"],
                columns: ["s.diaobject_id", "s.midpointtai", "deltat", "relday", "s.filtername", "s.psflux", "s.snr"])
            for source in sources.sorted(by: { $0.sourceId < $1.sourceId }) {
                frame.append(
                    index: [.int(source.sourceId)],
                    [
                        .int(source.objectId), .double(source.time), .double(source.dayFromPeak), .int(source.relativeDay), .string(source.band),
                        .double(source.flux), optional(source.signalToNoise),
                    ])
            }
            return frame
        case "classifications":
            var frame = TightFrame(indexNames: ["s.diasource_id", "m.classid"], columns: ["relday", "m.probability"])
            for source in sources {
                for (classId, probability) in zip(source.classIds, source.probabilities) {
                    frame.append(index: [.int(source.sourceId), .int(classId)], [.int(source.relativeDay), .double(probability)])
                }
            }
            return frame
        case "meanprobabilities":
            var sums: [Int64: [Int64: (total: Double, count: Int)]] = [:]
            for source in sources {
                for (classId, probability) in zip(source.classIds, source.probabilities) {
                    let sum = sums[source.relativeDay]?[classId] ?? (0, 0)
                    sums[source.relativeDay, default: [:]][classId] = (sum.total + probability, sum.count + 1)
                }
            }
            var frame = TightFrame(indexNames: ["relday", "m.classid"], columns: ["m.probability"])
            for day in sums.keys.sorted() {
                for (classId, sum) in sums[day, default: [:]].sorted(by: { $0.key < $1.key }) {
                    frame.append(index: [.int(day), .int(classId)], [.double(sum.total / Double(sum.count))])
                }
            }
            return frame
        case "maxprobabilities":
            // Per day, the class of the single highest probability given to any source that day
            // (of equal ones, the last in source order), as the TOM's sort-then-last picks it.
            var best: [Int64: (probability: Double, classId: Int64)] = [:]
            for source in sources {
                for (classId, probability) in zip(source.classIds, source.probabilities) {
                    if let current = best[source.relativeDay], current.probability > probability { continue }
                    best[source.relativeDay] = (probability, classId)
                }
            }
            var frame = TightFrame(indexNames: ["relday"], columns: ["m.classid"])
            for day in best.keys.sorted() { frame.append(index: [.int(day)], [.int(best[day]!.classId)]) }
            return frame
        default:
            return nil
        }
    }
}
