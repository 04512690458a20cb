import Foundation

/// The bundled ELAsTiCC `v0_9_1` schemas: the single source of truth for every tool.
public enum ElasticcSchemas {
    public static let namespace = "elasticc.v0_9_1"

    /// One bundled `.avsc` as written, by its short name (`alert`, `diaSource`, …).
    public enum Name: String, CaseIterable, Sendable {
        case diaSource, diaForcedSource, diaObject, alert, brokerClassification

        public var fileName: String { "elasticc.v0_9_1.\(rawValue).avsc" }

        public var jsonText: String {
            let bytes: [UInt8]
            switch self {
            case .diaSource: bytes = PackageResources.elasticc_v0_9_1_diaSource_avsc
            case .diaForcedSource: bytes = PackageResources.elasticc_v0_9_1_diaForcedSource_avsc
            case .diaObject: bytes = PackageResources.elasticc_v0_9_1_diaObject_avsc
            case .alert: bytes = PackageResources.elasticc_v0_9_1_alert_avsc
            case .brokerClassification: bytes = PackageResources.elasticc_v0_9_1_brokerClassification_avsc
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The alert schema with diaSource, diaForcedSource and diaObject defined inline at their first
    /// use, as a standalone parser (avro-c, fastavro without named_schemas) needs it.
    public static let selfContainedAlertJSON: String = {
        let definitions: [String: Any] = [
            "\(namespace).diaSource": parse(.diaSource),
            "\(namespace).diaForcedSource": parse(.diaForcedSource),
            "\(namespace).diaObject": parse(.diaObject),
        ]
        var defined = Set<String>()
        func inline(_ node: Any) -> Any {
            if let reference = node as? String, let definition = definitions[reference], !defined.contains(reference) {
                defined.insert(reference)
                return definition
            }
            if let list = node as? [Any] { return list.map(inline) }
            if var object = node as? [String: Any] {
                for key in ["type", "items", "fields"] where object[key] != nil {
                    object[key] = inline(object[key]!)
                }
                return object
            }
            return node
        }
        let combined = inline(parse(.alert))
        let data = try! JSONSerialization.data(withJSONObject: combined, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }()

    public static var brokerClassificationJSON: String { Name.brokerClassification.jsonText }

    private static func parse(_ name: Name) -> Any {
        // The bundled files are checked by the test suite; a parse failure here is a build defect.
        try! JSONSerialization.jsonObject(with: Data(name.jsonText.utf8))
    }
}

extension ElasticcSchemas {
    public struct SchemaMismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// Accepts a user-supplied schema file (the TOM's `-s`/`-b` flags) when its wire format is
    /// the bundled schema's; the codec is generated for exactly that format.
    public static func verifyOverride(path: String, matches name: Name) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SchemaMismatch(description: "Cannot read the schema file \(path).")
        }
        guard try ParsingCanonicalForm.of(json: text) == ParsingCanonicalForm.of(json: name.jsonText) else {
            throw SchemaMismatch(description: "The schema \(path) differs from the bundled \(name.fileName); only that wire format is supported.")
        }
    }
}
