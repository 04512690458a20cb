/// Django's CSRF tokens: the `csrftoken` cookie holds a 32-character secret; a request's token
/// (form field `csrfmiddlewaretoken` or header `X-CSRFToken`) is that secret, or a 64-character
/// masked form of it (mask + cipher, each cipher character shifted by the mask's in the
/// 62-character alphabet).
enum CSRFToken {
    static let alphabet = RandomToken.alphanumerics

    static func newSecret() -> String { RandomToken.make(length: 32) }

    static func isWellFormed(_ token: String) -> Bool {
        (token.utf8.count == 32 || token.utf8.count == 64) && token.utf8.allSatisfy { alphabet.contains($0) }
    }

    /// A 64-character masked form of `secret`, new each time, as Django puts in forms: a page
    /// never shows the secret itself (BREACH).
    static func masked(_ secret: String) -> String {
        let mask = Array(RandomToken.make(length: 32).utf8)
        let index = { (byte: UInt8) in alphabet.firstIndex(of: byte) ?? 0 }
        let cipher = zip(mask, Array(secret.utf8)).map { alphabet[(index($0) + index($1)) % 62] }
        return String(decoding: mask + cipher, as: UTF8.self)
    }

    /// The secret a token stands for.
    static func secret(of token: String) -> [UInt8] {
        let bytes = Array(token.utf8)
        guard bytes.count == 64 else { return bytes }
        let index = { (byte: UInt8) in alphabet.firstIndex(of: byte) ?? 0 }
        return (0..<32).map { position in
            alphabet[(index(bytes[32 + position]) - index(bytes[position]) + 62) % 62]
        }
    }

    /// Whether the request's token matches the cookie's secret, compared in constant time.
    static func matches(token: String, cookie: String) -> Bool {
        guard isWellFormed(token), isWellFormed(cookie) else { return false }
        return RandomToken.constantTimeEqual(secret(of: token), secret(of: cookie))
    }
}
