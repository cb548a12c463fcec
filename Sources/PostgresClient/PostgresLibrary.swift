import CLibPQ

/// libpq is loaded when first needed, not linked (see CLibPQ's header: the embedded default
/// never maps it). Every entry point that talks to a server loads it first.
public enum PostgresLibrary {
    /// Loads libpq once; throws `.unavailable` naming what is missing (the library, or libpq
    /// older than 14).
    public static func load() throws(PostgresError) {
        if let failure = cpq_load() { throw PostgresError.unavailable(reason: String(cString: failure)) }
    }
}
