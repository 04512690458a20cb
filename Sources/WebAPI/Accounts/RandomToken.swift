/// Secrets made of letters and digits, as Django makes its salts, session keys and CSRF
/// secrets, and their comparison in constant time.
public enum RandomToken {
    public static let alphanumerics = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    public static let lowercaseAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `length` characters drawn from `alphabet` by the system's secure generator.
    public static func make(length: Int, alphabet: [UInt8] = alphanumerics) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self)
    }

    /// Equal lengths and bytes, in time that depends only on the length.
    public static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) { difference |= a ^ b }
        return difference == 0
    }
}
