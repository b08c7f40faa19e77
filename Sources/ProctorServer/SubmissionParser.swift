import Foundation
import Hummingbird
import NIOCore
import ProctorCore
import ProctorWorker

/// A validated submission, ready to store.
struct Submission {
    var competition: Competition
    var fileName: String
    var file: [UInt8]
    var expectedTime: Double?
    var metadata: JSONValue?
    var idempotencyKey: String?
    /// The form's `_csrf` field (the web page's forms carry it).
    var csrf: String?
}

/// Validates every field of `POST /v1/jobs`; each refusal names the field and
/// says what would be accepted.
struct SubmissionParser {
    let state: ServiceState

    func parse(_ request: Request, context: ProctorRequestContext) async throws -> Submission {
        let limit = state.configuration.maxUploadBytes
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit + 64 * 1024)
        } catch {
            throw Problem(.contentTooLarge, slug: "upload-too-large", title: "Upload too large",
                          detail: "the upload is larger than \(limit) bytes; submit a smaller solution file")
        }
        let form: MultipartForm
        do {
            form = try MultipartForm(body: Array(buffer: body), contentType: request.headers[.contentType] ?? "")
        } catch MultipartForm.Failure.malformed(let why) {
            throw Problem.badRequest(why, slug: "invalid-multipart")
        }

        guard let competitionPart = form.part(named: "competition") else {
            throw Problem.badRequest("the 'competition' field is missing; see GET /v1/competitions", slug: "invalid-field")
        }
        let competitionID = String(decoding: competitionPart.data, as: UTF8.self)
        guard Identifier.isCompetitionID(competitionID) else {
            throw Problem.badRequest("competition '\(competitionID.prefix(64))' is not a valid id (lower-case letters, digits, '-')", slug: "invalid-field")
        }
        if let reason = try await state.disabledReason(competitionID) {
            throw Problem(.serviceUnavailable, slug: "competition-disabled", title: "Competition disabled",
                          detail: "competition \(competitionID) is disabled: \(reason)")
        }
        guard let competition = state.catalog.current(competitionID) else {
            throw Problem(.notFound, slug: "unknown-competition", title: "Unknown competition",
                          detail: "there is no competition '\(competitionID)'; GET /v1/competitions lists them")
        }
        if competition.manifest.hasEnded(at: Date()) {
            throw Problem(.forbidden, slug: "competition-ended", title: "Competition ended",
                          detail: "competition \(competitionID) ended at \(competition.manifest.endsAt ?? "its end"); submissions are closed, and its final leaderboard is at /v1/competitions/\(competitionID)/leaderboard")
        }
        if let gpus = competition.manifest.gpus, gpus > 0, try await !state.canRunGPUJobs(needing: gpus) {
            throw Problem(.serviceUnavailable, slug: "no-capable-node", title: "No node can run this competition",
                          detail: "competition \(competitionID) needs \(gpus) GPU(s) and no worker with that many is connected; try again when a GPU node is up")
        }

        guard let filePart = form.part(named: "file") else {
            throw Problem.badRequest("the 'file' field is missing: attach your solution file", slug: "invalid-field")
        }
        let fileName = filePart.fileName ?? competition.manifest.acceptedFiles[0]
        guard Identifier.isSafeFileName(fileName) else {
            throw Problem.badRequest("file name '\(fileName.prefix(64))' must be a plain name without path parts or control characters", slug: "invalid-field")
        }
        guard competition.manifest.acceptedFiles.contains(fileName) else {
            throw Problem.badRequest("competition \(competitionID) accepts \(competition.manifest.acceptedFiles.joined(separator: ", ")), not '\(fileName)'", slug: "invalid-field")
        }
        guard filePart.data.count <= limit else {
            throw Problem(.contentTooLarge, slug: "upload-too-large", title: "Upload too large",
                          detail: "the file is \(filePart.data.count) bytes; at most \(limit) are accepted")
        }
        guard !filePart.data.isEmpty else { throw Problem.badRequest("the file is empty", slug: "invalid-field") }
        if fileName.hasSuffix(".py") || fileName.hasSuffix(".txt") || fileName.hasSuffix(".sh") {
            guard String(validating: filePart.data, as: UTF8.self) != nil, !filePart.data.contains(0) else {
                throw Problem.badRequest("\(fileName) is not UTF-8 text; was a binary file uploaded by mistake?", slug: "invalid-field")
            }
        }

        var expectedTime: Double?
        if let part = form.part(named: "expected_time") {
            let text = String(decoding: part.data, as: UTF8.self)
            let range = competition.manifest.expectedTimeRange
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw Problem.badRequest(
                    "expected_time must be between \(Self.seconds(range.lowerBound)) and \(Self.seconds(range.upperBound)) seconds for \(competition.id), not '\(text.prefix(32))'",
                    slug: "invalid-field")
            }
            expectedTime = value
        } else {
            expectedTime = competition.manifest.defaultExpectedTime
        }

        var metadata: JSONValue?
        if let part = form.part(named: "metadata") {
            guard part.data.count <= state.configuration.maxMetadataBytes else {
                throw Problem.badRequest("metadata is larger than \(state.configuration.maxMetadataBytes) bytes", slug: "invalid-field")
            }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(part.data)), case .object = value else {
                throw Problem.badRequest("metadata must be a JSON object, such as {\"note\": \"try 3\"}", slug: "invalid-field")
            }
            metadata = value
        }

        var key: String?
        if let given = request.headers[.idempotencyKey] {
            guard RequestIDMiddleware.isSafe(given) else {
                throw Problem.badRequest("Idempotency-Key must be 1-64 letters, digits, '-' or '_'", slug: "invalid-field")
            }
            key = given
        }
        return Submission(competition: competition, fileName: fileName, file: filePart.data, expectedTime: expectedTime,
                          metadata: metadata, idempotencyKey: key,
                          csrf: form.part(named: "_csrf").map { String(decoding: $0.data, as: UTF8.self) })
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Writes the file durably (data and directory synced) before the job is
    /// recorded, so an accepted job never lacks its file.
    static func save(_ bytes: [UInt8], named name: String, in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Problem.unavailable("the server could not store the file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Problem.unavailable("the server could not store the file (disk full?)") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw Problem.unavailable("the server could not store the file durably") }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
