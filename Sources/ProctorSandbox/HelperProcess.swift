#if canImport(Glibc)
import Glibc
#endif

/// The `proctor-init` process of one run, started with the descriptor layout
/// the C side expects: 0-2 the program's stdio, 3 configuration, 4 status, 5 control.
struct HelperProcess {
    let pid: pid_t

    /// Spawns the helper. `stdio` are the caller's descriptors for the program's
    /// stdin, stdout and stderr; they and the pipe ends are dup'd, never moved.
    static func spawn(path: String, stdio: (Int32, Int32, Int32), config: Int32, status: Int32, control: Int32) throws
        -> HelperProcess
    {
        // Fresh close-on-exec copies above 9 so no source collides with a target.
        let sources = [stdio.0, stdio.1, stdio.2, config, status, control]
        var copies: [Int32] = []
        defer { copies.forEach { close($0) } }
        for fd in sources {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 10)
            guard copy >= 0 else { throw ControlFile.failure("duplicating descriptor \(fd) for", path) }
            copies.append(copy)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, copy) in copies.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, copy, Int32(target))
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("proctor-init"), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SandboxError.unavailable("starting the sandbox helper \(path): \(String(cString: strerror(result)))")
        }
        return HelperProcess(pid: pid)
    }

    /// Waits for the helper to exit (it always does once its init is gone).
    func wait() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
