import Foundation
import MPICore
@testable import MPIService
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
