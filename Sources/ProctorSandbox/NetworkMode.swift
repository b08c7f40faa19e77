/// What network a run sees. Either way it has a network namespace of its own
/// and can reach nothing outside the sandbox.
///
/// With `none` the namespace is the slot's, made at its first run and kept by
/// the process running the sandbox for the next ones (making one costs more
/// than half a millisecond): nothing in it is up, a run cannot change it (no
/// capabilities, no AF_INET sockets), and what a run opens there (abstract
/// UNIX sockets) ends with its processes, so runs of a slot, which never
/// overlap, find it as new. `loopback` runs get a fresh namespace each, since
/// TCP keeps closed connections for a while.
public enum NetworkMode: String, Codable, Sendable, CaseIterable {
    /// No interface up, not even loopback.
    case none
    /// Only a loopback interface, private to the run.
    case loopback
}
