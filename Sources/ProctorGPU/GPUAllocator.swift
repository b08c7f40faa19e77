#if canImport(Glibc)
import Glibc
#endif

/// A GPU's standing on this node.
public struct GPUStatus: Sendable, Codable, Equatable {
    public var index: Int
    public var uuid: String
    public var busy: Bool
    /// Why the GPU takes no jobs, if it does not.
    public var unhealthy: String?
}

/// The node's GPUs, handed to jobs whole and exclusively. A GPU is checked
/// before each job (no leftover process, memory back near idle, no NVML
/// error) and after it (leftover processes killed, ECC growth noticed); one
/// in error is taken out of service and never handed out again.
public actor GPUAllocator {
    public nonisolated let nvml: NVML
    private var gpus: [Int: GPU] = [:]
    private var busy: Set<Int> = []
    private var unhealthy: [Int: String] = [:]

    /// The node's GPUs, or only those whose indices are in `only` (the ones a
    /// Slurm job was given: the others belong to other jobs).
    public init(nvml: NVML, only: Set<Int>? = nil) throws {
        self.nvml = nvml
        let (found, failures) = try nvml.inventory()
        for gpu in found where only?.contains(gpu.index) ?? true { gpus[gpu.index] = gpu }
        for (index, error) in failures where only?.contains(index) ?? true { unhealthy[index] = "\(error)" }
    }

    /// GPUs that may take jobs.
    public var healthyCount: Int { gpus.keys.filter { unhealthy[$0] == nil }.count }

    /// The healthy GPUs as found at start (static facts: name, memory, compute capability).
    public var healthy: [GPU] { gpus.keys.sorted().filter { unhealthy[$0] == nil }.compactMap { gpus[$0] } }

    /// Every GPU with its state, for the node's report and the metrics.
    public var statuses: [GPUStatus] {
        let indices = Set(gpus.keys).union(unhealthy.keys).sorted()
        return indices.map { GPUStatus(index: $0, uuid: gpus[$0]?.uuid ?? "?", busy: busy.contains($0), unhealthy: unhealthy[$0]) }
    }

    /// Live readings of the healthy GPUs (for `/metrics`).
    /// What a node tells the service of its GPUs with every lease request
    /// (among its labels): `gpus`, how many are healthy, and `gpuN` for each,
    /// its UUID then why it is out of service, or its use, memory and
    /// temperature now. The service's nodes page shows them.
    public func labels() -> [String: String] {
        let statuses = self.statuses
        let now = Dictionary(readings().map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        var labels = ["gpus": String(statuses.filter { $0.unhealthy == nil }.count)]
        for status in statuses {
            var text = status.uuid
            if let why = status.unhealthy {
                text += " unhealthy: \(why)"
            } else if let reading = now[status.index] {
                text += " healthy, \(reading.utilization)% busy, \(reading.memoryUsed >> 20) MiB used, \(reading.temperature) °C"
            }
            labels["gpu\(status.index)"] = text
        }
        return labels
    }

    public func readings() -> [GPU] {
        gpus.keys.sorted().filter { unhealthy[$0] == nil }.compactMap { try? nvml.gpu($0) }
    }

    /// Takes `count` idle, healthy GPUs, checking each first; `nil` when not enough are fit.
    public func take(_ count: Int) -> [GPU]? {
        guard count > 0 else { return [] }
        var taken: [GPU] = []
        for index in gpus.keys.sorted() where unhealthy[index] == nil && !busy.contains(index) && taken.count < count {
            do {
                let current = try nvml.gpu(index)
                let problems = GPUHealth.problems(current, error: nil, previousECC: gpus[index]?.uncorrectedECCErrors)
                if problems.isEmpty { taken.append(current) } else { unhealthy[index] = problems.joined(separator: "; ") }
            } catch let error as NVMLError {
                unhealthy[index] = "\(error)"
            } catch {
                unhealthy[index] = "\(error)"
            }
        }
        guard taken.count == count else { return nil }
        for gpu in taken { busy.insert(gpu.index) }
        return taken
    }

    /// Gives GPUs back after a job: kills compute processes the job left and
    /// reports GPUs that went bad during it (the job's failure is then the
    /// infrastructure's, not the user's).
    public func release(_ taken: [GPU]) -> (failed: [String], killed: [Int32]) {
        var failed: [String] = [], killed: [Int32] = []
        for gpu in taken {
            busy.remove(gpu.index)
            do {
                let after = try nvml.gpu(gpu.index)
                for process in after.processes {
                    kill(process.pid, SIGKILL)
                    killed.append(process.pid)
                }
                if after.uncorrectedECCErrors > gpu.uncorrectedECCErrors {
                    let why = "uncorrectable ECC errors grew from \(gpu.uncorrectedECCErrors) to \(after.uncorrectedECCErrors)"
                    unhealthy[gpu.index] = why
                    failed.append("GPU \(gpu.uuid): \(why)")
                }
            } catch {
                unhealthy[gpu.index] = "\(error)"
                failed.append("GPU \(gpu.uuid): \(error)")
            }
        }
        return (failed, killed)
    }

    /// Brings a retired GPU back (an admin repaired it, or its fault was
    /// passing): checked afresh like before a job, with its ECC count as it
    /// stands now as the new baseline. Returns why it still cannot take
    /// jobs, or `nil` once it can.
    public func restore(_ index: Int) -> String? {
        guard gpus[index] != nil || unhealthy[index] != nil else { return "there is no GPU \(index) on this node" }
        guard unhealthy[index] != nil else { return nil }
        do {
            let current = try nvml.gpu(index)
            let problems = GPUHealth.problems(current, error: nil, previousECC: current.uncorrectedECCErrors)
            guard problems.isEmpty else { return problems.joined(separator: "; ") }
            gpus[index] = current
            unhealthy[index] = nil
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The device nodes a job with these GPUs sees (only those present).
    public nonisolated static func devices(for taken: [GPU]) -> [String] {
        let candidates = taken.map { "/dev/nvidia\($0.minor)" } + ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
        return candidates.filter { path in
            var st = stat()
            return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
        }
    }
}
