import JSON

/// A table in the shape pandas' `DataFrame.to_dict(orient='tight')` writes, which
/// `pandas.DataFrame.from_dict(answer, orient='tight')` reads back: index values (a list per
/// row when the index has several levels), column names, rows of data, and the index's names.
struct TightFrame {
    enum Value {
        case int(Int64)
        case double(Double)
        case string(String)
        case null
    }

    var indexNames: [String]
    var columns: [String]
    var index: [[Value]] = []
    var data: [[Value]] = []

    init(indexNames: [String], columns: [String]) {
        self.indexNames = indexNames
        self.columns = columns
    }

    mutating func append(index: [Value], _ row: [Value]) {
        self.index.append(index)
        data.append(row)
    }

    var json: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256 + data.count * 24 * max(columns.count, 1))
        func write(_ value: Value) {
            switch value {
            case .int(let number): writer.int(number)
            case .double(let number): writer.double(number)
            case .string(let text): writer.string(text)
            case .null: writer.null()
            }
        }
        writer.beginObject()
        writer.key("index")
        writer.beginArray()
        for entry in index {
            if indexNames.count == 1, let only = entry.first {
                write(only)
            } else {
                writer.beginArray()
                entry.forEach(write)
                writer.endArray()
            }
        }
        writer.endArray()
        writer.key("columns")
        writer.beginArray()
        for column in columns { writer.string(column) }
        writer.endArray()
        writer.key("data")
        writer.beginArray()
        for row in data {
            writer.beginArray()
            row.forEach(write)
            writer.endArray()
        }
        writer.endArray()
        writer.key("index_names")
        writer.beginArray()
        for name in indexNames { writer.string(name) }
        writer.endArray()
        writer.key("column_names")
        writer.beginArray()
        writer.null()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
