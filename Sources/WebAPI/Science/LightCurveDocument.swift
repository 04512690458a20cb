import JSON

/// Writes `{"status": "ok", "diaobject": …}` in the three return formats the TOM's README
/// describes: 0, a list of objects with a `photometry` dict; 1, the same with the photometry
/// lists at the object's top level; 2, one dict of parallel lists (`pandas.DataFrame()` reads
/// it directly), photometry as lists of lists.
struct LightCurveDocument {
    var format: Int
    var hostInfo: Bool
    /// `gethottransients` adds `redshift` and `sncode` (always -99, as in the TOM).
    var classification: Bool

    static let zeroPoint = 27.5

    func write(_ curves: [LightCurve]) -> [UInt8] {
        let bytes = curves.reduce(0) { $0 + $1.mjdJSON.count + $1.bandJSON.count + $1.fluxJSON.count + $1.fluxErrJSON.count }
        var writer = JSONWriter(reservingCapacity: 256 + curves.count * (format == 2 ? 64 : 256) + bytes)
        writer.beginObject()
        writer.key("status")
        writer.string("ok")
        writer.key("diaobject")
        if format == 2 {
            writeColumns(curves, &writer)
        } else {
            writer.beginArray()
            for curve in curves { writeObject(curve, &writer) }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }

    private func writeObject(_ curve: LightCurve, _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("objectid")
        writer.int(curve.objectId)
        writer.key("ra")
        writer.double(curve.ra)
        writer.key("dec")
        writer.double(curve.dec)
        writer.key("zp")
        writer.double(Self.zeroPoint)
        if classification {
            writer.key("redshift")
            writer.int(-99)
            writer.key("sncode")
            writer.int(-99)
        }
        if hostInfo {
            for (name, value) in zip(LightCurve.hostInfoColumns, curve.host) {
                writer.key(name)
                writer.optionalFloat(value)
            }
        }
        if format == 0 {
            writer.key("photometry")
            writer.beginObject()
            writePhotometry(curve, &writer)
            writer.endObject()
        } else {
            writePhotometry(curve, &writer)
        }
        writer.endObject()
    }

    private func writePhotometry(_ curve: LightCurve, _ writer: inout JSONWriter) {
        writer.key("mjd")
        writer.raw(curve.mjdJSON)
        writer.key("band")
        writer.raw(curve.bandJSON)
        writer.key("flux")
        writer.raw(curve.fluxJSON)
        writer.key("fluxerr")
        writer.raw(curve.fluxErrJSON)
    }

    private func writeColumns(_ curves: [LightCurve], _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("objectid")
        writeList(curves, &writer) { $1.int($0.objectId) }
        writer.key("ra")
        writeList(curves, &writer) { $1.double($0.ra) }
        writer.key("dec")
        writeList(curves, &writer) { $1.double($0.dec) }
        writer.key("mjd")
        writeList(curves, &writer) { $1.raw($0.mjdJSON) }
        writer.key("band")
        writeList(curves, &writer) { $1.raw($0.bandJSON) }
        writer.key("flux")
        writeList(curves, &writer) { $1.raw($0.fluxJSON) }
        writer.key("fluxerr")
        writeList(curves, &writer) { $1.raw($0.fluxErrJSON) }
        writer.key("zp")
        writeList(curves, &writer) { $1.double(Self.zeroPoint) }
        if classification {
            writer.key("redshift")
            writeList(curves, &writer) { $1.int(-99) }
            writer.key("sncode")
            writeList(curves, &writer) { $1.int(-99) }
        }
        if hostInfo {
            for (index, name) in LightCurve.hostInfoColumns.enumerated() {
                writer.key(name)
                writeList(curves, &writer) { $1.optionalFloat($0.host[index]) }
            }
        }
        writer.endObject()
    }

    private func writeList<Element>(_ elements: [Element], _ writer: inout JSONWriter, _ element: (Element, inout JSONWriter) -> Void) {
        writer.beginArray()
        for value in elements { element(value, &writer) }
        writer.endArray()
    }
}
