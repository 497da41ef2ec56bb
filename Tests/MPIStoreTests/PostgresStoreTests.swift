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

        // An older store: the last migration undone.
        try server.psql(url, """
            DROP TRIGGER outbox_notifies ON outbox; DROP FUNCTION mpi_notify_identity_changes();
            DELETE FROM mpi_schema WHERE name = 'v2 notify replicas of identity changes'
            """)
        #expect { try PostgresIdentityStore(location: location) } throws: { error in
            guard case StoreError.schemaNeedsMigration = error else { return false }
            return true
        }
        #expect(try PostgresIdentityStore.migrate(location) == ["v2 notify replicas of identity changes"])
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
