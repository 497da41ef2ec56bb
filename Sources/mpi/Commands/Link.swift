import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPIStore

extension MPI {
    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Link the sources of a job into persons: one command from raw extracts to clusters.",
            discussion: """
            Reads and normalises every source of JOB, blocks, trains the model (unless --model is given), \
            scores the candidate pairs on all cores and clusters them safely. Writes to DIR: clusters.csv, \
            pairs.csv, review.csv, rejects.csv, model.json and summary.json (see docs/linkage-job.md).
            """
        )

        @Argument(help: "The linkage job file (JSON).")
        var job: String

        @Option(name: .long, help: "Folder for the outputs; created if missing.")
        var out: String

        @Option(help: "Use this trained model instead of training one.")
        var model: String?

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        @Option(help: "Link the records of this identity store (after `mpi import`) instead of reading the extracts, and keep its enterprise ids stable.")
        var db: String?

        @Option(help: "With --db: who is acting, for the audit trail.")
        var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

        @Flag(help: "With --db: re-link every record and re-train, instead of linking only new and changed records with the store's model.")
        var relink = false

        func run() async throws {
            let jobURL = URL(fileURLWithPath: job)
            try await LinkCommand(job: try JobFile.load(job), jobName: job, jobDirectory: jobURL.deletingLastPathComponent(), out: out,
                                  modelPath: model, quiet: quiet, store: try db.map { try StoreOptions.openExisting($0) }, actor: actor,
                                  relink: relink).run()
        }
    }

    struct Relink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-train and re-link every record of an identity store, keeping enterprise ids as stable as the data allows.",
            discussion: """
            The same as `mpi link JOB --db DB --out DIR --relink`. Without JOB, the store's last link run gives \
            the blocking rules, maximum block size, thresholds and comparisons; training and outputs take their \
            defaults. Writes the outputs of `mpi link` to DIR and reports how many ids were kept, minted, \
            merged and split.
            """
        )

        @Argument(help: "The linkage job file (JSON); the store's last settings when omitted.")
        var job: String?

        @Option(help: "The identity store: a SQLite file or a postgres:// URL (default: $MPI_DATABASE_URL, else mpi.sqlite).")
        var db: String = StoreOptions.defaultLocation

        @Option(name: .long, help: "Folder for the outputs; created if missing.")
        var out: String

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        @Option(help: "Who is acting, for the audit trail.")
        var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

        func run() async throws {
            let store = try StoreOptions.openExisting(db)
            let linkageJob: LinkageJob, jobDirectory: URL
            if let job {
                linkageJob = try JobFile.load(job)
                jobDirectory = URL(fileURLWithPath: job).deletingLastPathComponent()
            } else {
                guard let settings = try store.linkSettings(), let model = try store.linkageModel() else {
                    throw CLIError("\(StoreOptions.shown(db)) has not been linked yet: give the job, as in mpi relink JOB --db \(StoreOptions.shown(db)) --out \(out)")
                }
                linkageJob = LinkageJob(storeSettings: settings, model: model)
                jobDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            }
            try await LinkCommand(job: linkageJob, jobName: job ?? "(the settings of the store's last run)", jobDirectory: jobDirectory,
                                  out: out, modelPath: nil, quiet: quiet, store: store, actor: actor, relink: true).run()
        }
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the model of a job and write it to a file, for `mpi link --model`."
        )

        @Argument(help: "The linkage job file (JSON).")
        var job: String

        @Option(name: .long, help: "Where to write the model (JSON).")
        var out: String

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        func run() async throws {
            let progress = Progress(quiet: quiet)
            let run = LinkRun(job: try JobFile.load(job), jobDirectory: URL(fileURLWithPath: job).deletingLastPathComponent(),
                              builder: try ReferenceData.matchRecordBuilder(), today: .today, progress: progress.linkProgress)
            let outcome = try await run.run(model: nil)
            try ModelFile.write(outcome.model, to: out)
            progress.line("wrote \(out)")
        }
    }
}

/// What `mpi link` and `mpi relink` do once their arguments are read: run the engine, write the outputs.
private struct LinkCommand {
    let job: LinkageJob
    let jobName: String
    let jobDirectory: URL
    let out: String
    let modelPath: String?
    let quiet: Bool
    let store: (any IdentityBackend)?
    let actor: String
    let relink: Bool

    func run() async throws {
        let given = try modelPath.map(ModelFile.read)
        if let given, given.comparisons.map(\.kind) != job.comparisons {
            throw CLIError("the model's comparisons (\(given.comparisons.map(\.kind.name).joined(separator: ", "))) are not the job's")
        }
        let progress = Progress(quiet: quiet)
        let run = LinkRun(job: job, jobDirectory: jobDirectory, builder: try ReferenceData.matchRecordBuilder(), today: .today,
                          progress: progress.linkProgress)
        let outputs = LinkOutputs(directory: out, job: job, store: store)
        let outcome: LinkOutcome
        if let store {
            let reason = relink ? "mpi link \(jobName) --relink" : "mpi link \(jobName)"
            guard let linked = try await StoreLinkRun(store: store, run: run, actor: actor, reason: reason)
                .link(model: given, relink: relink).outcome else {
                // Nothing new or changed: the current persons are the output.
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try outputs.writeClusters()
                return
            }
            outcome = linked
        } else {
            outcome = try await run.run(model: given, alongsideClustering: { try await outputs.writePairs($0) })
        }
        var clock = Stopwatch()
        try await outputs.write(outcome, pairsWritten: store == nil)
        try outputs.writeSummary(outcome, timings: outcome.timings + [("write", clock.lap())])
        progress.line("wrote \(out)/clusters.csv, pairs.csv, review.csv, rejects.csv, model.json, summary.json")
        LeftForExit.keep(outcome)
    }
}
