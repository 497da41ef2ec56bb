import Foundation
import Testing

/// The `mpi` executable that `swift test` built beside the tests, or the one `MPI_EXECUTABLE` names
/// (Scripts/replica-concurrency.sh runs the replicas from a release build).
enum MPIExecutable {
    static func url() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["MPI_EXECUTABLE"] { return URL(fileURLWithPath: path) }
        return try #require([".build/debug/mpi", ".build/x86_64-unknown-linux-gnu/debug/mpi", ".build/aarch64-unknown-linux-gnu/debug/mpi"]
            .map { PythonSubscriber.root.appendingPathComponent($0) }.first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "swift test builds the mpi executable under .build")
    }
}

/// One `mpi serve --replica --json 127.0.0.1:0` process, as an operator runs it: its own process, its
/// own in-memory index, the store shared with the others. Its stderr goes to a file, from which the
/// port it bound is read.
final class ServedReplica: @unchecked Sendable {
    private let process = Process()
    private let log: URL
    let host = "127.0.0.1"
    private(set) var port = 0

    init(db: String, clients: URL) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("replica-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = try MPIExecutable.url()
        process.arguments = ["serve", "--replica", "--db", db, "--clients", clients.path, "--json", "127.0.0.1:0", "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while port == 0 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("json listening on ") }),
               let bound = line.split(separator: ":").last.flatMap({ Int($0) }) {
                port = bound
            } else if !process.isRunning || Date() > deadline {
                kill()
                throw FixtureError("mpi serve --replica did not start: \(text)")
            } else {
                usleep(20_000)
            }
        }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: log)
    }

    /// SIGKILL, as a host lost or an operator's `kill -9`: nothing is flushed or closed. Waits by
    /// polling: `waitUntilExit` spins a core on Linux off the main thread.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(10_000) }
    }
}

/// A blocking JSON-lines client on one TCP connection, as a system's integration engine holds one:
/// one request, then its answer. Any failure of the connection (the replica killed) is thrown.
final class LineClient {
    private let socket: Int32
    private var buffered: [UInt8] = []

    struct ConnectionLost: Error {}

    init(host: String, port: Int, timeoutSeconds: Int = 60) throws {
        socket = try Self.connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
    }

    /// A connected socket, or a throw with nothing left open. (Before `self` exists: a class's throwing
    /// init that had set `socket` would run `deinit` too, and a second `close` of a number another
    /// thread had been given meanwhile closed its file: a replica's log, once, as it started.)
    private static func connect(host: String, port: Int, timeoutSeconds: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ConnectionLost() }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw ConnectionLost()
        }
        return socket
    }

    deinit { close(socket) }

    /// Sends one request and returns its answer, decoded.
    func ask(_ request: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(UInt8(ascii: "\n"))
        let sent = line.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == line.count else { throw ConnectionLost() }
        while true {
            if let end = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let answer = Data(buffered[..<end])
                buffered.removeSubrange(...end)
                guard let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] else { throw ConnectionLost() }
                return object
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw ConnectionLost() }
            buffered.append(contentsOf: chunk[..<count])
        }
    }
}
