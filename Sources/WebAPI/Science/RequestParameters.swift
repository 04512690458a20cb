import Foundation
import JSON

/// A request that cannot be answered as asked: the API answers 400 with this message, which
/// names the parameter.
public struct APIParameterError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An object that does not exist where the request needs one: the API answers 404.
public struct APINotFound: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The JSON object of a request body, read parameter by parameter with the TOM's lenient
/// conversions (Python's `int()`, `float()`), and errors that name the parameter.
public struct RequestParameters: Sendable {
    public let values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) { self.values = values }

    /// The body as an object; an empty body is an empty object, as a GET often has none.
    public static func parse(_ body: Data) throws(APIParameterError) -> RequestParameters {
        if body.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return RequestParameters([:])
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw APIParameterError("the body is not valid JSON: \(error)")
        }
        guard let members = document.members else {
            throw APIParameterError("the body must be a JSON object of parameters, not \(document.kindName)")
        }
        return RequestParameters(members)
    }

    public func has(_ name: String) -> Bool { values[name] != nil }

    /// Refuses parameters the endpoint does not know (the TOM answers 500 for most of them).
    public func allowOnly(_ known: Set<String>) throws(APIParameterError) {
        let unknown = Set(values.keys).subtracting(known).sorted()
        guard unknown.isEmpty else {
            throw APIParameterError(
                "unknown parameter\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))"
            )
        }
    }

    /// At most one of two alternatives.
    public func allowOneOf(_ first: String, _ second: String) throws(APIParameterError) {
        if has(first) && has(second) { throw APIParameterError("give \(first) or \(second), not both") }
    }

    public func require(_ name: String) throws(APIParameterError) -> JSONValue {
        guard let value = values[name] else { throw APIParameterError("\(name) is required") }
        return value
    }

    public func double(_ name: String) throws(APIParameterError) -> Double? {
        guard let value = values[name] else { return nil }
        return try Self.double(value, name)
    }

    public func int(_ name: String) throws(APIParameterError) -> Int64? {
        guard let value = values[name] else { return nil }
        return try Self.int(value, name)
    }

    /// The longest text parameter (requester, facility, comment…), in characters as PostgreSQL
    /// counts them: the TOM's `text` columns would take any length, and one request writes a
    /// requester once per object.
    public static let maximumTextLength = 1000

    public func string(_ name: String) throws(APIParameterError) -> String? {
        guard let value = values[name] else { return nil }
        guard case .string(let text) = value else { throw APIParameterError("\(name) must be a string, not \(value.kindName)") }
        guard text.utf8.count <= Self.maximumTextLength || text.unicodeScalars.count <= Self.maximumTextLength else {
            throw APIParameterError("\(name) is longer than \(Self.maximumTextLength) characters")
        }
        return text
    }

    /// A number of days back from now, 0 to 100 years: whole days as Python's `int()` reads
    /// them, or any fraction.
    public func days(_ name: String, whole: Bool = true) throws(APIParameterError) -> Double? {
        guard values[name] != nil else { return nil }
        let days = whole ? Double(try int(name) ?? 0) : try double(name) ?? 0
        guard (0...36_525).contains(days) else { throw APIParameterError("\(name) must be between 0 and 36525 days, not \(days)") }
        return days
    }

    public func nonEmptyString(_ name: String) throws(APIParameterError) -> String {
        guard let text = try string(name) else { throw APIParameterError("\(name) is required") }
        guard !text.isEmpty else { throw APIParameterError("\(name) can't be an empty string") }
        return text
    }

    public func truthy(_ name: String) -> Bool { values[name]?.isTruthy ?? false }

    /// `return_format`: 0 (default), 1 or 2.
    public func returnFormat() throws(APIParameterError) -> Int {
        guard let format = try int("return_format") else { return 0 }
        guard (0...2).contains(format) else { throw APIParameterError("return_format must be 0, 1 or 2, not \(format)") }
        return Int(format)
    }

    /// Object ids: a single id or a list of them.
    public func objectIds(_ name: String) throws(APIParameterError) -> [Int64]? {
        guard let value = values[name] else { return nil }
        if case .array(let elements) = value {
            var ids: [Int64] = []
            ids.reserveCapacity(elements.count)
            for (position, element) in elements.enumerated() { ids.append(try Self.int(element, "\(name)[\(position)]")) }
            return ids
        }
        return [try Self.int(value, name)]
    }

    /// Python's `float()`: a number or a numeric string; finite and within `real`'s range (the
    /// TOM's `real` columns would store NaN and ∞, or fail on what they cannot hold).
    public static func double(_ value: JSONValue, _ name: String) throws(APIParameterError) -> Double {
        let number: Double
        switch value {
        case .int(let integer): number = Double(integer)
        case .double(let double): number = double
        case .float(let float): number = Double(float)
        case .string(let text):
            guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw APIParameterError("\(name) must be a number, not \"\(text.prefix(100))\"")
            }
            number = parsed
        default: throw APIParameterError("\(name) must be a number, not \(value.kindName)")
        }
        guard number.isFinite, abs(number) <= Double(Float.greatestFiniteMagnitude) else {
            throw APIParameterError("\(name) must be a finite number within ±3.4e38")
        }
        return number
    }

    /// Python's `int()`: an integer, a number (truncated) or an integer string.
    public static func int(_ value: JSONValue, _ name: String) throws(APIParameterError) -> Int64 {
        switch value {
        case .int(let number): return number
        case .double(let number) where number.isFinite && abs(number) < 9.2e18: return Int64(number)
        case .string(let text):
            if let number = Int64(text.trimmingCharacters(in: .whitespaces)) { return number }
            throw APIParameterError("\(name) must be an integer, not \"\(text.prefix(100))\"")
        default: throw APIParameterError("\(name) must be an integer, not \(value.kindName)")
        }
    }
}
