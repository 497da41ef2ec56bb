import Foundation

/// A PostgreSQL server for the tests of this process: a new cluster made with `initdb` in a temporary
/// directory, started with `pg_ctl` on a free loopback port, stopped and deleted when the process
/// exits. Each test asks for a database of its own (`newDatabase`), so tests run in parallel.
///
/// PostgreSQL refuses to run as root, and the development and CI machines run as root: there the
/// server runs as the `postgres` system user that Debian's package creates (`runuser -u postgres`).
/// `Scripts/test.sh` installs the packages when they are missing.
public final class ThrowawayPostgres: Sendable {
    public let port: Int
    let directory: String
    let binaries: String
    let user: String?

    /// The server, started on first use; a failure to start is every PostgreSQL test's failure.
    public static let shared: Result<ThrowawayPostgres, ServerError> = Result { try ThrowawayPostgres() }.mapError { $0 as? ServerError ?? ServerError("\($0)") }

    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private init() throws {
        guard let binaries = Self.findBinaries() else {
            throw ServerError("PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql/*/bin): run Scripts/test.sh, which installs it")
        }
        self.binaries = binaries
        user = getuid() == 0 ? "postgres" : nil
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let user { try Self.run("/bin/chown", [user, directory]) }
        port = try Self.freePort()
        try run("initdb", ["-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        // Durability off: a test's data need not survive a power cut, and fsync dominates small commits.
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
            "-c full_page_writes=off -c max_connections=200"
        try run("pg_ctl", ["-D", directory + "/data", "-o", options, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
        Self.started = (binaries, user, directory)
        atexit {
            guard let (binaries, user, directory) = ThrowawayPostgres.started else { return }
            let tool = binaries + "/pg_ctl"
            let arguments = ["-D", directory + "/data", "-m", "immediate", "-w", "stop"]
            try? ThrowawayPostgres.run(user == nil ? tool : "/usr/sbin/runuser", user == nil ? arguments : ["-u", user!, "--", tool] + arguments)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// What the exit handler stops (a C function pointer captures nothing).
    nonisolated(unsafe) private static var started: (String, String?, String)?

    /// A new, empty database, and its URL.
    public func newDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name])
        return url(database: name)
    }

    public func url(database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Runs SQL on a database of this server with psql (for tests that change a store behind its back).
    public func psql(_ url: String, _ sql: String) throws {
        guard let name = url.split(separator: "/").last?.split(separator: "?").first else { return }
        try run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql, String(name)])
    }

    /// Drops a database (its connections closed first).
    public func dropDatabase(_ url: String) {
        guard let name = url.split(separator: "/").last?.split(separator: "?").first else { return }
        try? run("dropdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "--force", String(name)])
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let path = binaries + "/" + tool
        if let user {
            try Self.run("/usr/sbin/runuser", ["-u", user, "--", path] + arguments)
        } else {
            try Self.run(path, arguments)
        }
    }

    /// Runs a program to its end, its output in a file and never on the test process's own stderr:
    /// `swift test` waits for every holder of that pipe to close it, and the server would hold it
    /// forever. posix_spawn and waitpid rather than Foundation's Process, which here sometimes never
    /// noticed that `runuser` had exited.
    private static func run(_ executable: String, _ arguments: [String]) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-postgres-tool-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // From "/", which the postgres user can read (initdb and pg_ctl fail in a directory it cannot).
        let command = ["/bin/sh", "-c", "cd / && exec \"$0\" \"$@\"", executable] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServerError("cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7F == 0, code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw ServerError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }

    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// A loopback port nothing listens on now.
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ServerError("no socket") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw ServerError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
