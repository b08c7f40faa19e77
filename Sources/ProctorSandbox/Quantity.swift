/// Parses the sizes and durations people type on a command line or in a spec.
public enum Quantity {
    /// Parses a size such as `512`, `64K`, `256M` or `2G` (powers of 1024) into bytes.
    ///
    /// - Throws: ``SandboxError/invalidSpec(_:)`` naming the text when it is not a
    ///   non-negative size that fits in 63 bits.
    public static func bytes(_ text: String, option: String) throws -> UInt64 {
        let trimmed = text
        var digits = Substring(trimmed)
        var multiplier: UInt64 = 1
        switch trimmed.last.map({ Character($0.uppercased()) }) {
        case "K": multiplier = 1 << 10; digits = digits.dropLast()
        case "M": multiplier = 1 << 20; digits = digits.dropLast()
        case "G": multiplier = 1 << 30; digits = digits.dropLast()
        case "T": multiplier = 1 << 40; digits = digits.dropLast()
        default: break
        }
        guard let value = UInt64(digits), value <= UInt64(Int64.max) / multiplier else {
            throw SandboxError.invalidSpec(
                "\(option) takes a size such as 512K, 256M or 2G; '\(text)' is not one")
        }
        return value * multiplier
    }

    /// Parses a duration in decimal seconds (`1.5`), which must be positive and finite.
    public static func seconds(_ text: String, option: String) throws -> Double {
        guard let value = Double(text), value.isFinite, value > 0,
            value <= 31_536_000
        else {
            throw SandboxError.invalidSpec(
                "\(option) takes a positive number of seconds such as 2 or 0.5; '\(text)' is not one")
        }
        return value
    }
}
