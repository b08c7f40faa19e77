/// The hard limits of one sandbox run. Every field has a default that is safe
/// for an unknown program, so a spec that names no limit is still bounded.
public struct Limits: Codable, Sendable, Equatable {
    /// CPU time of every process and thread of the run together, in seconds.
    public var cpuTime: Double = 10
    /// Time the run may spend neither running nor waiting for a CPU, in seconds.
    public var idleTime: Double = 10
    /// Wall-clock time from the program's start, in seconds.
    public var wallTime: Double = 30
    /// Memory of the whole run, swap included, in bytes.
    public var memory: UInt64 = 1 << 30
    /// Processes and threads alive at once.
    public var processes: UInt64 = 128
    /// Open file descriptors per process.
    public var openFiles: UInt64 = 256
    /// Largest file a process may write, in bytes.
    public var fileSize: UInt64 = 256 << 20
    /// Size of each writable tmpfs (`/tmp`, `/workspace`, `/dev/shm`), in bytes.
    public var disk: UInt64 = 256 << 20
    /// Cap on each of stdout and stderr, in bytes; past it the run is stopped.
    public var output: UInt64 = 16 << 20
    /// Stack size per process, in bytes.
    public var stack: UInt64 = 64 << 20
    /// VRAM of the whole run, in bytes, enforced by a ``ResourceMonitor`` when one is given.
    public var vram: UInt64?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case cpuTime = "cpu_time", idleTime = "idle_time", wallTime = "wall_time", memory, processes
        case openFiles = "open_files", fileSize = "file_size", disk, output, stack, vram
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Limits()
        cpuTime = try c.decodeIfPresent(Double.self, forKey: .cpuTime) ?? d.cpuTime
        idleTime = try c.decodeIfPresent(Double.self, forKey: .idleTime) ?? d.idleTime
        wallTime = try c.decodeIfPresent(Double.self, forKey: .wallTime) ?? d.wallTime
        memory = try c.decodeIfPresent(UInt64.self, forKey: .memory) ?? d.memory
        processes = try c.decodeIfPresent(UInt64.self, forKey: .processes) ?? d.processes
        openFiles = try c.decodeIfPresent(UInt64.self, forKey: .openFiles) ?? d.openFiles
        fileSize = try c.decodeIfPresent(UInt64.self, forKey: .fileSize) ?? d.fileSize
        disk = try c.decodeIfPresent(UInt64.self, forKey: .disk) ?? d.disk
        output = try c.decodeIfPresent(UInt64.self, forKey: .output) ?? d.output
        stack = try c.decodeIfPresent(UInt64.self, forKey: .stack) ?? d.stack
        vram = try c.decodeIfPresent(UInt64.self, forKey: .vram)
    }

    /// Checks that every limit is usable; the error names the field and what to do.
    public func validate() throws {
        for (name, value) in [("cpu_time", cpuTime), ("idle_time", idleTime), ("wall_time", wallTime)]
        where !(value.isFinite && value > 0 && value <= 31_536_000) {
            throw SandboxError.invalidSpec("\(name) must be a positive number of seconds (up to a year), not \(value)")
        }
        if memory < 4 << 20 { throw SandboxError.invalidSpec("memory must be at least 4M, not \(memory) bytes") }
        if processes < 1 { throw SandboxError.invalidSpec("processes must be at least 1") }
        if openFiles < 4 { throw SandboxError.invalidSpec("open_files must be at least 4 (stdin, stdout, stderr and one more)") }
        if disk < 64 << 10 { throw SandboxError.invalidSpec("disk must be at least 64K, not \(disk) bytes") }
        if stack < 64 << 10 { throw SandboxError.invalidSpec("stack must be at least 64K, not \(stack) bytes") }
    }
}
