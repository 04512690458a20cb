import Crypto
import Foundation
import _CryptoExtras

/// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` password hashes, so the TOM's
/// accounts log in here and accounts made here log in to the TOM.
public enum DjangoPassword {
    /// Django 4.2's default iteration count (the TOM's Django).
    public static let defaultIterations = 600_000
    static let algorithm = "pbkdf2_sha256"

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String { "not a pbkdf2_sha256 password hash" }
    }

    /// A new hash of `password`, with a random 22-character salt as Django makes them.
    public static func hash(_ password: String, iterations: Int = defaultIterations, salt: String? = nil) throws -> String {
        let salt = salt ?? RandomToken.make(length: 22)
        return "\(algorithm)$\(iterations)$\(salt)$\(try derive(password, salt: salt, iterations: iterations))"
    }

    /// A well-formed hash no password matches, hashed against when there is no usable one.
    static let placeholderHash = "\(algorithm)$\(defaultIterations)$unknownuserunknownuser$AAAA"

    /// Whether `encoded` is a hash some password could match (Django marks unusable ones with `!`).
    static func isUsable(_ encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", maxSplits: 3, omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == algorithm && Int(parts[1]).map { $0 > 0 && $0 <= 10_000_000 } == true
    }

    /// Whether `password` matches `encoded`, whatever iteration count it was made with; the
    /// derived hashes are compared in constant time.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == algorithm, let iterations = Int(parts[1]), iterations > 0, iterations <= 10_000_000 else {
            return false
        }
        guard let derived = try? derive(password, salt: String(parts[2]), iterations: iterations) else { return false }
        return RandomToken.constantTimeEqual(Array(derived.utf8), Array(parts[3].utf8))
    }

    static func derive(_ password: String, salt: String, iterations: Int) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: Array(salt.utf8), using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}
