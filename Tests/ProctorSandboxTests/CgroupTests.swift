import Foundation
import Testing

@testable import ProctorSandbox

/// cgroup v1 and v2: detection from real-format mount tables, the v2 driver
/// against a fake cgroupfs tree, and the real v2 hierarchy where one is mounted.
@Suite struct CgroupTests {
    /// The unified hierarchy mounted beside v1 controllers, if this host has one.
    static var unifiedBesideV1: String? {
        if case .v1(_, _, _, let unified?, _) = Harness.sandbox.hierarchy { return unified }
        return nil
    }

    /// The v1 devices controller, if this host mounts one.
    static var v1Devices: String? {
        if case .v1(_, _, _, _, let devices?) = Harness.sandbox.hierarchy { return devices }
        return nil
    }

    @Test func detectsHybridV1() throws {
        let mountinfo = """
            30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            31 25 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            33 25 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let own = "4:memory:/jobs/a\n3:pids:/\n2:cpu,cpuacct:/\n0::/\n"
        let hierarchy = try CgroupHierarchy.detect(mountinfo: mountinfo, ownCgroups: own)
        #expect(hierarchy == .v1(memory: "/sys/fs/cgroup/memory/jobs/a", pids: "/sys/fs/cgroup/pids",
                                 cpuacct: "/sys/fs/cgroup/cpu,cpuacct", unified: "/sys/fs/cgroup/unified", devices: nil))
    }

    @Test func detectsPureV2() throws {
        let mountinfo = "35 25 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
        #expect(try CgroupHierarchy.detect(mountinfo: mountinfo, ownCgroups: "0::/user.slice\n") == .v2(root: "/sys/fs/cgroup/proctor"))
    }

    @Test func noCgroupsIsAClearError() {
        #expect(throws: SandboxError.self) { try CgroupHierarchy.detect(mountinfo: "1 0 0:1 / / rw - ext4 /dev/sda rw\n", ownCgroups: "") }
    }

    /// A directory laid out like a v2 cgroupfs with the files the kernel would
    /// create; the driver writes limits and reads counters through it.
    @Test func v2DriverAgainstAFakeTree() throws {
        let root = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let leaf = root + "/slot-3/run"
        try FileManager.default.createDirectory(atPath: leaf, withIntermediateDirectories: true)
        let files: [String: String] = [
            root + "/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
            root + "/cgroup.subtree_control": "", root + "/slot-3/cgroup.subtree_control": "",
            leaf + "/memory.max": "max\n", leaf + "/memory.swap.max": "max\n", leaf + "/pids.max": "max\n",
            leaf + "/cgroup.procs": "", leaf + "/memory.peak": "7340032\n",
            leaf + "/cpu.stat": "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n",
            leaf + "/cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=900\n",
            leaf + "/memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
            leaf + "/pids.events": "max 2\n",
        ]
        for (path, text) in files { try text.write(toFile: path, atomically: false, encoding: .utf8) }
        var limits = Limits()
        limits.memory = 64 << 20
        limits.processes = 10
        var group = CgroupV2(root: root, slot: 3)
        try group.prepare(limits: limits, devices: [])
        func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
        #expect(try read(leaf + "/memory.max") == "67108864")
        #expect(try read(leaf + "/memory.swap.max") == "0")
        #expect(try read(leaf + "/pids.max") == "10")
        #expect(try read(root + "/cgroup.subtree_control") == "+memory +pids +cpu")
        #expect(group.procsFiles == [leaf + "/cgroup.procs"])
        #expect(group.usage() == CgroupUsage(cpuNanoseconds: 250_000_000, cpuStallNanoseconds: 1_500_000,
                                             peakMemory: 7_340_032, oomKills: 1, processLimitHits: 2))
    }

    @Test func v2DriverRefusesMissingControllers() throws {
        let root = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "cpu io\n".write(toFile: root + "/cgroup.controllers", atomically: false, encoding: .utf8)
        var group = CgroupV2(root: root, slot: 0)
        #expect {
            try group.prepare(limits: Limits(), devices: [])
        } throws: { error in
            "\(error)".contains("lacks the memory, pids controller")
        }
    }

    /// On a hybrid host the unified hierarchy is real but holds no memory or
    /// pids controller: the v2 driver must say so rather than run unlimited.
    @Test(.enabled(if: unifiedBesideV1 != nil, "this host has no unified hierarchy beside cgroup v1"))
    func realUnifiedHierarchyIsCheckedForControllers() throws {
        let unified = try #require(Self.unifiedBesideV1)
        let controllers = (try? String(contentsOfFile: unified + "/cgroup.controllers", encoding: .utf8)) ?? ""
        var group = CgroupV2(root: unified + "/proctor-v2-test", slot: 0)
        try FileManager.default.createDirectory(atPath: unified + "/proctor-v2-test", withIntermediateDirectories: true)
        defer { rmdir(unified + "/proctor-v2-test/slot-0"); rmdir(unified + "/proctor-v2-test") }
        if controllers.contains("memory") && controllers.contains("pids") {
            try group.prepare(limits: Limits(), devices: [])
            #expect(FileManager.default.fileExists(atPath: group.leaf + "/memory.max"))
            rmdir(group.leaf)
        } else {
            #expect(throws: SandboxError.self) { try group.prepare(limits: Limits(), devices: []) }
        }
    }

    /// On v1 the device controller lets a run open only the standard nodes
    /// and its own devices (a job's GPUs): checked in the kernel's own list.
    @Test(.enabled(if: v1Devices != nil, "this host has no cgroup v1 devices controller"))
    func deviceControllerAllowsOnlyTheRunsDevices() throws {
        let devices = try #require(Self.v1Devices)
        let slot = Harness.slot()
        var group = Harness.sandbox.hierarchy.group(slot: slot)
        let tty = try #require(DeviceNumber(path: "/dev/tty"))
        try group.prepare(limits: Limits(), devices: [tty])
        let list = try String(contentsOfFile: devices + "/proctor/slot-\(slot)/devices.list", encoding: .utf8)
        let entries = Set(list.split(separator: "\n").map(String.init))
        #expect(entries == Set((DeviceNumber.standard + [tty]).map { "c \($0.major):\($0.minor) rwm" }))
        #expect(DeviceNumber(path: "/dev/null") == DeviceNumber(major: 1, minor: 3))
        #expect(DeviceNumber(path: "/etc/passwd") == nil)
    }
}
