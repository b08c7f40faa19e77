import Synchronization

/// Holds callers back until something is ready (the schema migrated), or
/// hands them the reason it never will be. Once open, passing costs a lock.
final class ReadinessGate: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Void, any Error>])
        case open
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    /// Returns once the gate is open; throws the failure if it failed.
    func pass() async throws {
        if state.withLock({ if case .open = $0 { true } else { false } }) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result: Result<Void, any Error>? = state.withLock { state in
                switch state {
                case .open: return .success(())
                case .failed(let error): return .failure(error)
                case .waiting(var waiting):
                    waiting.append(continuation)
                    state = .waiting(waiting)
                    return nil
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Lets everyone through, now and later.
    func open() { settle(.open) }

    /// Turns everyone away with `error`, now and later.
    func fail(_ error: any Error) { settle(.failed(error)) }

    private func settle(_ final: State) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .waiting(let waiting) = state else { return [] }
            state = final
            return waiting
        }
        for continuation in waiting {
            if case .failed(let error) = final { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }
}
