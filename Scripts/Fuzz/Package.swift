// swift-tools-version:6.1
import PackageDescription

// The decoder fuzzer lives in its own package so that `swift build` and `swift test` at the root
// never build it. Run from the repository root (see docs/protocol.md, "Fuzzing"):
//   swift run -c release --package-path Scripts/Fuzz mpi-fuzz --inputs 10000000
let package = Package(
    name: "mpi-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mpi", path: "../../"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "mpi-fuzz",
            dependencies: [
                .product(name: "MPICore", package: "mpi"),
                .product(name: "MPINormalize", package: "mpi"),
                .product(name: "MPIStore", package: "mpi"),
                .product(name: "MPIProtocol", package: "mpi"),
                .product(name: "MPIService", package: "mpi"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
