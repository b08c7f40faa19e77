#if canImport(Glibc)
import Glibc
#endif

/// Finds and kills processes of a run that outlived it (gLExec's pool-account
/// pruning). A run's processes are recognised by what they cannot shed: the
/// run's pid namespace, and the slot's uid as the process's real or effective
/// uid. The owner of `/proc/PID` is not enough: a process that made itself
/// non-dumpable shows root there.
enum StraySweeper {
    /// Kills every process that runs as `uid` or lives in `pidNamespace`
    /// (as read by ``pidNamespace(of:)``); returns how many it found.
    @discardableResult
    static func sweep(uid: UInt32, pidNamespace: String? = nil) -> Int {
        guard let proc = opendir("/proc") else { return 0 }
        defer { closedir(proc) }
        let own = getpid()
        var found = 0
        while let entry = readdir(proc) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int32? in
                let digits = raw.prefix { $0 != 0 }
                guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                return Int32(String(decoding: digits, as: UTF8.self))
            }
            guard let pid, pid != own, belongs(pid: pid, uid: uid, pidNamespace: pidNamespace) else { continue }
            kill(pid, SIGKILL)
            found += 1
        }
        return found
    }

    /// The pid namespace of a live process, as its `ns/pid` link reads (`pid:[4026532…]`).
    static func pidNamespace(of pid: Int32) -> String? {
        link("/proc/\(pid)/ns/pid")
    }

    private static func belongs(pid: Int32, uid: UInt32, pidNamespace: String?) -> Bool {
        var st = stat()
        guard stat("/proc/\(pid)", &st) == 0 else { return false }
        if st.st_uid == uid { return true }
        if let pidNamespace, link("/proc/\(pid)/ns/pid") == pidNamespace { return true }
        // Non-dumpable processes show root as the owner: ask their credentials.
        guard st.st_uid == 0 else { return false }
        return realAndEffectiveUID(of: pid).contains(uid)
    }

    /// The real and effective uid from `/proc/PID/status` ("Uid: real effective saved fs").
    private static func realAndEffectiveUID(of pid: Int32) -> [UInt32] {
        guard let status = ControlFile.read("/proc/\(pid)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return [] }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().prefix(2).compactMap { UInt32($0) }
    }

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
