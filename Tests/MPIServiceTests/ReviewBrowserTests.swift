import Foundation
import Logging
import MPICore
import MPIService
import MPIStore
import NIOCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// The review page driven by headless Chromium through chromedriver (WebDriver): sign in, open the
/// queue, open the first pair, give a reason and decide with the keyboard shortcut, then check the
/// decision in the store. `.ci/run` installs Debian's chromium and chromium-driver; without them the
/// test is skipped (curl sends the WebDriver commands). With MPI_UPDATE_SCREENSHOTS=1 it also writes docs/images/review.png.
@Suite(.serialized) struct ReviewBrowserTests {
    static let chromedriver = "/usr/bin/chromedriver"
    static let chromium = "/usr/bin/chromium"

    struct WebDriver {
        let base: URL
        var session = ""

        /// One WebDriver command, sent with curl (plain HTTP and JSON; no client library needed).
        func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            var arguments = ["-s", "-m", "60", "-X", method, base.appendingPathComponent(path).absoluteString]
            if let body {
                arguments += ["-H", "Content-Type: application/json", "--data-binary",
                              String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
            }
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw FixtureError("curl \(method) \(path) failed (\(process.terminationStatus))") }
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if let value = object?["value"] as? [String: Any], let error = value["error"] as? String {
                throw FixtureError("webdriver \(method) \(path): \(error): \(value["message"] as? String ?? "")")
            }
            return object?["value"] ?? NSNull()
        }

        func element(_ css: String) async throws -> String {
            let value = try await call("POST", "session/\(session)/element", ["using": "css selector", "value": css]) as? [String: Any]
            guard let reference = value?.values.first as? String else { throw FixtureError("no element \(css)") }
            return reference
        }

        func type(_ css: String, _ text: String) async throws {
            _ = try await call("POST", "session/\(session)/element/\(try await element(css))/value", ["text": text])
        }

        func click(_ css: String) async throws {
            _ = try await call("POST", "session/\(session)/element/\(try await element(css))/click", [:])
        }

        func currentURL() async throws -> String { try await call("GET", "session/\(session)/url") as? String ?? "" }
        func source() async throws -> String { try await call("GET", "session/\(session)/source") as? String ?? "" }
    }

    @Test(.enabled(if: [chromedriver, chromium, "/usr/bin/curl"].allSatisfy(FileManager.default.isExecutableFile(atPath:))))
    func aStewardSignsInAndDecidesAPairWithTheKeyboard() async throws {
        let fixture = try await ServiceFixture.make()
        defer { fixture.remove() }
        let queue = try fixture.store.reviewQueue(limit: 10)
        let first = try #require(queue.first, "the fixture's link run should leave pairs for review")
        let stewards = Stewards(users: [.init(name: "asha.patel", passwordHash: try Stewards.hash(password: "a long test password"))])
        let server = try await ReviewServer(index: fixture.index, stewards: stewards, host: "127.0.0.1", port: 0,
                                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let site = "http://127.0.0.1:\(try #require(server.address?.port))"

        let port = Int.random(in: 20_000...40_000)
        let driverProcess = Process()
        driverProcess.executableURL = URL(fileURLWithPath: Self.chromedriver)
        driverProcess.arguments = ["--port=\(port)"]
        driverProcess.standardOutput = FileHandle.nullDevice
        driverProcess.standardError = FileHandle.nullDevice
        try driverProcess.run()
        defer { driverProcess.terminate() }
        var driver = WebDriver(base: URL(string: "http://127.0.0.1:\(port)")!)
        for _ in 0..<50 {   // wait for chromedriver to listen
            if (try? await driver.call("GET", "status")) != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let created = try await driver.call("POST", "session", ["capabilities": ["alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": ["binary": Self.chromium,
                                           "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1900"]],
                ]]]) as? [String: Any]
                driver.session = try #require(created?["sessionId"] as? String)

                _ = try await driver.call("POST", "session/\(driver.session)/url", ["url": site + "/"])
                #expect(try await driver.currentURL().hasSuffix("/login"))   // the queue needs a session
                try await driver.type("#name", "asha.patel")
                try await driver.type("#password", "a long test password")
                try await driver.click("#sign-in")
                #expect(try await driver.currentURL() == site + "/")
                #expect(try await driver.source().contains("Review queue"))

                try await driver.click("a.item")   // highest stakes first
                #expect(try await driver.currentURL() == site + "/review/\(first.id)")
                let page = try await driver.source()
                #expect(page.contains("<svg"))   // the waterfall
                #expect(!page.contains(first.left.recordId) || page.contains("<table id=\"pair\""))
                if ProcessInfo.processInfo.environment["MPI_UPDATE_SCREENSHOTS"] != nil,
                   let png = try await driver.call("GET", "session/\(driver.session)/screenshot") as? String, let data = Data(base64Encoded: png) {
                    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                        .appendingPathComponent("docs/images/review.png")
                    try data.write(to: docs)
                }

                try await driver.type("#reason", "Same NHS number, date of birth and address; forename is a known-as name")
                _ = try await driver.call("POST", "session/\(driver.session)/execute/sync", ["script": "document.activeElement.blur()", "args": []])
                _ = try await driver.call("POST", "session/\(driver.session)/actions", ["actions": [[
                    "type": "key", "id": "keyboard", "actions": [["type": "keyDown", "value": "l"], ["type": "keyUp", "value": "l"]],
                ]]])
                for _ in 0..<50 where !(try await driver.currentURL()).contains("decided") { try await Task.sleep(for: .milliseconds(100)) }
                #expect(try await driver.currentURL() == site + "/?decided")
                #expect(try await driver.source().contains("Decision recorded."))
                _ = try? await driver.call("DELETE", "session/\(driver.session)")
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let decision = try #require(try fixture.store.decisions().first)
        #expect(decision.kind == .link)
        #expect(decision.steward == "asha.patel")
        #expect(Set([decision.left, decision.right]) == Set([first.left, first.right]))
        #expect(try fixture.store.reviewItem(first.id) == nil)   // off the queue
    }
}
