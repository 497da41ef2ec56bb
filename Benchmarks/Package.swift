// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that `swift build` and `swift test` at the root never
// resolve or build the benchmark dependencies. Run from the repository root:
//   swift package --package-path Benchmarks benchmark
let package = Package(
    name: "mpi-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mpi", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        benchmark("SimilarityBenchmarks", using: ["MPICore"]),
        benchmark("NormalisationBenchmarks", using: ["MPICore", "MPINormalize"]),
        benchmark("LinkageBenchmarks", using: ["MPICore"]),
        benchmark("ProtocolBenchmarks", using: ["MPIProtocol"]),
        benchmark("StoreBenchmarks", using: ["MPICore", "MPIStore"]),
    ]
)

/// One benchmark executable over the named products of the mpi package.
func benchmark(_ name: String, using products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark")] + products.map { .product(name: $0, package: "mpi") },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
