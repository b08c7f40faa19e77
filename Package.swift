// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Proctor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "proctor", targets: ["proctor"]),
        .library(name: "ProctorSandbox", targets: ["ProctorSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libseccomp, found through pkg-config (Debian: libseccomp-dev).
        .systemLibrary(
            name: "CSeccomp",
            pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // The sandbox's own pid 1 and its host-side parent: everything between
        // clone() and execve() lives here, in small single-threaded C.
        .executableTarget(
            name: "proctor-init",
            dependencies: ["CSeccomp"],
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-O2"])],
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),
        .target(name: "ProctorSandbox"),
        .executableTarget(
            name: "proctor",
            dependencies: [
                "ProctorSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks: `bash bench/sandbox.sh`.
        .executableTarget(
            name: "sandbox-bench",
            dependencies: ["ProctorSandbox"],
            path: "bench/sandbox-bench"
        ),
        .testTarget(
            name: "ProctorSandboxTests",
            dependencies: ["ProctorSandbox", "proctor-init", "proctor"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
