import Logging
import ProctorSandbox

import Foundation

/// Builds one Python environment, outside any job and without trusting what
/// it installs. Two steps, each with a time limit:
///
/// 1. fetch: the pinned wheels are downloaded as `nobody` (``WheelFetcher``);
///    a node with a wheelhouse skips this step and needs no network;
/// 2. install: in the sandbox, with no network, as the build slot's user, into
///    a size-limited tmpfs at `/env` (the path jobs see it at, so the
///    environment's scripts name the right interpreter), then copied out.
///
/// The result is owned by root, so no job, and not the build's own user, can
/// change it afterwards.
struct EnvironmentBuilder: Sendable {
    let sandbox: Sandbox
    let settings: EnvironmentSettings
    /// The cache directory; the environment lands in `root/<identity>`.
    let root: String
    let logger: Logger

    /// Builds `recipe` into `root/<identity>`, or says why it cannot be built.
    func build(_ recipe: EnvironmentRecipe) async throws(EnvironmentProblem) {
        guard let python = recipe.interpreter else {
            throw EnvironmentProblem("Python \(recipe.python) is not installed on this node (looked for python\(recipe.python) in \(EnvironmentRecipe.interpreterDirectories.joined(separator: " and ")))")
        }
        let work = root + "/.build-" + recipe.identity
        try? FileManager.default.removeItem(atPath: work)  // a build that died halfway
        defer { try? FileManager.default.removeItem(atPath: work) }
        let requirements = work + "/requirements.txt"
        let output = work + "/out"
        guard (try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)) != nil,
            FileManager.default.createFile(atPath: requirements, contents: Data(recipe.requirements.utf8), attributes: [.posixPermissions: 0o644])
        else { throw EnvironmentProblem("cannot write to the environment cache \(root)") }
        chmod(work, 0o755)
        let uid = sandbox.uid(forSlot: settings.buildSlot)
        chown(output, uid, uid)

        // Rootless, there is no other user to download as.
        let fetcher = WheelFetcher(tools: root + "/.tools", timeout: settings.buildTime, asNobody: !sandbox.isRootless)
        let pip = URL(fileURLWithPath: try await fetcher.tool(python: python)).deletingLastPathComponent().deletingLastPathComponent().path
        let wheels: String
        if let wheelhouse = settings.wheelhouse {
            wheels = wheelhouse
        } else {
            wheels = work + "/wheels"
            guard (try? FileManager.default.createDirectory(atPath: wheels, withIntermediateDirectories: false)) != nil else {
                throw EnvironmentProblem("cannot write to the environment cache \(root)")
            }
            try await fetcher.fetch(requirements: requirements, into: wheels, python: python, log: work + "/fetch.log")
        }
        try await install(python: python, pip: pip, requirements: requirements, wheels: wheels, output: output, log: work + "/install.log")
        guard FileManager.default.isExecutableFile(atPath: output + "/bin/python") else {
            throw EnvironmentProblem("the build left no bin/python in the environment")
        }
        if !sandbox.isRootless { Self.ownByRoot(output) }
        guard rename(output, root + "/" + recipe.identity) == 0 else {
            throw EnvironmentProblem("moving the built environment into the cache failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Installs the wheels into `/env` in the sandbox, with the pip of the
    /// virtual environment `pip` (bound read-only at `/pip`), and copies the result out.
    private func install(python: String, pip: String, requirements: String, wheels: String, output: String,
                         log: String) async throws(EnvironmentProblem) {
        let script = """
            set -e
            \(python) -m venv --without-pip /env
            /pip/bin/python -m pip --python /env/bin/python install --no-index --find-links /wheels --only-binary=:all: \
            --require-hashes --no-cache-dir --disable-pip-version-check --quiet --requirement /recipe/requirements.txt
            cp -a /env/. /out/
            """
        var spec = SandboxSpec(command: ["/bin/sh", "-c", script], slot: settings.buildSlot)
        spec.limits.wallTime = settings.buildTime
        spec.limits.cpuTime = settings.buildTime
        spec.limits.idleTime = settings.buildTime
        spec.limits.disk = settings.buildDisk
        spec.limits.fileSize = settings.buildDisk
        // The tmpfs's pages count as the build's memory.
        spec.limits.memory = settings.buildDisk + (1 << 30)
        spec.limits.processes = 256
        spec.scratch = ["/env"]
        spec.binds = [BindMount(source: wheels, destination: "/wheels"), BindMount(source: requirements, destination: "/recipe/requirements.txt"),
                      BindMount(source: pip, destination: "/pip"),
                      BindMount(source: output, destination: "/out", writable: true)]
        spec.environment = ["PIP_NO_CACHE_DIR=1", "PIP_CONFIG_FILE=/dev/null"]
        spec.stdout = log + ".out"
        spec.stderr = log
        // One build at a time per node: they share the build slot.
        let lock = FileLock(path: sandbox.configuration.stateDirectory + "/environment-build.lock")
        guard await lock.lock(.exclusive) else { throw EnvironmentProblem("cannot lock \(lock.path)") }
        defer { lock.unlock() }
        let report: RunReport
        do {
            report = try await sandbox.run(spec)
        } catch {
            throw EnvironmentProblem("the build sandbox failed: \(error)")
        }
        switch report.verdict {
        case .exited(code: 0): return
        case .exited where ChildProcess.tail(of: log, lines: 40).contains("No space left on device"):
            throw EnvironmentProblem("installing the requirements went past the build's disk limit (\(settings.buildDisk) bytes): \(ChildProcess.tail(of: log))")
        case .limitExceeded(let limit):
            throw EnvironmentProblem("installing the requirements went past the build's \(limit.rawValue) limit (time \(Int(settings.buildTime)) s, disk \(settings.buildDisk) bytes)")
        default:
            throw EnvironmentProblem("installing the requirements failed: \(ChildProcess.tail(of: log))")
        }
    }

    /// Gives the tree to root, without following its symbolic links.
    static func ownByRoot(_ path: String) {
        lchown(path, 0, 0)
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        while let relative = walker.nextObject() as? String { lchown(path + "/" + relative, 0, 0) }
    }
}
