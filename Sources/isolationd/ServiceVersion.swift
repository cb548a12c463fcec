#if canImport(Glibc)
import Glibc
#endif

/// The one place the service's version is written: `isolationd --version` prints it and
/// `/metrics` exports it as `isolationd_build_info{version=…}`.
enum ServiceVersion {
    static let current = "0.14.0"

    /// Names the source revision exported beside the version. SwiftPM cannot run
    /// `git rev-parse` at build time without a plugin, so whoever builds or deploys the binary
    /// sets it (scripts, the image: `ISOLATIOND_REVISION=$(git rev-parse --short HEAD)`); unset,
    /// the revision is `unknown`. It is read once, at start, and is not a configuration override.
    static let revisionVariable = "ISOLATIOND_REVISION"

    /// The revision the environment names, nil when it names none.
    static func revisionFromEnvironment() -> String? {
        getenv(revisionVariable).map { String(cString: $0) }
    }
}
