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
    /// Kills every process whose `/proc/PID` belongs to `uid` or that lives in
    /// `pidNamespace` (as read by ``pidNamespace(of:)``); returns how many it found.
    @discardableResult
    static func sweep(uid: UInt32, pidNamespace: String? = nil) -> Int {
        guard let proc = opendir("/proc") else { return 0 }
        defer { closedir(proc) }
        let own = getpid()
        let wanted = pidNamespace.map { Array($0.utf8) }
        var link = [CChar](repeating: 0, count: 64)
        var found = 0
        while let entry = readdir(proc) {
            // A pid directory's name is all digits: "/proc/PID" is built in place.
            var path: [CChar] = Array("/proc/".utf8CString.dropLast())
            var pid: Int32 = 0
            let isPID = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Bool in
                var n = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 48, byte <= 57, n < 10 else { return false }
                    pid = pid &* 10 &+ Int32(byte - 48)
                    path.append(CChar(bitPattern: byte))
                    n += 1
                }
                return n > 0
            }
            guard isPID, pid != own else { continue }
            let directory = path.count
            path.append(0)
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            var belongs = st.st_uid == uid
            if !belongs, let wanted {
                path.removeSubrange(directory...)
                path += "/ns/pid".utf8CString
                let n = readlink(path, &link, link.count - 1)
                belongs = n == wanted.count && link[0..<max(n, 0)].map { UInt8(bitPattern: $0) }.elementsEqual(wanted)
            }
            guard belongs else { continue }
            kill(pid, SIGKILL)
            found += 1
        }
        return found
    }

    /// The pid namespace of a live process, as its `ns/pid` link reads (`pid:[4026532…]`).
    static func pidNamespace(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/\(pid)/ns/pid", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
