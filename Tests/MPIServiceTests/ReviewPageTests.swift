import Foundation
import MPICore
@testable import MPIService
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import MPIStore
import MPIStoreTestSupport
import Testing

@Suite struct ReviewPageTests {
    private func record(_ id: String, given: String, family: String) -> MatchRecord {
        var record = MatchRecord(key: RecordKey(source: "R1K", recordId: id))
        record.given = Array(given.utf8)
        record.family = Array(family.utf8)
        return record
    }

    /// A held cluster is shown whole: every record of both persons, and rows whose values differ flagged.
    @Test func aHeldClusterShowsEveryRecordOfBothPersons() {
        let html = ReviewPages.cluster([("AAAA-BBBB-C", [record("1", given: "ANN", family: "SMITH"), record("2", given: "ANNE", family: "SMITH")]),
                                        ("DDDD-EEEE-F", [record("3", given: "ANN", family: "<SMITH>")])],
                                       kinds: [.forename, .surname])
        #expect(html.contains("R1K:1") && html.contains("R1K:2") && html.contains("R1K:3"))
        #expect(html.contains("&lt;SMITH&gt;"))   // escaped
        #expect(html.components(separatedBy: "class=\"differ\"").count - 1 == 2)
    }

    @Test func aPairAloneHasNoClusterSection() {
        #expect(ReviewPages.cluster([("A", [record("1", given: "A", family: "B")]), ("B", [record("2", given: "A", family: "B")])], kinds: [.forename]).isEmpty)
    }

    @Test func routesInLogsHideNumbers() {
        #expect(ReviewServer.route("/review/42?x=1") == "/review/:id")
        #expect(ReviewServer.route("/") == "/")
    }
}

/// The review page's security over HTTP, through its router (Hummingbird's test client): sign-in
/// with the form's CSRF cookie, sessions in HttpOnly SameSite=Strict cookies, CSRF on every POST, the
/// page headers on every answer.
@Suite struct ReviewSecurityTests {
    @Test(arguments: StoreBackend.allCases) func signInSessionsCSRFAndHeaders(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let stewards = Stewards(users: [.init(name: "asha.patel", passwordHash: try Stewards.hash(password: "a long test password"))])
        let router = ReviewServer.router(index: fixture.index, stewards: stewards, secureCookies: true, sessions: MemoryPersistDriver(),
                                         logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        @Sendable func cookie(_ response: TestResponse, _ name: String) -> String? {
            response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
        }
        @Sendable func value(_ setCookie: String?) -> String {
            String(setCookie?.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last ?? "")
        }
        try await Application(router: router).test(.router) { client in
            // No session: to the sign-in page, with the page headers.
            let queue = try await client.execute(uri: "/", method: .get)
            #expect(queue.status == .seeOther && queue.headers[.location] == "/login")
            #expect(queue.headers[.cacheControl] == "no-store")
            #expect(queue.headers[values: HTTPField.Name("X-Frame-Options")!] == ["DENY"])
            #expect(queue.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)

            let login = try await client.execute(uri: "/login", method: .get)
            let loginCookie = try #require(cookie(login, "mpi_login"))
            #expect(loginCookie.contains("HttpOnly") && loginCookie.contains("SameSite=Strict") && loginCookie.contains("Secure"))
            let token = value(loginCookie)

            func signIn(csrf: String, password: String) async throws -> TestResponse {
                try await client.execute(uri: "/login", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "mpi_login=\(token)"],
                                         body: ByteBuffer(string: "csrf=\(csrf)&name=asha.patel&password=\(password.replacingOccurrences(of: " ", with: "+"))"))
            }
            #expect(try await signIn(csrf: "forged", password: "a long test password").status == .forbidden)
            let refused = try await signIn(csrf: token, password: "wrong password")
            #expect(refused.status == .seeOther && refused.headers[.location] == "/login?failed" && cookie(refused, "mpi_session") == nil)
            let signedIn = try await signIn(csrf: token, password: "a long test password")
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/")
            let session = try #require(cookie(signedIn, "mpi_session"))
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Secure"))

            let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: "mpi_session=\(value(session))"])
            #expect(page.status == .ok && String(buffer: page.body).contains("Review queue"))
            // A decision without the session's CSRF token is refused, and nothing is decided.
            let item = try #require(try fixture.store.reviewQueue(limit: 1).first)
            let forged = try await client.execute(uri: "/review/\(item.id)", method: .post,
                                                  headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "mpi_session=\(value(session))"],
                                                  body: ByteBuffer(string: "csrf=forged&decision=link&reason=because"))
            #expect(forged.status == .forbidden)
            #expect(try fixture.store.reviewItem(item.id) != nil)
        }
    }
}
