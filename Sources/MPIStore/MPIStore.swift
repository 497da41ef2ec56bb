// The identity store (SQLite) arrives with the identity-store issue. The target exists now so the
// layering (mpi -> MPIStore -> MPINormalize -> MPICore) is fixed from the first commit.
public enum MPIStore {
    /// Version of the store schema this build writes. 0: no store yet.
    public static let schemaVersion = 0
}
