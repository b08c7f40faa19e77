#if canImport(Glibc)
import Glibc
#endif

/// Finds and kills processes owned by a slot's uid that outlived their run
/// (gLExec's pool-account pruning): the uid is the slot's alone, so anything
/// running as it after a run is a stray by definition.
enum StraySweeper {
    /// Kills every process whose owner is `uid`; returns how many it found.
    @discardableResult
    static func sweep(uid: UInt32) -> Int {
        guard let proc = opendir("/proc") else { return 0 }
        defer { closedir(proc) }
        var found = 0
        while let entry = readdir(proc) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name) else { continue }
            var st = stat()
            // /proc/PID is owned by the process's effective uid.
            guard stat("/proc/" + name, &st) == 0, st.st_uid == uid else { continue }
            kill(pid, SIGKILL)
            found += 1
        }
        return found
    }
}
