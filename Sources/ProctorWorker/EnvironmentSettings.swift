/// How a node builds and keeps competitions' environments.
public struct EnvironmentSettings: Sendable {
    /// A directory of wheels to install from instead of a package index, for
    /// nodes without one (`proctor environment fetch` fills it).
    public var wheelhouse: String?
    /// The cache's size cap: least recently used environments go first, never one in use.
    public var cacheBytes: UInt64
    /// Seconds a download, and then an install, may take.
    public var buildTime: Double
    /// Bytes an environment may take while it is installed.
    public var buildDisk: UInt64
    /// The sandbox slot builds run in (one build at a time per node), apart from the jobs' slots.
    public var buildSlot: Int

    public init(wheelhouse: String? = nil, cacheBytes: UInt64 = 20 << 30, buildTime: Double = 1200,
                buildDisk: UInt64 = 4 << 30, buildSlot: Int = 4095) {
        self.wheelhouse = wheelhouse
        self.cacheBytes = cacheBytes
        self.buildTime = buildTime
        self.buildDisk = buildDisk
        self.buildSlot = buildSlot
    }
}
