// swift-tools-version:6.1
import PackageDescription

// Layers, dependencies pointing one way (see docs/architecture.md):
//   mpi -> MPIStore -> MPINormalize -> MPICore
//                      MPINormalize -> CICU (system ICU)
let package = Package(
    name: "mpi",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpi", targets: ["mpi"]),
        .library(name: "MPICore", targets: ["MPICore"]),
        .library(name: "MPINormalize", targets: ["MPINormalize"]),
        .library(name: "MPIStore", targets: ["MPIStore"]),
        .library(name: "MPIProtocol", targets: ["MPIProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CICU",
            pkgConfig: "icu-i18n",
            providers: [.apt(["libicu-dev"])]
        ),
        .target(name: "MPICore", dependencies: [.product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "MPINormalize", dependencies: ["MPICore", "CICU"]),
        .target(name: "MPIStore", dependencies: ["MPICore", "MPINormalize", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "MPISynthetic", dependencies: ["MPICore"]),
        .target(name: "MPIProtocol"),
        .executableTarget(
            name: "mpi",
            dependencies: [
                "MPICore", "MPINormalize", "MPIStore", "MPISynthetic", "MPIProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixture reading shared by the test targets.
        .target(name: "MPITestSupport", path: "Tests/MPITestSupport"),
        .testTarget(name: "MPICoreTests", dependencies: ["MPICore", "MPITestSupport"]),
        .testTarget(name: "MPINormalizeTests", dependencies: ["MPINormalize", "MPICore", "MPITestSupport"]),
        .testTarget(name: "MPIStoreTests", dependencies: ["MPIStore", "MPICore"]),
        .testTarget(name: "MPISyntheticTests", dependencies: ["MPISynthetic", "MPICore"]),
        .testTarget(name: "MPIProtocolTests", dependencies: ["MPIProtocol"]),
        .testTarget(name: "mpiTests", dependencies: [
            "mpi", "MPICore", "MPINormalize", "MPIStore", "MPISynthetic", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// Strict settings for every target we own, applied in one place.
for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    ]
}
