internal import Foundation
internal import GRDB
import Synchronization

/// One process's claim to send one subscriber's notifications (`IdentityBackend.claimDelivery`): of
/// several `mpi serve --replica` on one store, the one holding it sends, and the others wait to take
/// over. Held until released, or until the process ends: the claim is a lock the operating system
/// (a `flock`) or the database server (a session's advisory lock) drops when its holder dies.
public final class DeliveryClaim: Sendable {
    private let confirm: @Sendable () -> Bool
    private let releasing: RunOnce

    /// `confirm` says whether the lock is still held (a connection to the server can be lost);
    /// `release` gives it up.
    package init(confirm: @escaping @Sendable () -> Bool, release: @escaping @Sendable () -> Void) {
        self.confirm = confirm
        releasing = RunOnce(release)
    }

    deinit { releasing.run() }

    /// Whether this process still holds the claim. False once released, or when the lock went with a
    /// lost connection: another process may be sending now.
    public var isHeld: Bool { !releasing.hasRun && confirm() }

    /// Gives the claim up, so another process can take it at once.
    public func release() { releasing.run() }
}

/// An action run at most once, by whichever caller comes first: a lock's release, a listener's close.
package final class RunOnce: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>

    package init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }

    package var hasRun: Bool { action.withLock { $0 == nil } }

    package func run() {
        let action = action.withLock { action in
            defer { action = nil }
            return action
        }
        action?()
    }
}

extension IdentityStore {
    /// The file whose `flock` is the claim to send `subscriber`'s notifications: beside the store,
    /// named after the subscriber (characters other than letters, digits, `-` and `_` as `_`).
    static func deliveryLockPath(besides path: String, subscriber: String) -> String {
        let safe = String(subscriber.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_") ? Character(scalar) : "_"
        })
        return path + "-delivery-\(safe)-lock"
    }

    /// The delivery lock files beside the store at `path`, for `files(at:)`.
    static func deliveryLockFiles(besides path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let prefix = url.lastPathComponent + "-delivery-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix("-lock") }
            .map { url.deletingLastPathComponent().appendingPathComponent($0).path }
    }

    /// An exclusive `flock` on the subscriber's lock file, taken without waiting; nil when another
    /// process (or another claim in this one) holds it.
    public func claimDelivery(subscriber: String) throws -> DeliveryClaim? {
        let descriptor = open(Self.deliveryLockPath(besides: pool.path, subscriber: subscriber), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError.cannotWrite("cannot open the delivery lock file (errno \(errno))") }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            guard failure == EINTR else {
                close(descriptor)
                if failure == EWOULDBLOCK { return nil }
                throw StoreError.cannotWrite("cannot lock the delivery lock file (errno \(failure))")
            }
        }
        return DeliveryClaim(confirm: { true }, release: { close(descriptor) })   // closing releases the lock
    }

    /// SQLite has no notifications between processes: a follower polls.
    public func changeWakeUps() throws -> ChangeWakeUps? { nil }
}
