/// Wakes idle worker slots (and long-polling remote workers) when a job is
/// submitted, so nobody polls the store constantly or sleeps through new work.
public actor Doorbell {
    public init() {}

    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0

    /// Wakes every waiting slot.
    public func ring() {
        let all = waiters
        waiters = [:]
        for continuation in all.values { continuation.resume() }
    }

    /// Returns when rung, after `timeout`, or when the task is cancelled.
    public nonisolated func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        let id = nextID
        nextID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiters[id] = continuation }
            }
        } onCancel: {
            Task { await self.resume(id) }
        }
    }

    private func resume(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
