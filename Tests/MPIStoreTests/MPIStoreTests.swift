import MPIStore
import Testing

@Test func storeHasNoSchemaYet() {
    #expect(MPIStore.schemaVersion == 0)
}
