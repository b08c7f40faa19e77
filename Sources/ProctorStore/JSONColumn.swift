import Foundation

/// The free-form parts of a job (metadata, stage reports, results, error) as
/// JSON text columns, the same way in every store.
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T?) throws -> String? {
        guard let value else { return nil }
        return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// The decoded value, or `nil` for a missing or unreadable column.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
