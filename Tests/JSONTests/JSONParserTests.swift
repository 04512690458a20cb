import Foundation
import JSON
import Testing

@Suite("JSON parsing of untrusted bodies")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test("Documents read as JSON means them: integers apart from fractions, members in order, escapes decoded")
    func valid() throws {
        #expect(
            try parse(#" {"a": [1, -2, 3.5, 1e2, 9223372036854775807, 9223372036854775808], "b": {"c": null, "d": true, "e": false}} "#)
                == .object([
                    ("a", .array([.int(1), .int(-2), .double(3.5), .double(100), .int(.max), .double(9_223_372_036_854_775_808)])),
                    ("b", .object([("c", .null), ("d", .bool(true)), ("e", .bool(false))])),
                ]))
        #expect(try parse(#""q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 ünï""#) == .string("q\"\\/\u{8}\u{C}\n\r\té😀 ünï"))
        #expect(try parse("[]") == .array([]) && parse("{}") == .object([]) && parse("0") == .int(0) && parse("-0.0") == .double(-0.0))
    }

    @Test(
        "What is not JSON, or not safe text, is refused with where and why",
        arguments: [
            ("", "a value is missing"), ("{", "an object's key must be a string"), ("[1,]", "not a JSON value"), ("[1 2]", "',' or ']' expected"),
            ("01", "leading zero"), ("1.", "digits expected after '.'"), ("1e", "digits expected in an exponent"), ("tru", "not a JSON value"),
            ("\"abc", "not closed"), ("\"a\u{1}b\"", "control character"), (#""\ud800""#, "lone surrogate"), (#""\udc00x""#, "lone surrogate"),
            (#""\ud800\u0041""#, "lone surrogate"), (#""\x""#, "unknown escape"), (#""\u12""#, "four hex digits"), ("1 2", "text after the document"),
            ("NaN", "not a JSON value"), ("{\"a\" 1}", "':' expected"), (#"{"a": "x\u0000y"}"#, "NUL character"),
            (#"{"a\u0000": 1}"#, "NUL character"), ("\"a\u{0}b\"", "control character"),
        ])
    func invalid(text: String, reason: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error?.description.contains(reason) == true, "\(text): \(error?.description ?? "no error")")
    }

    @Test("Invalid UTF-8 inside a string is refused; nesting past the bound is refused, not a crash")
    func untrusted() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data([0x22, 0x61, 0xFF, 0x22])) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x22])) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        #expect(error?.reason.contains("nested more than") == true)
        #expect(throws: Never.self) { try parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) }
    }

    @Test("Whatever JSONWriter writes reads back as the same value, and Foundation reads the same document")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int64.random(in: .min ... .max, using: &generator))
            case 3: return .double(Double.random(in: -1e300...1e300, using: &generator))
            case 4:
                let scalars = (0..<Int.random(in: 0..<12, using: &generator)).compactMap { _ in
                    Unicode.Scalar(
                        UInt32.random(in: [1...0x7F, 0xA0...0xD7FF, 0xE000...0x10FFFF].randomElement(using: &generator)!, using: &generator))
                }
                return .string(String(String.UnicodeScalarView(scalars)))
            case 5: return .array((0..<Int.random(in: 0..<5, using: &generator)).map { _ in random(depth + 1) })
            default: return .object((0..<Int.random(in: 0..<5, using: &generator)).map { index in ("k\(index)", random(depth + 1)) })
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            let bytes = value.serialized
            #expect(try JSONValue.parse(Data(bytes)) == value, "\(String(decoding: bytes, as: UTF8.self))")
            #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil)
        }
    }
}
