#if canImport(Glibc)
import Glibc
#endif

/// NVIDIA's management library, loaded with `dlopen` at run time: Proctor has
/// no link-time dependency on it, and a node without a GPU (or without the
/// driver) simply has no `NVML` and runs CPU jobs as before.
///
/// NVML is thread-safe, so one loaded library serves every task; the function
/// pointers it holds never change after loading.
public final class NVML: @unchecked Sendable {
    typealias Count = @convention(c) (UnsafeMutablePointer<UInt32>) -> Int32
    typealias Handle = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    typealias Text = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>, UInt32) -> Int32
    typealias UInt32Out = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>) -> Int32
    typealias Raw = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer) -> Int32
    typealias Temperature = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<UInt32>) -> Int32
    typealias Capability = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
    typealias ECC = @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<UInt64>) -> Int32
    typealias Processes = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer?) -> Int32
    typealias Reasons = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt64>) -> Int32

    private let library: UnsafeMutableRawPointer
    let count: Count
    let handle: Handle
    let name: Text
    let uuid: Text
    let minor: UInt32Out
    let memory: Raw
    let utilization: Raw
    let temperature: Temperature
    let capability: Capability
    let ecc: ECC
    let processes: Processes
    /// Why the clocks are held down; optional (drivers before r460 lack the newer name).
    let clockReasons: Reasons?

    /// The library the driver installs.
    public static let defaultPath = "libnvidia-ml.so.1"

    /// Loads and initialises NVML from `path`; `nil` when there is no usable
    /// NVML (no driver, no GPU, a library missing a function Proctor needs).
    public init?(path: String = NVML.defaultPath) {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(library, name).map { unsafeBitCast($0, to: type) }
        }
        typealias Initialise = @convention(c) () -> Int32
        guard let initialise = symbol("nvmlInit_v2", as: Initialise.self),
            let count = symbol("nvmlDeviceGetCount_v2", as: Count.self),
            let handle = symbol("nvmlDeviceGetHandleByIndex_v2", as: Handle.self),
            let name = symbol("nvmlDeviceGetName", as: Text.self),
            let uuid = symbol("nvmlDeviceGetUUID", as: Text.self),
            let minor = symbol("nvmlDeviceGetMinorNumber", as: UInt32Out.self),
            let memory = symbol("nvmlDeviceGetMemoryInfo", as: Raw.self),
            let utilization = symbol("nvmlDeviceGetUtilizationRates", as: Raw.self),
            let temperature = symbol("nvmlDeviceGetTemperature", as: Temperature.self),
            let capability = symbol("nvmlDeviceGetCudaComputeCapability", as: Capability.self),
            let ecc = symbol("nvmlDeviceGetTotalEccErrors", as: ECC.self),
            let processes = symbol("nvmlDeviceGetComputeRunningProcesses_v3", as: Processes.self),
            initialise() == 0
        else {
            dlclose(library)
            return nil
        }
        self.library = library
        self.count = count
        self.handle = handle
        self.name = name
        self.uuid = uuid
        self.minor = minor
        self.memory = memory
        self.utilization = utilization
        self.temperature = temperature
        self.capability = capability
        self.ecc = ecc
        self.processes = processes
        clockReasons = symbol("nvmlDeviceGetCurrentClocksEventReasons", as: Reasons.self)
            ?? symbol("nvmlDeviceGetCurrentClocksThrottleReasons", as: Reasons.self)
    }

    deinit {
        typealias Shutdown = @convention(c) () -> Int32
        if let shutdown = dlsym(library, "nvmlShutdown") { _ = unsafeBitCast(shutdown, to: Shutdown.self)() }
        dlclose(library)
    }
}

/// An NVML call that failed, with NVML's return code.
public struct NVMLError: Error, Equatable, CustomStringConvertible {
    public var code: Int32
    public var call: String

    /// NVML_ERROR_GPU_IS_LOST: the GPU fell off the bus.
    public static let gpuIsLost: Int32 = 15

    public var description: String {
        code == Self.gpuIsLost ? "\(call): the GPU has fallen off the bus" : "\(call) failed with NVML error \(code)"
    }
}

@inline(__always)
func check(_ code: Int32, _ call: String) throws {
    guard code == 0 else { throw NVMLError(code: code, call: call) }
}
