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
        let download = [pip, "-m", "pip", "download", "--only-binary=:all:", "--require-hashes", "--no-cache-dir", "--quiet",
                        "--requirement", requirements, "--dest", directory]
        let command = asNobody ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + download : download
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
