import MPICore
import Testing

@Suite struct EnterpriseIDTests {
    @Test func roundTripsAndPrintsInGroups() throws {
        for value: UInt64 in [0, 1, 31, 32, 1_000_000, 0xAB_CDEF_1234, (1 << 40) - 1] {
            let id = EnterpriseID(value: value)
            #expect(id.description.count == 11)
            #expect(EnterpriseID(id.description) == id)
            #expect(EnterpriseID(id.description.lowercased()) == id)
        }
    }

    /// Crockford's check symbol is the value mod 37: 1,000,000 mod 37 = 1 (37 × 27,027 = 999,999).
    @Test func checkSymbolFollowsCrockford() {
        #expect(EnterpriseID(value: 1_000_000).description.last == "1")
        #expect(EnterpriseID(value: 36).description == "0000-0014-U")
        #expect(EnterpriseID(value: 32).description.last == "*")
    }

    @Test func mistypedIdsAreCaught() {
        let id = EnterpriseID(value: 0xAB_CDEF_1234).description          // e.g. "ANKV-Y4HM-?"
        var characters = Array(id)
        characters[2] = characters[2] == "Z" ? "Y" : "Z"                 // one symbol changed
        #expect(EnterpriseID(String(characters)) == nil)
        var swapped = Array(id)
        if swapped[0] != swapped[1] {
            swapped.swapAt(0, 1)                                        // two symbols transposed
            #expect(EnterpriseID(String(swapped)) == nil)
        }
        #expect(EnterpriseID("") == nil)
        #expect(EnterpriseID("0000-0014") == nil)
    }

    @Test func crockfordDecodingAliases() {
        let id = EnterpriseID(value: 1)                                  // "0000-0001-1"
        #expect(EnterpriseID("OOOO-OOOI-L") == id)
    }
}
