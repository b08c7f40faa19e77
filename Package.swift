// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Proctor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "proctor", targets: ["proctor"]),
        .executable(name: "proctor-service", targets: ["proctor-service"]),
        .executable(name: "proctor-worker", targets: ["proctor-worker"]),
        .library(name: "ProctorSandbox", targets: ["ProctorSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libseccomp, found through pkg-config (Debian: libseccomp-dev).
        .systemLibrary(
            name: "CSeccomp",
            pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // The sandbox's own pid 1 and its host-side parent: everything between
        // clone() and execve() lives here, in small single-threaded C. Linked
        // statically: it starts in 0.5 ms instead of 2.5 ms with the Swift runtime.
        // The seccomp program comes compiled from ProctorSandbox (libseccomp).
        .executableTarget(
            name: "proctor-init",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-O2"])],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),
        .target(name: "ProctorSandbox", dependencies: ["CSeccomp"]),
        // How every command starts and reports bad usage (exit 2), shared by the binaries.
        .target(name: "ProctorCommandLine", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // `proctor run`, apart from the service so that the small `proctor` binary runs it alone.
        .target(
            name: "ProctorRunCommand",
            dependencies: ["ProctorSandbox", "ProctorCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "ProctorCore"),
        // The worker protocol's own snake_case types, shared by the service and its workers.
        .target(name: "ProctorWire", dependencies: ["ProctorCore"]),
        // NVML through dlopen: inventory, health, the VRAM warden.
        .target(name: "ProctorGPU", dependencies: ["ProctorSandbox"]),
        .target(
            name: "ProctorStore",
            dependencies: [
                "ProctorCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ProctorWorker",
            dependencies: [
                "ProctorCore", "ProctorSandbox", "ProctorWire", "ProctorClient", "ProctorGPU",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ProctorServer",
            dependencies: [
                "ProctorCore", "ProctorStore", "ProctorWorker", "ProctorWire", "ProctorGPU",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        .target(
            name: "ProctorClient",
            dependencies: [
                "ProctorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The node agent's command, shared by `proctor worker` and the slim `proctor-worker`.
        .target(
            name: "ProctorNode",
            dependencies: [
                "ProctorWorker", "ProctorClient", "ProctorGPU", "ProctorSandbox", "ProctorCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "proctor-worker", dependencies: ["ProctorNode", "ProctorCommandLine"]),
        // `proctor`: small; runs `proctor run` itself and hands every other command to `proctor-service`.
        // Linked statically: no dynamic loader, no shared libraries to map and relocate, so a
        // `proctor run` starts in 0.7 ms instead of 1.9 (bench/sandbox.sh); it looks up no users.
        .executableTarget(
            name: "proctor",
            dependencies: ["ProctorRunCommand", "ProctorCommandLine", "ProctorSandbox", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-l_FoundationCShims"])]
        ),
        // Every command: the service, the worker, the admin and client commands (and `run` again, for its help).
        .executableTarget(
            name: "proctor-service",
            dependencies: [
                "ProctorNode", "ProctorRunCommand", "ProctorCommandLine",
                "ProctorSandbox", "ProctorServer", "ProctorClient", "ProctorStore", "ProctorWorker", "ProctorGPU",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Benchmarks: `bash bench/sandbox.sh`, `bash bench/service.sh`, `bash bench/scale.sh`, `bash bench/queue.sh`.
        .executableTarget(
            name: "sandbox-bench",
            dependencies: ["ProctorSandbox"],
            path: "bench/sandbox-bench"
        ),
        .executableTarget(
            name: "service-bench",
            dependencies: [
                "ProctorServer", "ProctorClient", "ProctorStore", "ProctorSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/service-bench"
        ),
        .executableTarget(
            name: "scale-bench",
            dependencies: [
                "ProctorServer", "ProctorClient", "ProctorStore", "ProctorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/scale-bench"
        ),
        .executableTarget(
            name: "queue-bench",
            dependencies: [
                "ProctorServer", "ProctorClient", "ProctorStore", "ProctorCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/queue-bench"
        ),
        .testTarget(
            name: "ProctorSandboxTests",
            // (`proctor` itself is built with every product: a test target that named it would link its
            // objects, and its static linking, into the test binary.)
            dependencies: ["ProctorSandbox", "ProctorRunCommand", "proctor-init"]
        ),
        .testTarget(
            name: "ProctorCoreTests",
            dependencies: ["ProctorCore"]
        ),
        .testTarget(
            name: "ProctorGPUTests",
            dependencies: ["ProctorGPU", "ProctorSandbox", "ProctorWorker", "ProctorServer", "ProctorStore", "ProctorCore", "proctor-init",
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ProctorWorkerTests",
            dependencies: ["ProctorWorker", "ProctorCore"]
        ),
        .testTarget(
            name: "ProctorStoreTests",
            dependencies: ["ProctorStore", "ProctorCore", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "ProctorServerTests",
            dependencies: [
                "ProctorServer", "ProctorClient", "ProctorStore", "ProctorWorker", "ProctorWire", "proctor-init", "proctor-worker",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
