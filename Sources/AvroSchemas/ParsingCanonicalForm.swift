import Foundation

/// Avro's Parsing Canonical Form (specification, "Parsing Canonical Form for Schemas"): the
/// schema reduced to what affects the binary encoding, so two schemas that read and write the
/// same bytes compare equal as strings.
public enum ParsingCanonicalForm {
    public struct InvalidSchema: Error, CustomStringConvertible {
        public var description: String
    }

    private static let primitives: Set<String> = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

    public static func of(json: String) throws -> String {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        } catch {
            throw InvalidSchema(description: "schema is not valid JSON: \(error.localizedDescription)")
        }
        return try canonical(root, namespace: nil)
    }

    private static func fullName(_ name: String, namespace: String?) -> String {
        if name.contains(".") || primitives.contains(name) { return name }
        if let namespace, !namespace.isEmpty { return "\(namespace).\(name)" }
        return name
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func canonical(_ node: Any, namespace: String?) throws -> String {
        if let name = node as? String {
            return quoted(fullName(name, namespace: namespace))
        }
        if let union = node as? [Any] {
            return "[" + (try union.map { try canonical($0, namespace: namespace) }).joined(separator: ",") + "]"
        }
        guard let object = node as? [String: Any] else {
            throw InvalidSchema(description: "schema node is neither a name, a union nor an object")
        }
        guard let type = object["type"] else { throw InvalidSchema(description: "schema object without \"type\"") }
        guard let typeName = type as? String else { return try canonical(type, namespace: namespace) }

        switch typeName {
        case "record", "error", "enum", "fixed":
            guard let shortName = object["name"] as? String else {
                throw InvalidSchema(description: "\(typeName) without a name")
            }
            let ownNamespace = (object["namespace"] as? String) ?? namespace
            let name = fullName(shortName, namespace: ownNamespace)
            let innerNamespace = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : nil
            var parts = ["\"name\":" + quoted(name), "\"type\":" + quoted(typeName)]
            if typeName == "enum" {
                let symbols = (object["symbols"] as? [String]) ?? []
                parts.append("\"symbols\":[" + symbols.map(quoted).joined(separator: ",") + "]")
            } else if typeName == "fixed" {
                guard let size = object["size"] as? Int else { throw InvalidSchema(description: "fixed \(name) without a size") }
                parts.append("\"size\":\(size)")
            } else {
                guard let fields = object["fields"] as? [[String: Any]] else {
                    throw InvalidSchema(description: "record \(name) without fields")
                }
                let rendered = try fields.map { field -> String in
                    guard let fieldName = field["name"] as? String, let fieldType = field["type"] else {
                        throw InvalidSchema(description: "a field of \(name) lacks a name or type")
                    }
                    return "{\"name\":" + quoted(fieldName) + ",\"type\":" + (try canonical(fieldType, namespace: innerNamespace)) + "}"
                }
                parts.append("\"fields\":[" + rendered.joined(separator: ",") + "]")
            }
            return "{" + parts.joined(separator: ",") + "}"
        case "array":
            guard let items = object["items"] else { throw InvalidSchema(description: "array without items") }
            return "{\"type\":\"array\",\"items\":" + (try canonical(items, namespace: namespace)) + "}"
        case "map":
            guard let values = object["values"] else { throw InvalidSchema(description: "map without values") }
            return "{\"type\":\"map\",\"values\":" + (try canonical(values, namespace: namespace)) + "}"
        default:
            return quoted(fullName(typeName, namespace: namespace))
        }
    }
}
