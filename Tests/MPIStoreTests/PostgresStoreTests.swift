import Foundation
import MPICore
import MPIStore
import MPIStorePostgres
import MPIStoreTestSupport
import Testing

/// What only the PostgreSQL backend has: its URL, and a schema version checked at every start.
@Suite struct PostgresStoreTests {
    @Test func aURLKeepsItsPasswordOutOfEverythingItPrints() throws {
        let location = try PostgresLocation(url: "postgres://mpi_app:s3cret%21@db.example.nhs.uk:6432/mpi?sslmode=require&pool=4")
        #expect(location.user == "mpi_app" && location.host == "db.example.nhs.uk" && location.port == 6432 && location.database == "mpi")
        #expect(location.tls == .require && location.poolSize == 4)
        #expect(!location.description.contains("s3cret") && !"\(location)".contains("s3cret"))
        #expect(throws: PostgresLocation.LocationError.self) { try PostgresLocation(url: "postgres://host/db?sslmode=sometimes") }
        #expect(throws: PostgresLocation.LocationError.self) { try PostgresLocation(url: "postgres://host") }
    }

    /// A store written by a newer program is refused; an older one is refused until `mpi migrate`; an
    /// empty database is "no store here" unless the command creates one.
    @Test func theSchemaVersionIsCheckedAtEveryOpen() throws {
        let server = try ThrowawayPostgres.shared.get()
        let url = try server.newDatabase()
        defer { server.dropDatabase(url) }
        let location = try PostgresLocation(url: url)
        #expect { try PostgresIdentityStore(location: location) } throws: { error in
            guard case StoreError.noStore = error else { return false }
            return true
        }
        try PostgresIdentityStore(location: location, create: true).close()
        #expect(try PostgresIdentityStore.migrate(location).isEmpty)

        // An older store: the last two migrations undone.
        try server.psql(url, """
            DROP TRIGGER outbox_notifies ON outbox; DROP FUNCTION mpi_notify_identity_changes(); DROP INDEX record_waiting;
            DELETE FROM mpi_schema WHERE name IN ('v2 notify replicas of identity changes', 'v3 records waiting to be linked, indexed')
            """)
        #expect { try PostgresIdentityStore(location: location) } throws: { error in
            guard case StoreError.schemaNeedsMigration = error else { return false }
            return true
        }
        #expect(try PostgresIdentityStore.migrate(location) == ["v2 notify replicas of identity changes", "v3 records waiting to be linked, indexed"])
        try PostgresIdentityStore(location: location).close()

        // A newer one.
        try server.psql(url, "INSERT INTO mpi_schema (name, applied_at) VALUES ('v99 from the future', '2030-01-01T00:00:00Z')")
        #expect { try PostgresIdentityStore(location: location) } throws: { error in
            guard case StoreError.schemaTooNew = error else { return false }
            return true
        }
        #expect(throws: StoreError.self) { try PostgresIdentityStore.migrate(location) }
    }
}

/// `mpi copy`: a store moved to the other backend and back holds the same rows, answers the same,
/// and goes on minting ids and numbering entries after the copied ones.
@Suite struct StoreCopyTests {
    @Test(arguments: [(StoreBackend.sqlite, StoreBackend.postgres), (.postgres, .sqlite)])
    func aCopiedStoreHoldsAndAnswersTheSame(_ from: StoreBackend, _ to: StoreBackend) throws {
        let original = try from.temporaryStore(), copied = try to.temporaryStore()
        defer { original.remove(); copied.remove() }
        let source = try #require(original.store as? any StoreTableCopying)
        let destination = try #require(copied.store as? any StoreTableCopying)
        func record(_ id: String, _ family: String) -> StoredRecord {
            let key = RecordKey(source: "A", recordId: id)
            return StoredRecord(key: key, raw: ["ID": id, "NAME": family, "NOTE": "tab\there, back\\slash, new\nline"],
                                normalized: NormalizedRecord(key: key, name: PersonName(given: "JOHN", family: family)))
        }
        _ = try source.importSource(code: "A", records: [record("1", "SMITH"), record("2", "SMITH"), record("3", "JONES")],
                                    fullExtract: true, actor: "t")
        _ = try source.applyPersons([[RecordKey(source: "A", recordId: "1")], [RecordKey(source: "A", recordId: "2")],
                                     [RecordKey(source: "A", recordId: "3")]], reason: "first", actor: "t",
                                    review: .replaceAll([ReviewEntry(left: RecordKey(source: "A", recordId: "1"),
                                                                     right: RecordKey(source: "A", recordId: "2"), matchWeight: 4.25,
                                                                     probability: 0.9123456789, reason: "review_band")]))
        _ = try source.mergeRecords(survivor: RecordKey(source: "A", recordId: "1"), retired: RecordKey(source: "A", recordId: "2"), actor: "pas")
        try source.decide(RecordKey(source: "A", recordId: "1"), RecordKey(source: "A", recordId: "3"), .unlink, reason: "checked", steward: "s")
        _ = try source.resolve(source: "A", recordId: "1", actor: "lab")

        let result = try StoreCopy.copy(from: source, to: destination)
        #expect(result.complete && result.source["record"] == 3 && result.source["lookup"] == 1)
        #expect(try destination.memberships() == (try source.memberships()))
        #expect(try destination.rawRecord(RecordKey(source: "A", recordId: "3")) == (try source.rawRecord(RecordKey(source: "A", recordId: "3"))))
        #expect(try destination.reviewQueue(limit: 10) == (try source.reviewQueue(limit: 10)))
        #expect(try destination.decisions() == (try source.decisions()))
        #expect(try destination.retiredPersons() == (try source.retiredPersons()))
        let person = try #require(try source.memberships()[RecordKey(source: "A", recordId: "1")])
        #expect(try destination.history(person) == (try source.history(person)))
        #expect(try destination.identityChanges(after: 0, limit: 100) == (try source.identityChanges(after: 0, limit: 100)))

        // The copy goes on after the copied ids and sequence numbers.
        let latest = try destination.latestChangeSequence()
        let registered = try destination.register(record("4", "BROWN"), person: nil, review: [], modelVersion: nil, actor: "ehr", action: "register")
        let next = try destination.identityChanges(after: latest, limit: 10)
        #expect(registered.minted && next.first?.sequence == latest + 1)
        #expect(try destination.history(registered.enterpriseId).count == 1)
    }
}
