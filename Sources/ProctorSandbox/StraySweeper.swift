#if canImport(Glibc)
import Glibc
#endif

/// Finds and kills processes of a run that outlived it (gLExec's pool-account
/// pruning). A run's processes are recognised by what they cannot shed: the
/// run's pid namespace (whatever their uid, and whether or not they made
/// themselves non-dumpable, which turns their /proc files root's) and the
/// slot's uid. Together with emptying the run's cgroups, this finds
/// everything a run started.
enum StraySweeper {
    /// Kills every process whose `/proc/PID` belongs to `uid` (when given) or
    /// that lives in `pidNamespace` (as read by ``pidNamespace(of:)``); returns how many it found.
    @discardableResult
    static func sweep(uid: UInt32?, pidNamespace: String? = nil) -> Int {
        var found = 0
        for pid in processes() {
            var st = stat()
            guard stat("/proc/\(pid)", &st) == 0 else { continue }
            let belongs = (uid != nil && st.st_uid == uid) || (pidNamespace != nil && Self.pidNamespace(of: pid) == pidNamespace)
            guard belongs else { continue }
            kill(pid, SIGKILL)
            found += 1
        }
        return found
    }

    /// Every process of the host but this one.
    static func processes() -> [Int32] {
        guard let proc = opendir("/proc") else { return [] }
        defer { closedir(proc) }
        let own = getpid()
        var pids: [Int32] = []
        while let entry = readdir(proc) {
            if let pid = processID(entry.pointee.d_name), pid != own { pids.append(pid) }
        }
        return pids
    }

    /// The pid namespace of a live process, as its `ns/pid` link reads (`pid:[4026532…]`).
    static func pidNamespace(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/\(pid)/ns/pid", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The pid a `/proc` entry names, if its name is all digits (read in place, no string made).
    private static func processID<T>(_ name: T) -> Int32? {
        withUnsafeBytes(of: name) { raw -> Int32? in
            var pid: Int32 = 0
            var digits = 0
            for byte in raw {
                if byte == 0 { break }
                guard byte >= 48, byte <= 57, digits < 10 else { return nil }
                pid = pid &* 10 &+ Int32(byte - 48)
                digits += 1
            }
            return digits > 0 ? pid : nil
        }
    }
}
