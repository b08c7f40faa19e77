import Foundation

/// Downloads the wheels a pinned requirements file names, checking every
/// hash, with pip's `--only-binary=:all:` (a download runs no package code).
/// Used by a node's environment builds (as `nobody`) and by
/// `proctor environment fetch`, which fills a wheelhouse for offline nodes.
/// Its pip also installs those wheels in the build sandbox, so environments
/// carry no pip of their own.
public struct WheelFetcher: Sendable {
    /// Where the pip of each interpreter is kept (the node's own Python may have none).
    public var tools: String
    /// Seconds a download may take.
    public var timeout: Double
    /// Whether pip runs as `nobody` (needs root); the target directory must be writable by it.
    public var asNobody: Bool

    public init(tools: String, timeout: Double, asNobody: Bool) {
        self.tools = tools
        self.timeout = timeout
        self.asNobody = asNobody
    }

    /// Where downloads as `nobody` are staged: a place `nobody` can reach
    /// whatever the permissions of the worker's own directory.
    public static let stagingParent = "/var/tmp"

    /// Downloads what `requirements` pins into `directory`, for `python` (an interpreter's path).
    public func fetch(requirements: String, into directory: String, python: String, log: String) async throws(EnvironmentProblem) {
        let pip = try await tool(python: python)
        var environment = ["PATH": "/usr/bin:/bin", "HOME": asNobody ? "/nonexistent" : NSHomeDirectory(), "LANG": "C.UTF-8",
                           "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"]
        // Where the operator told pip to find packages (an index mirror, a proxy, a CA).
        for (name, value) in ProcessInfo.processInfo.environment
        where name.hasPrefix("PIP_") || ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE"].contains(name) {
            environment[name] = value
        }
        guard asNobody else {
            try await download(pip: pip, requirements: requirements, into: directory, environment: environment, log: log)
            return
        }
        // `nobody` works in a directory of its own under /var/tmp, with copies
        // of pip and the requirements; the wheels are moved to `directory` after.
        var template = Array((Self.stagingParent + "/proctor-fetch-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw EnvironmentProblem("cannot make a staging directory in \(Self.stagingParent): \(String(cString: strerror(errno)))")
        }
        let staging = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        chmod(staging, 0o711)
        let tool = URL(fileURLWithPath: pip).deletingLastPathComponent().deletingLastPathComponent().path
        let wheels = staging + "/wheels"
        do {
            try FileManager.default.copyItem(atPath: tool, toPath: staging + "/pip")
            try FileManager.default.copyItem(atPath: requirements, toPath: staging + "/requirements.txt")
            try FileManager.default.createDirectory(atPath: wheels, withIntermediateDirectories: false)
        } catch {
            throw EnvironmentProblem("cannot stage the download in \(staging): \(error)")
        }
        chmod(staging + "/requirements.txt", 0o644)
        chown(wheels, 65534, 65534)
        try await download(pip: staging + "/pip/bin/python", requirements: staging + "/requirements.txt", into: wheels,
                           environment: environment, log: log, prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        for name in (try? FileManager.default.contentsOfDirectory(atPath: wheels)) ?? [] where name.hasSuffix(".whl") {
            do {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
                try FileManager.default.copyItem(atPath: wheels + "/" + name, toPath: directory + "/" + name)
            } catch {
                throw EnvironmentProblem("cannot move the downloaded \(name) into place: \(error)")
            }
        }
    }

    /// Removes staging directories of downloads that a killed worker left
    /// behind: root's own, older than `age` seconds (no download lasts that long).
    public static func removeStaleStaging(olderThan age: Double) {
        let cutoff = Date().addingTimeInterval(-age)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: stagingParent)) ?? [] where name.hasPrefix("proctor-fetch-") {
            let path = stagingParent + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid(),
                Double(info.st_mtim.tv_sec) < cutoff.timeIntervalSince1970
            else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private func download(pip: String, requirements: String, into directory: String, environment: [String: String], log: String,
                          prefix: [String] = []) async throws(EnvironmentProblem) {
        let command = prefix + [pip, "-m", "pip", "download", "--only-binary=:all:", "--require-hashes", "--no-cache-dir", "--quiet",
                                "--requirement", requirements, "--dest", directory]
        guard let status = await ChildProcess.run(command, environment: environment, output: log, timeout: timeout) else {
            throw EnvironmentProblem("downloading the requirements took longer than \(Int(timeout)) s")
        }
        guard status == 0 else {
            throw EnvironmentProblem("downloading the requirements failed: \(ChildProcess.tail(of: log))")
        }
    }

    /// A pip for `python`: a virtual environment holding only pip, made once
    /// with the interpreter's `venv` and kept; returns its interpreter.
    func tool(python: String) async throws(EnvironmentProblem) -> String {
        let version = URL(fileURLWithPath: python).lastPathComponent
        let tool = tools + "/" + version
        if FileManager.default.isExecutableFile(atPath: tool + "/bin/python") { return tool + "/bin/python" }
        let making = tool + ".making"
        try? FileManager.default.removeItem(atPath: making)
        try? FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        let log = tool + ".log"
        let status = await ChildProcess.run([python, "-m", "venv", making], environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"],
                                            output: log, timeout: timeout)
        guard status == 0, rename(making, tool) == 0 else {
            throw EnvironmentProblem("making a pip for \(version) failed (install python3-venv): \(ChildProcess.tail(of: log))")
        }
        return tool + "/bin/python"
    }
}
