// swift-tools-version:6.1
import PackageDescription

// Layers, dependencies pointing one way (see docs/architecture.md):
//   mpi -> MPIService -> MPIStore -> MPICore
//   mpi -> MPIStorePostgres -> MPIStore (the same store interface on a PostgreSQL server)
//          MPIService -> MPINormalize -> MPICore; MPINormalize -> CICU (system ICU)
//          MPIService -> MPIProtocol (HL7 v2, MLLP and JSON-lines framing; NIOCore only)
//   mpi -> MPILinkage -> MPIStore, MPINormalize, MPIProtocol (a link run, batch and incremental, as a library)
let package = Package(
    name: "mpi",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpi", targets: ["mpi"]),
        .library(name: "MPICore", targets: ["MPICore"]),
        .library(name: "MPINormalize", targets: ["MPINormalize"]),
        .library(name: "MPIStore", targets: ["MPIStore"]),
        .library(name: "MPIStorePostgres", targets: ["MPIStorePostgres"]),
        .library(name: "MPILinkage", targets: ["MPILinkage"]),
        .library(name: "MPIProtocol", targets: ["MPIProtocol"]),
        .library(name: "MPIService", targets: ["MPIService"]),
        .library(name: "MPIReport", targets: ["MPIReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CICU",
            pkgConfig: "icu-i18n",
            providers: [.apt(["libicu-dev"])]
        ),
        .target(name: "MPICore", dependencies: [.product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "MPINormalize", dependencies: ["MPICore", "CICU"]),
        .target(name: "MPIStore", dependencies: ["MPICore", .product(name: "GRDB", package: "GRDB.swift")]),
        // The identity store on a PostgreSQL server (docs/store.md): the same IdentityBackend, for
        // several service replicas on one database. PostgresNIO speaks the wire protocol (COPY,
        // LISTEN/NOTIFY, TLS through NIOSSL); nothing else of Vapor comes with it.
        .target(name: "MPIStorePostgres", dependencies: [
            "MPICore", "MPIStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MPISynthetic", dependencies: ["MPICore"]),
        // A link run from extracts or a store to persons: batch and incremental, as a library.
        // CompressNIO (zlib) writes pairs.csv.gz when a job asks for compressed pairs, and reads it back.
        .target(name: "MPILinkage", dependencies: [
            "MPICore", "MPINormalize", "MPIStore", "MPIProtocol",
            .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "MPIProtocol", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // SVG charts and self-contained HTML pages (explanations, the linkage report, the review page).
        .target(name: "MPIReport", dependencies: ["MPICore", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "MPIService", dependencies: [
            "MPICore", "MPINormalize", "MPIStore", "MPIProtocol", "MPIReport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            // HTTP routing, middleware, bearer tokens and sessions: the FHIR API and the review page (docs/architecture.md).
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(
            name: "mpi",
            dependencies: [
                "MPICore", "MPINormalize", "MPIStore", "MPIStorePostgres", "MPILinkage", "MPISynthetic", "MPIProtocol", "MPIService",
                "MPIReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // Fixture reading shared by the test targets.
        .target(name: "MPITestSupport", dependencies: ["MPICore", "MPISynthetic"], path: "Tests/MPITestSupport"),
        .testTarget(name: "MPICoreTests", dependencies: ["MPICore", "MPITestSupport"]),
        .testTarget(name: "MPINormalizeTests", dependencies: ["MPINormalize", "MPICore", "MPITestSupport"]),
        // GRDB directly only to hold a write lock as another process would (ConcurrentUseTests).
        // Stores of either backend for the tests, and the throwaway PostgreSQL server they run against.
        .target(name: "MPIStoreTestSupport", dependencies: ["MPIStore", "MPIStorePostgres", "MPICore"], path: "Tests/MPIStoreTestSupport"),
        .testTarget(name: "MPIStoreTests", dependencies: [
            "MPIStore", "MPIStorePostgres", "MPIStoreTestSupport", "MPICore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "MPISyntheticTests", dependencies: ["MPISynthetic", "MPICore"]),
        .testTarget(name: "MPIProtocolTests", dependencies: [
            "MPIProtocol", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]),
        // `mpi import` and `mpi link --db` through the library, for the linkage and service tests.
        .target(name: "MPILinkageTestSupport", dependencies: ["MPILinkage", "MPIStore", "MPICore", "MPINormalize"],
                path: "Tests/MPILinkageTestSupport"),
        // GRDB directly only to damage a store as another program would (StoreSurgery).
        .testTarget(name: "MPILinkageTests", dependencies: [
            "MPILinkage", "MPILinkageTestSupport", "MPIStore", "MPICore", "MPITestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The service's tests build their fixtures through the library, as `mpi import` and `mpi link` do.
        .testTarget(name: "MPIServiceTests", dependencies: [
            "MPIService", "MPILinkage", "MPIStore", "MPICore", "MPINormalize", "MPIProtocol", "MPITestSupport", "MPILinkageTestSupport",
            "MPIStoreTestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "mpiTests", dependencies: [
            "mpi", "MPICore", "MPINormalize", "MPIStore", "MPILinkage", "MPISynthetic", "MPITestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
