import Foundation
public import MPICore
public import MPIStore
import MPIStorePostgres

/// The store backends the store's and the service's tests run over: the same tests, each once per
/// backend (`@Test(arguments: StoreBackend.allCases)`).
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// A new, empty store of this backend: a SQLite file in the temporary directory, or a database of
    /// its own on the throwaway PostgreSQL server.
    public func temporaryStore(durableCommits: Bool = false) throws -> TemporaryStore {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
            return TemporaryStore(store: try IdentityStore(path: path, durableCommits: durableCommits), location: path) { IdentityStore.remove(at: path) }
        case .postgres:
            let server = try ThrowawayPostgres.shared.get()
            let url = try server.newDatabase()
            let store = try PostgresIdentityStore(location: try PostgresLocation(url: url), create: true)
            return TemporaryStore(store: store, location: url) {
                store.close()
                server.dropDatabase(url)
            }
        }
    }
}

/// A store made for one test; `remove()` deletes it.
public final class TemporaryStore: Sendable {
    public let store: any IdentityBackend
    /// The SQLite path or the PostgreSQL URL, as `--db` takes it.
    public let location: String
    private let removal: @Sendable () -> Void

    init(store: any IdentityBackend, location: String, removal: @escaping @Sendable () -> Void) {
        self.store = store
        self.location = location
        self.removal = removal
    }

    public func remove() { removal() }

    /// A second handle on the same store, as another process would open it.
    public func reopen() throws -> any IdentityBackend {
        if PostgresLocation.isURL(location) { return try PostgresIdentityStore(location: try PostgresLocation(url: location)) }
        return try IdentityStore(path: location)
    }
}

extension IdentityBackend {
    /// `applyPersons` with an empty model and settings, for tests about persons rather than models.
    public func applyPersons(_ groups: [[RecordKey]], reason: String, actor: String, scope: Set<RecordKey>? = nil,
                             scopePersonsWhenRead: Set<EnterpriseID> = [],
                             linkKeys: [(RecordKey, [UInt8])] = [], review: ReviewUpdate? = nil) throws -> LinkApplySummary {
        try applyPersons(groups, model: LinkageModel(comparisons: [], lambda: 0.5),
                         settings: LinkSettings(rules: [], maximumBlockSize: 0, thresholds: .defaults),
                         reason: reason, actor: actor, scope: scope, scopePersonsWhenRead: scopePersonsWhenRead,
                         linkKeys: linkKeys, review: review)
    }
}
