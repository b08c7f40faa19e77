/// One GPU as NVML reports it.
public struct GPU: Sendable, Equatable, Codable {
    public var index: Int
    /// `N` of `/dev/nvidiaN`.
    public var minor: Int
    public var uuid: String
    public var name: String
    public var memoryTotal: UInt64
    public var memoryUsed: UInt64
    public var utilization: Int
    public var temperature: Int
    public var computeCapability: String
    public var uncorrectedECCErrors: UInt64
    /// Compute processes on the GPU with the VRAM each uses, by host pid.
    public var processes: [GPUProcess]
    /// Why the GPU runs below its clocks now (heat, power), in words; empty when
    /// it runs at full speed or the driver cannot say.
    public var slowdowns: [String] = []
}

/// A compute process on a GPU.
public struct GPUProcess: Sendable, Equatable, Codable {
    public var pid: Int32
    public var usedMemory: UInt64

    public init(pid: Int32, usedMemory: UInt64) {
        self.pid = pid
        self.usedMemory = usedMemory
    }
}

extension NVML {
    /// The number of GPUs.
    public func deviceCount() throws -> Int {
        var n: UInt32 = 0
        try check(count(&n), "nvmlDeviceGetCount")
        return Int(n)
    }

    /// Everything Proctor reads of GPU `index`; throws when the GPU is in error
    /// (fallen off the bus, driver failure).
    public func gpu(_ index: Int) throws -> GPU {
        var device: OpaquePointer?
        try check(handle(UInt32(index), &device), "nvmlDeviceGetHandleByIndex")
        func text(_ call: Text, _ label: String) throws -> String {
            var buffer = [CChar](repeating: 0, count: 128)
            try check(call(device, &buffer, UInt32(buffer.count)), label)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        var memoryInfo = [UInt64](repeating: 0, count: 3)  // total, free, used
        try memoryInfo.withUnsafeMutableBytes { try check(memory(device, $0.baseAddress!), "nvmlDeviceGetMemoryInfo") }
        var rates = [UInt32](repeating: 0, count: 2)  // gpu, memory
        try rates.withUnsafeMutableBytes { try check(utilization(device, $0.baseAddress!), "nvmlDeviceGetUtilizationRates") }
        var celsius: UInt32 = 0, number: UInt32 = 0, eccCount: UInt64 = 0
        var major: Int32 = 0, minorVersion: Int32 = 0
        try check(temperature(device, 0, &celsius), "nvmlDeviceGetTemperature")
        try check(minor(device, &number), "nvmlDeviceGetMinorNumber")
        try check(capability(device, &major, &minorVersion), "nvmlDeviceGetCudaComputeCapability")
        // Uncorrected errors, aggregate over the GPU's life; a GPU without ECC reports none.
        let eccResult = ecc(device, 1, 1, &eccCount)
        if eccResult != 0 && eccResult != 3 { try check(eccResult, "nvmlDeviceGetTotalEccErrors") }  // 3: not supported
        return GPU(
            index: index, minor: Int(number), uuid: try text(uuid, "nvmlDeviceGetUUID"), name: try text(name, "nvmlDeviceGetName"),
            memoryTotal: memoryInfo[0], memoryUsed: memoryInfo[2], utilization: Int(rates[0]), temperature: Int(celsius),
            computeCapability: "\(major).\(minorVersion)", uncorrectedECCErrors: eccCount,
            processes: try computeProcesses(device), slowdowns: slowdowns(device))
    }

    /// The clock-event reasons that slow a job down, in words (NVML's
    /// nvmlClocksEventReason bits); idle, application-clock and sync-boost
    /// reasons are the GPU working as configured and are left out.
    private func slowdowns(_ device: OpaquePointer?) -> [String] {
        var bits: UInt64 = 0
        guard let clockReasons, clockReasons(device, &bits) == 0 else { return [] }
        let named: [(UInt64, String)] = [
            (0x4, "power cap"), (0x8, "hardware slowdown"), (0x20, "heat (software thermal slowdown)"),
            (0x40, "heat (hardware thermal slowdown)"), (0x80, "power brake"),
        ]
        return named.filter { bits & $0.0 != 0 }.map(\.1)
    }

    /// Every GPU that answers, and the error of each one that does not.
    public func inventory() throws -> (gpus: [GPU], failures: [Int: NVMLError]) {
        var gpus: [GPU] = [], failures: [Int: NVMLError] = [:]
        for index in 0..<(try deviceCount()) {
            do { gpus.append(try gpu(index)) } catch let error as NVMLError { failures[index] = error }
        }
        return (gpus, failures)
    }

    /// nvmlProcessInfo_t (v3): pid u32, 4 bytes padding, used memory u64, two u32 ids: 24 bytes.
    private func computeProcesses(_ device: OpaquePointer?) throws -> [GPUProcess] {
        for _ in 0..<4 {
            var capacity: UInt32 = 0
            let probe = processes(device, &capacity, nil)
            if probe == 0 && capacity == 0 { return [] }
            guard probe == 0 || probe == 7 else { try check(probe, "nvmlDeviceGetComputeRunningProcesses"); return [] }
            capacity += 4  // room for processes that start meanwhile
            var raw = [UInt8](repeating: 0, count: Int(capacity) * 24)
            var found = capacity
            let result = raw.withUnsafeMutableBytes { processes(device, &found, $0.baseAddress) }
            if result == 7 { continue }  // more appeared; ask again
            try check(result, "nvmlDeviceGetComputeRunningProcesses")
            return (0..<Int(found)).map { i in
                raw.withUnsafeBytes { bytes in
                    GPUProcess(pid: Int32(bitPattern: bytes.load(fromByteOffset: i * 24, as: UInt32.self)),
                               usedMemory: bytes.load(fromByteOffset: i * 24 + 8, as: UInt64.self))
                }
            }
        }
        throw NVMLError(code: 7, call: "nvmlDeviceGetComputeRunningProcesses")
    }
}
