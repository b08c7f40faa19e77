import ArgumentParser
import Foundation
import ProctorSandbox
import ProctorWorker

/// The options of `proctor serve` and `proctor worker` that say how a node
/// builds and keeps competitions' environments.
public struct EnvironmentOptions: ParsableArguments {
    public init() {}

    @Option(help: "A directory of wheels to build environments from instead of a package index, for offline nodes ('proctor environment fetch' fills one).")
    public var wheelhouse: String?
    @Option(help: "Size cap of the built environments, e.g. 20G; least recently used ones go first, never one in use (default: 20G).")
    public var environmentCache: String?

    /// The settings these options give; `wheelhouse` and `cache` as chosen
    /// between the command line and a configuration file.
    public func settings(wheelhouse: String?, cache: String?) throws -> EnvironmentSettings {
        var settings = EnvironmentSettings()
        if let wheelhouse {
            let path = absolutePath(wheelhouse)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--wheelhouse '\(wheelhouse)' is not a directory; fill one with 'proctor environment fetch'")
            }
            settings.wheelhouse = path
        }
        if let cache {
            settings.cacheBytes = try Quantity.bytes(cache, option: "--environment-cache")
        }
        return settings
    }
}
