/// A parsed `multipart/form-data` body (RFC 7578), with strict limits: a
/// malformed body is refused with a reason, never half-read.
struct MultipartForm {
    struct Part {
        var name: String
        var fileName: String?
        var data: [UInt8]
    }

    var parts: [Part]

    enum Failure: Error, Equatable { case malformed(String) }

    /// Parses `body` given the request's `Content-Type`.
    init(body: [UInt8], contentType: String, maxParts: Int = 16) throws {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw Failure.malformed("the body must be multipart/form-data (use curl -F or proctor submit)")
        }
        guard let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70 else {
            throw Failure.malformed("the multipart Content-Type has no valid boundary")
        }
        let delimiter = Array(("--" + boundary).utf8)
        guard var position = Self.find(delimiter, in: body, from: 0) else {
            throw Failure.malformed("the body does not contain its multipart boundary")
        }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            if body.count >= position + 2 && body[position] == 45 && body[position + 1] == 45 { break }  // "--": the end
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else {
                throw Failure.malformed("a multipart boundary is not followed by CRLF")
            }
            position += 2
            guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: body, from: position) else {
                throw Failure.malformed("a multipart part has no end of headers")
            }
            let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
            let dataStart = headerEnd + 4
            guard let next = Self.find(Array("\r\n".utf8) + delimiter, in: body, from: dataStart) else {
                throw Failure.malformed("a multipart part is not closed by its boundary")
            }
            var name: String?
            var fileName: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = Self.parameter("name", in: String(line))
                fileName = Self.parameter("filename", in: String(line))
            }
            guard let name else { throw Failure.malformed("a multipart part has no Content-Disposition name") }
            parts.append(Part(name: name, fileName: fileName, data: Array(body[dataStart..<next])))
            guard parts.count <= maxParts else { throw Failure.malformed("too many multipart parts (at most \(maxParts))") }
            position = next + 2
        }
        self.parts = parts
    }

    func part(named name: String) -> Part? { parts.first { $0.name == name } }

    /// The value of `key=value` or `key="value"` in a header.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let trimmed = piece.drop { $0 == " " }
            guard trimmed.lowercased().hasPrefix(key.lowercased() + "=") else { continue }
            var value = trimmed.dropFirst(key.count + 1)
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
