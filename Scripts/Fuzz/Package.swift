// swift-tools-version:6.1
import PackageDescription

// The decoder fuzzer lives in its own package so that `swift build` and `swift test` at the root
// never build it. Run from the repository root (see docs/protocol.md, "Fuzzing"):
//   swift run -c release --package-path Scripts/Fuzz mpi-fuzz --inputs 10000000
//   swift build -c release --package-path Scripts/Fuzz --scratch-path .build-libfuzz --product mpi-libfuzz \
//       -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "mpi-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mpi", path: "../../"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The live index, sessions and property checks both fuzzers drive.
        .target(
            name: "FuzzHarness",
            dependencies: [
                .product(name: "MPICore", package: "mpi"),
                .product(name: "MPINormalize", package: "mpi"),
                .product(name: "MPIStore", package: "mpi"),
                .product(name: "MPIProtocol", package: "mpi"),
                .product(name: "MPIService", package: "mpi"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        // Property-based: mutations of valid messages, deterministic for a seed.
        .executableTarget(name: "mpi-fuzz", dependencies: ["FuzzHarness", .product(name: "MPICore", package: "mpi")], swiftSettings: settings),
        // Coverage-guided: libFuzzer. Built only with -sanitize=fuzzer -parse-as-library (docs/protocol.md).
        .executableTarget(name: "mpi-libfuzz", dependencies: ["FuzzHarness"], swiftSettings: settings),
    ],
    swiftLanguageModes: [.v6]
)
