import Foundation
import HTTPTypes
import Hummingbird
import JSON

/// The few response shapes the API gives: JSON documents and small HTML pages.
enum APIResponses {
    static func json(_ status: HTTPResponse.Status, _ document: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: document.serialized)))
    }

    /// `{"error": message, "status": "error"}`, the TOM's error shape.
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, .object([("error", .string(message)), ("status", .string("error"))]))
    }

    static func page(status: HTTPResponse.Status = .ok, title: String, body: String) -> Response {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title></head>
            <body><h1>\(escape(title))</h1>
            \(body)
            </body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    /// A form body's fields (`application/x-www-form-urlencoded`).
    struct InvalidForm: Error, CustomStringConvertible {
        var description: String
    }

    /// An `application/x-www-form-urlencoded` body; a NUL in any name or value is refused.
    static func formFields(_ body: String) throws(InvalidForm) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            guard !name.utf8.contains(0), !value.utf8.contains(0) else {
                throw InvalidForm(description: "form field \(name.prefix { $0 != "\0" }) holds a NUL character; text here may not hold NUL")
            }
            fields[name] = value
        }
        return fields
    }
}
