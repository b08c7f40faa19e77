import Foundation
import HTTPTypes
import Hummingbird
import ProctorCore
import ProctorWorker

/// A job's log followed live, as Server-Sent Events: what the log holds, then
/// each line as it is written (the service's copy, which remote workers keep
/// up to date), a `state` event at every change of the job's state, and an
/// `end` event once the job has finished and its log is all sent. The same
/// stream serves `GET /v1/jobs/{id}/logs?follow=true`, `proctor logs
/// --follow` and the job's web page.
struct LogStream {
    let state: ServiceState
    let jobID: String
    let path: String

    /// How often the log and the job are looked at.
    static let interval: Duration = .milliseconds(250)
    /// A comment line keeps proxies from closing a quiet stream.
    static let keepAlive: Duration = .seconds(15)
    /// At most this much of the log is sent in one event.
    static let chunk = 256 << 10

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Proxies must not buffer a stream (nginx's own header).
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let state = self.state, jobID = self.jobID, path = self.path
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var offset: UInt64 = 0
            var partial = Data()
            var lastState: JobState?
            var lastWrite = ContinuousClock.now
            while true {
                guard let job = try await state.store.job(id: jobID) else { break }
                let from = offset
                let read = try await BlockingIO.run { Self.read(path, from: from) }
                offset += UInt64(read.count)
                partial.append(read)
                var text = ""
                // Whole lines only, unless the job is over (then the rest goes too).
                if let end = partial.lastIndex(of: 10) {
                    text = String(decoding: partial[partial.startIndex...end], as: UTF8.self)
                    partial = Data(partial[partial.index(after: end)...])
                }
                let finished = job.state.isTerminal && read.isEmpty
                if finished && !partial.isEmpty {
                    text += String(decoding: partial, as: UTF8.self)
                    partial = Data()
                }
                if !text.isEmpty {
                    try await writer.write(ByteBuffer(string: Self.event("log", text)))
                    lastWrite = .now
                }
                if job.state != lastState {
                    lastState = job.state
                    try await writer.write(ByteBuffer(string: Self.event("state", Self.json(["state": job.state.rawValue]))))
                    lastWrite = .now
                }
                if finished {
                    var end: [String: String] = ["state": job.state.rawValue]
                    if let score = job.score, !state.hidesPrivateScores(job) { end["score"] = String(score) }
                    if let error = job.error { end["error"] = error.message }
                    try await writer.write(ByteBuffer(string: Self.event("end", Self.json(end))))
                    break
                }
                if ContinuousClock.now - lastWrite > Self.keepAlive {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    lastWrite = .now
                }
                if read.count < Self.chunk { try await Task.sleep(for: Self.interval) }
            }
            try await writer.finish(nil)
        })
    }

    /// Up to ``chunk`` bytes of the file from `offset` (nothing if it does not exist yet).
    static func read(_ path: String, from offset: UInt64) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil else { return Data() }
        return (try? handle.read(upToCount: chunk)) ?? Data()
    }

    /// One event: its lines each behind `data: `, as the format wants.
    static func event(_ name: String, _ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }
        return "event: \(name)\n" + lines.map { "data: \($0.replacingOccurrences(of: "\r", with: ""))\n" }.joined() + "\n"
    }

    static func json(_ object: [String: String]) -> String {
        (try? JSONEncoder().encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
