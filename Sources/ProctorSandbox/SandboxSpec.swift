/// Everything one sandbox run needs: the command, its limits, and what of the
/// host it may see. Decodable from the JSON that `proctor run --spec` reads.
public struct SandboxSpec: Codable, Sendable, Equatable {
    /// The program and its arguments; a name without `/` is looked up in `PATH`
    /// inside the sandbox.
    public var command: [String]
    public var limits: Limits
    /// Host directory copied into `/workspace` before the run and replaced by what
    /// the program left there (regular files and directories only) after it.
    public var workspace: String?
    public var binds: [BindMount]
    public var network: NetworkMode
    /// Extra `NAME=VALUE` entries on top of the minimal PATH, HOME and LANG.
    public var environment: [String]
    /// Host files for the program's standard streams; `nil` means `/dev/null` for
    /// stdin and the caller's own stdout and stderr.
    public var stdin: String?
    public var stdout: String?
    public var stderr: String?
    /// The slot (and so the uid, gid and cgroups) the run uses; one run per slot at a time.
    public var slot: Int
    /// Host device nodes (such as `/dev/nvidia0`) made available read-write.
    public var devices: [String]
    /// A host directory holding another system (a distribution tree, an
    /// unpacked OCI image) whose `/usr`, `/bin`, `/lib*` and safe part of
    /// `/etc` the run sees instead of the host's; `nil` for the host's own.
    public var rootfs: String?
    /// Extra private tmpfs directories (such as `/env` for an environment
    /// build), each as large as the disk limit and owned by the run's user.
    public var scratch: [String]

    public init(
        command: [String], limits: Limits = Limits(), workspace: String? = nil, binds: [BindMount] = [],
        network: NetworkMode = .none, environment: [String] = [], stdin: String? = nil,
        stdout: String? = nil, stderr: String? = nil, slot: Int = 0, devices: [String] = [], rootfs: String? = nil, scratch: [String] = []
    ) {
        self.rootfs = rootfs
        self.scratch = scratch
        self.command = command
        self.limits = limits
        self.workspace = workspace
        self.binds = binds
        self.network = network
        self.environment = environment
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.slot = slot
        self.devices = devices
    }

    enum CodingKeys: String, CodingKey {
        case command, limits, workspace, binds, network, environment = "env", stdin, stdout, stderr, slot, devices, rootfs, scratch
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            command: try c.decodeIfPresent([String].self, forKey: .command) ?? [],
            limits: try c.decodeIfPresent(Limits.self, forKey: .limits) ?? Limits(),
            workspace: try c.decodeIfPresent(String.self, forKey: .workspace),
            binds: try c.decodeIfPresent([BindMount].self, forKey: .binds) ?? [],
            network: try c.decodeIfPresent(NetworkMode.self, forKey: .network) ?? .none,
            environment: try c.decodeIfPresent([String].self, forKey: .environment) ?? [],
            stdin: try c.decodeIfPresent(String.self, forKey: .stdin),
            stdout: try c.decodeIfPresent(String.self, forKey: .stdout),
            stderr: try c.decodeIfPresent(String.self, forKey: .stderr),
            slot: try c.decodeIfPresent(Int.self, forKey: .slot) ?? 0,
            devices: try c.decodeIfPresent([String].self, forKey: .devices) ?? [],
            rootfs: try c.decodeIfPresent(String.self, forKey: .rootfs),
            scratch: try c.decodeIfPresent([String].self, forKey: .scratch) ?? [])
    }

    /// The largest slot number accepted; slots map to uids, so the pool is bounded.
    public static let maximumSlot = 4095

    /// Checks the spec without touching the host beyond `stat`; each error says
    /// which field is wrong and how.
    public func validate() throws {
        guard let program = command.first, !program.isEmpty else {
            throw SandboxError.invalidSpec("no program given: put it after '--', e.g. proctor run -- /bin/true")
        }
        guard command.count <= 200 else { throw SandboxError.invalidSpec("at most 200 arguments, not \(command.count)") }
        for argument in command where argument.utf8.contains(0) {
            throw SandboxError.invalidSpec("arguments cannot contain a NUL byte")
        }
        try limits.validate()
        guard (0...Self.maximumSlot).contains(slot) else {
            throw SandboxError.invalidSpec("slot must be between 0 and \(Self.maximumSlot), not \(slot)")
        }
        guard environment.count <= 50 else { throw SandboxError.invalidSpec("at most 50 --env entries") }
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let name = parts.first, !name.isEmpty,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                !entry.utf8.contains(0)
            else {
                throw SandboxError.invalidSpec("--env takes NAME=VALUE with a name of letters, digits and '_'; '\(entry)' is not")
            }
        }
        for bind in binds { try SandboxPath.validateBind(bind) }
        for device in devices { try SandboxPath.validateDevice(device) }
        if let rootfs { try SandboxPath.validateRootfs(rootfs) }
        guard scratch.count <= 8 else { throw SandboxError.invalidSpec("at most 8 scratch directories") }
        for path in scratch { try SandboxPath.validateScratch(path) }
        if let workspace { try SandboxPath.requireDirectory(workspace, option: "--workspace") }
        if let stdin { try SandboxPath.requireReadableFile(stdin, option: "--stdin") }
    }
}
