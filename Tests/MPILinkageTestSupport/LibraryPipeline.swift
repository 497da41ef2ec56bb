import Foundation
import MPICore
public import MPILinkage
import MPINormalize
public import MPIStore

/// `mpi import` and `mpi link --db` as the library does them, for tests that need a linked store
/// without going through the commands.
public enum LibraryPipeline {
    /// Every source of a job into the store, one identifier domain per transaction.
    public static func importJob(_ path: String, into store: any IdentityBackend) async throws {
        let job = try JobFile.load(path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        for domain in DomainReading.domains(of: job) {
            let read = try await DomainReading(domain: domain, job: job, jobDirectory: directory, today: .today).read()
            _ = try store.importSource(code: domain, records: read.records, fullExtract: false, actor: "test")
        }
    }

    /// A link run over the store: incremental once it has persons, unless `relink`.
    @discardableResult
    public static func link(_ path: String, store: any IdentityBackend, relink: Bool = false,
                            progress: LinkProgress = .silent) async throws -> StoreLinkRun.Result {
        let run = LinkRun(job: try JobFile.load(path), jobDirectory: URL(fileURLWithPath: path).deletingLastPathComponent(),
                          builder: try ReferenceData.matchRecordBuilder(), today: .today, workers: 2, progress: progress)
        return try await StoreLinkRun(store: store, run: run, actor: "test", reason: "test link").link(relink: relink)
    }
}
