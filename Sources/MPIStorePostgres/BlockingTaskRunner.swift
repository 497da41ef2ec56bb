internal import Foundation

/// Runs async work to the end from synchronous code, on the calling thread.
///
/// The store's interface is synchronous, and postgres-nio's COPY is async only. Waiting on a
/// semaphore for an ordinary `Task` would block the caller while the task needs a thread of Swift's
/// cooperative pool, and on a small machine the caller may hold the last one. Here the task prefers
/// this executor, so each of its jobs comes back to the waiting thread, which runs them itself.
final class BlockingTaskRunner: TaskExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs on this thread until the task has finished.
    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty && finished { condition.unlock(); return }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    static func run<Value: Sendable>(_ work: @escaping @Sendable () async throws -> Value) throws -> Value {
        let runner = BlockingTaskRunner()
        let outcome = OutcomeBox<Value>()
        Task(executorPreference: runner) {
            do { outcome.result = .success(try await work()) } catch { outcome.result = .failure(error) }
            runner.finish()
        }
        runner.drain()
        return try outcome.result!.get()
    }
}

/// The task's result, written by the task before it signals the end and read after: the condition's
/// lock orders the two.
private final class OutcomeBox<Value>: @unchecked Sendable {
    var result: Result<Value, any Error>?
}
