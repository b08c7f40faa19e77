import NIOPosix

/// File work that blocks (fsync, whole-file reads and writes) runs on NIO's
/// thread pool, never on the cooperative pool that serves every request.
enum BlockingIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
