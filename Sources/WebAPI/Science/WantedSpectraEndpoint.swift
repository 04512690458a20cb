import Foundation
import JSON
import Postgres

/// `elasticc2/spectrawanted`: the objects spectrum recommenders asked for that nobody has
/// claimed or observed lately and LSST detected lately, each with its latest detection
/// (S/N > 3) per band, highest priority first.
public enum WantedSpectraEndpoint {
    static let parameters: Set<String> = [
        "requested_since", "not_claimed_in_last_days", "no_spectra_in_last_days", "detected_since_mjd", "detected_in_last_days",
        "lim_mag", "lim_mag_band",
    ]
    static let bands = ["u", "g", "r", "i", "z", "Y"]

    public static func answer(_ parameters: RequestParameters, on connection: PostgresConnection, now: Date = Date()) throws -> [UInt8] {
        try parameters.allowOnly(Self.parameters)
        try parameters.allowOneOf("detected_since_mjd", "detected_in_last_days")
        let day = 86_400.0
        let requestedSince =
            try parameters.string("requested_since").map { text throws(APIParameterError) in
                try TOMTime.parse(text, parameter: "requested_since").date
            } ?? now.addingTimeInterval(-14 * day)
        let claimedSince = now.addingTimeInterval(-(try parameters.days("not_claimed_in_last_days") ?? 7) * day)
        let observedSinceMJD = TOMTime.mjd(of: now) - (try parameters.days("no_spectra_in_last_days") ?? 7)
        let detectedSinceMJD =
            try parameters.double("detected_since_mjd") ?? TOMTime.mjd(of: now) - (try parameters.days("detected_in_last_days") ?? 14)
        let limit = try parameters.double("lim_mag")
        let limitBand = try parameters.string("lim_mag_band")
        if limit != nil, limitBand == nil { throw APIParameterError("lim_mag needs lim_mag_band, the band it is in") }
        if let limitBand, !Self.bands.contains(limitBand) {
            throw APIParameterError("lim_mag_band must be one of \(Self.bands.joined(separator: " ")), not \"\(limitBand)\"")
        }
        let rows = try connection.query(
            """
            WITH wanted AS (
                SELECT DISTINCT ON (w.diaobject_id) w.diaobject_id, w.requester, w.priority
                  FROM elasticc2_wantedspectra w
                 WHERE w.wanttime >= \(TOMTime.sqlText(requestedSince))::timestamptz
                   AND NOT EXISTS (SELECT 1 FROM elasticc2_plannedspectra p
                                    WHERE p.diaobject_id = w.diaobject_id AND p.created_at > \(TOMTime.sqlText(claimedSince))::timestamptz)
                   AND NOT EXISTS (SELECT 1 FROM elasticc2_spectruminfo s
                                    WHERE s.diaobject_id = w.diaobject_id AND s.mjd >= \(observedSinceMJD))
                   AND EXISTS (SELECT 1 FROM elasticc2_diasource d
                                WHERE d.diaobject_id = w.diaobject_id AND d.midpointtai > \(detectedSinceMJD))
                 ORDER BY w.diaobject_id, w.priority DESC, w.wanttime DESC, w.requester
            ), latest AS (
                SELECT DISTINCT ON (f.diaobject_id, f.filtername) f.diaobject_id, f.filtername,
                       f.midpointtai::real AS mjd, (-2.5 * log(f.psflux) + 27)::real AS mag
                  FROM wanted JOIN elasticc2_diaforcedsource f ON f.diaobject_id = wanted.diaobject_id
                 WHERE f.psflux > 0 AND f.psflux > 3 * f.psfluxerr
                 ORDER BY f.diaobject_id, f.filtername, f.midpointtai DESC, f.diaforcedsource_id DESC
            )
            SELECT w.diaobject_id, w.requester, w.priority, o.ra, o.decl, l.filtername, l.mjd, l.mag
              FROM wanted w JOIN elasticc2_diaobject o ON o.diaobject_id = w.diaobject_id
              JOIN latest l ON l.diaobject_id = w.diaobject_id
             WHERE \(limit)::real IS NULL
                OR w.diaobject_id IN (SELECT diaobject_id FROM latest WHERE filtername = \(limitBand) AND mag <= \(limit))
             ORDER BY w.priority DESC, w.diaobject_id
            """, statement: "wanted spectra")
        struct Entry {
            var objectId: Int64
            var ra: Double
            var dec: Double
            var requester: String?
            var priority: Int64
            var latest: [String: (mjd: Float, mag: Float)] = [:]
        }
        var entries: [Entry] = []
        for row in rows.rows {
            let (objectId, requester, priority, ra, dec, band, mjd, magnitude) = try row.decode(
                (Int64, String?, Int64, Double, Double, String, Float, Float).self)
            if entries.last?.objectId != objectId {
                entries.append(Entry(objectId: objectId, ra: ra, dec: dec, requester: requester, priority: priority))
            }
            entries[entries.count - 1].latest[band] = (mjd, magnitude)
        }
        var writer = JSONWriter(reservingCapacity: 64 + entries.count * 300)
        writer.beginObject()
        writer.key("status")
        writer.string("ok")
        writer.key("wantedspectra")
        writer.beginArray()
        for entry in entries {
            writer.beginObject()
            writer.key("oid")
            writer.int(entry.objectId)
            writer.key("ra")
            writer.double(entry.ra)
            writer.key("dec")
            writer.double(entry.dec)
            writer.key("req")
            writer.optionalString(entry.requester)
            writer.key("prio")
            writer.int(entry.priority)
            writer.key("latest")
            writer.beginObject()
            let known = Self.bands.filter { entry.latest[$0] != nil } + entry.latest.keys.filter { !Self.bands.contains($0) }.sorted()
            for band in known {
                guard let point = entry.latest[band] else { continue }
                writer.key(band)
                writer.beginObject()
                writer.key("mjd")
                writer.float(point.mjd)
                writer.key("mag")
                writer.float(point.mag)
                writer.endObject()
            }
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
