import NIOCore
import ServiceLifecycle

extension NIOAsyncChannel {
    /// Wraps a connection the listener accepted. Every connection that reaches `serveConnections` is
    /// served inside `executeThenClose`; but NIO has a window (swift-nio issues 2637 and 3481) in which a
    /// connection accepted just as the listener closes is never handed over and is dropped. Closing
    /// on deinit makes that drop a close instead of a crash, which is why this uses the initialiser NIO
    /// deprecates for ordinary use (the one deprecation warning of the build).
    static func acceptedConnection(_ channel: any Channel) throws -> NIOAsyncChannel {
        try NIOAsyncChannel(synchronouslyWrapping: channel)
    }
}

extension NIOAsyncChannel where Outbound == Never, Inbound: Sendable {
    /// Hands each accepted connection to `serve` on its own task until graceful shutdown, which closes
    /// the listening socket. Connections accepted but not yet handed over when shutdown starts are
    /// still handed over (their own loops end at once and close them): a connection dropped without
    /// being closed crashes NIO ("Deinited NIOAsyncWriter without calling finish()"), which is what
    /// cancelling the accept loop itself did to connections waiting in its buffer.
    func serveConnections(_ serve: @escaping @Sendable (Inbound) async -> Void) async throws {
        let listener = channel
        try await withThrowingDiscardingTaskGroup { group in
            try await withGracefulShutdownHandler {
                try await executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            } onGracefulShutdown: {
                listener.close(promise: nil)
            }
        }
    }
}
