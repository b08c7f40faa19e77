import Foundation
import Synchronization
import Testing

@testable import ProctorSandbox

/// Shared helpers: one sandbox, a distinct slot per run (tests run in
/// parallel), temporary directories that are removed afterwards.
enum Harness {
    static let sandbox: Sandbox = {
        do { return try Sandbox() } catch { fatalError("the tests need root and cgroups: \(error)") }
    }()

    private static let nextSlot = Atomic<Int>(100)

    /// A slot no other test uses.
    static func slot() -> Int { nextSlot.add(1, ordering: .relaxed).newValue }

    /// Runs a shell script in the sandbox with the given limits tweaks.
    static func run(
        _ script: String, limits: (inout Limits) -> Void = { _ in }, configure: (inout SandboxSpec) -> Void = { _ in }
    ) async throws -> (report: RunReport, stdout: String, stderr: String) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var spec = SandboxSpec(command: ["/bin/sh", "-c", script], slot: slot())
        spec.limits.wallTime = 20
        limits(&spec.limits)
        spec.stdout = directory + "/stdout"
        spec.stderr = directory + "/stderr"
        configure(&spec)
        let report = try await sandbox.run(spec)
        let out = (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? ""
        return (report, out, err)
    }

    /// Runs a Python program (the system's /usr/bin/python3) in the sandbox.
    static func python(
        _ program: String, limits: (inout Limits) -> Void = { _ in }, configure: (inout SandboxSpec) -> Void = { _ in }
    ) async throws -> (report: RunReport, stdout: String, stderr: String) {
        try await run("exec /usr/bin/python3 -c \"$0\"", limits: limits) { spec in
            spec.command.append(program)
            configure(&spec)
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "proctor-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A Python program that prints its network namespace, listens on an
    /// abstract socket and leaves a child behind holding it.
    static let socketLeftBehind = """
        import os, socket, time
        s = socket.socket(socket.AF_UNIX); s.bind('\\0proctor-left-behind'); s.listen()
        print(os.readlink('/proc/self/ns/net'))
        if os.fork() == 0:
            time.sleep(60)
        """

    /// A Python program that prints its network namespace, "found" or "nothing"
    /// for the socket ``socketLeftBehind`` listens on, and how many interfaces it sees.
    static let socketLeftBehindProbe = """
        import os, socket
        print(os.readlink('/proc/self/ns/net'))
        try:
            socket.socket(socket.AF_UNIX).connect('\\0proctor-left-behind'); print('found')
        except OSError:
            print('nothing')
        print(open('/proc/net/dev').read().count(':'))
        """

    /// This process's whole mount table. (`String(contentsOfFile:)` stops at
    /// procfs's first page, 4 KB: a mount further down would go unseen.)
    static func mountTable() throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/mountinfo"))
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// Pids of processes owned by `uid` on the host right now.
    static func processes(ownedBy uid: UInt32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name) else { return nil }
            var st = stat()
            guard stat("/proc/" + name, &st) == 0, st.st_uid == uid else { return nil }
            return pid
        }
    }

    /// Compiles a small C program on the host into `directory`, for hostile
    /// behaviour a shell or Python cannot express (real threads).
    static func compile(_ source: String, named name: String, in directory: String) throws -> String {
        let sourcePath = directory + "/\(name).c", binary = directory + "/\(name)"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compiler.arguments = ["-O1", "-pthread", "-o", binary, sourcePath]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw SandboxError.unavailable("cc failed for \(name)") }
        return binary
    }
}
