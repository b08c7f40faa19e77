import Crypto
import Foundation
import ProctorCore

/// Bearer tokens: 256 random bits shown once as `pct_` + base64url, stored
/// only as their SHA-256.
public enum TokenCodec {
    /// A new token's text (give it to the user, once) and the hash to store.
    public static func generate() -> (text: String, hash: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = "pct_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (text, hash(text))
    }

    /// Lower-case hex SHA-256 of a token's text.
    public static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    /// Compares two hashes in time independent of where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
