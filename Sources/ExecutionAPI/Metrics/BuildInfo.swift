/// What `isolationd_build_info` says: the service's version and the source revision it was
/// built from, as labels of a gauge that is always 1 (the Prometheus convention for build
/// facts, so they can be joined onto other series).
public struct BuildInfo: Sendable, Equatable {
    public static let unknownRevision = "unknown"

    public var version: String
    /// A commit id, or `unknown` when none was given.
    public var revision: String

    public init(version: String, revision: String?) {
        self.version = version
        let trimmed = revision.map { String($0.filter { !$0.isWhitespace }.prefix(64)) } ?? ""
        self.revision = trimmed.isEmpty ? BuildInfo.unknownRevision : trimmed
    }

    public func write(to out: inout PrometheusExposition) {
        out.family("isolationd_build_info", .gauge, help: "The running isolationd's version and source revision (always 1).")
        out.sample("isolationd_build_info", [("version", version), ("revision", revision)], 1)
    }
}
