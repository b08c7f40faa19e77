import Foundation
import ProctorClient
import ProctorCore
import ProctorWorker
import Testing

/// Competitions that bring their own Python environment, built from a
/// wheelhouse of tiny packages made here (no package index needed).
enum EnvironmentFixture {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/environments"

    /// The node's Python as `major.minor` (3.11 on Debian 12).
    static let python: String = {
        for minor in (8...20).reversed() where FileManager.default.isExecutableFile(atPath: "/usr/bin/python3.\(minor)") {
            return "3.\(minor)"
        }
        return "3"
    }()

    /// A wheelhouse holding `proctorpkg` 1.0 and 2.0; returns it and each wheel's SHA-256 by version.
    /// With `padding`, version 1.0 carries a data file of that many bytes.
    static func wheelhouse(padding: Int = 0) async throws -> (path: String, hashes: [String: String]) {
        let path = NSTemporaryDirectory() + "proctor-wheels-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var hashes: [String: String] = [:]
        for version in ["1.0", "2.0"] {
            let made = try await runToEnd("/usr/bin/python3", [fixtures + "/make_wheel.py", "proctorpkg", version, path]
                                          + (padding > 0 && version == "1.0" ? [String(padding)] : []))
            try #require(made.status == 0)
            hashes[version] = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return (path, hashes)
    }

    /// The requirements line pinning `proctorpkg==version` with `hash`.
    static func pin(_ version: String, _ hash: String, package: String = "proctorpkg") -> String {
        "\(package)==\(version) \\\n    --hash=sha256:\(hash)\n"
    }

    /// A competition `id` whose jobs run `solution.sh` with `requirements`
    /// installed; its grader reports what the solution wrote (`solution`) and
    /// the version of `proctorpkg` the grade stage sees (`grader`).
    static func competition(in root: String, id: String, requirements: String) throws {
        let directory = root + "/" + id
        try FileManager.default.createDirectory(atPath: directory + "/environment", withIntermediateDirectories: true)
        try requirements.write(toFile: directory + "/environment/requirements.txt", atomically: true, encoding: .utf8)
        var manifest = manifest(id: id, grade: """
            v=$(python3 -c 'import proctorpkg; print(proctorpkg.VERSION)' 2>&1 | tr -d '"\\\\'); read s < /workspace/out.txt
            printf '{"score": 1, "solution": "%s", "grader": "%s"}\\n' "$s" "$v" > /workspace/results.jsonl
            """)
        manifest.environment = EnvironmentDeclaration(python: python, requirements: "environment/requirements.txt")
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: directory + "/competition.json"))
    }

    /// A shell competition whose stages run the `grade` script with `/bin/sh -c`.
    static func manifest(id: String, grade: String) -> CompetitionManifest {
        CompetitionManifest(
            id: id, version: "1", title: "Environment test \(id)", acceptedFiles: ["solution.sh"],
            run: ["/bin/sh", "solution.sh"], grade: ["/bin/sh", "-c", grade], outputFile: "out.txt", maxOutputBytes: 4096,
            limits: StageLimits(cpuTime: 5, idleTime: 10, wallTime: 20, memory: 256 << 20, processes: 32, disk: 16 << 20, output: 64 << 10),
            gradeLimits: StageLimits(cpuTime: 5, wallTime: 20, memory: 256 << 20), files: [:])
    }

    /// The identity (cache directory name) of an environment of `requirements`.
    static func identity(_ requirements: String) -> String {
        EnvironmentRecipe(python: python, requirements: requirements).identity
    }

    /// Submits `script` as `solution.sh` to `competition`; the answer's JSON.
    static func submit(_ client: ProctorClient, _ competition: String, _ script: String) async throws -> [String: Any] {
        let response = try await client.submit(competition: competition, fileName: "solution.sh", contents: Data(script.utf8))
        try #require(response.status == 201, "\(response.text)")
        return response.json ?? [:]
    }

    /// The first results row of a finished job.
    static func row(_ job: [String: Any]) -> [String: Any] {
        (job["results"] as? [[String: Any]])?.first ?? [:]
    }

    /// Where the competition's environment stands on the server's local worker, as `GET /v1/competitions/{id}` says.
    static func status(_ client: ProctorClient, _ competition: String) async throws -> [String: Any]? {
        let resource = try await client.call(.GET, "/v1/competitions/\(competition)").json ?? [:]
        return (resource["environments"] as? [String: [String: Any]])?.values.first
    }

    /// A competition `id` whose system is a tree of its own: the host's
    /// `dash` and C library, and an `/etc/os-release` that says `ID=proctor-rootfs`.
    static func rootfsCompetition(in root: String, id: String) throws {
        let directory = root + "/" + id
        let tree = directory + "/rootfs"
        let fm = FileManager.default
        for path in ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/etc"] {
            try fm.createDirectory(atPath: tree + path, withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(atPath: tree + "/bin", withDestinationPath: "usr/bin")
        try fm.createSymbolicLink(atPath: tree + "/lib", withDestinationPath: "usr/lib")
        try fm.createSymbolicLink(atPath: tree + "/lib64", withDestinationPath: "usr/lib64")
        // The files themselves, not the host's symbolic links to them.
        func copy(_ path: String, to destination: String) throws {
            try fm.copyItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path, toPath: tree + destination)
        }
        try copy("/usr/bin/dash", to: "/usr/bin/dash")
        try fm.createSymbolicLink(atPath: tree + "/usr/bin/sh", withDestinationPath: "dash")
        try copy("/lib/x86_64-linux-gnu/libc.so.6", to: "/usr/lib/x86_64-linux-gnu/libc.so.6")
        try copy("/lib64/ld-linux-x86-64.so.2", to: "/usr/lib64/ld-linux-x86-64.so.2")
        try "ID=proctor-rootfs\n".write(toFile: tree + "/etc/os-release", atomically: true, encoding: .utf8)
        var manifest = manifest(id: id, grade: """
            . /etc/os-release; read s < /workspace/out.txt
            printf '{"score": 1, "solution": "%s", "grader": "%s"}\\n' "$s" "$ID" > /workspace/results.jsonl
            """)
        manifest.environment = EnvironmentDeclaration(rootfs: "rootfs/")
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: directory + "/competition.json"))
    }
}
