import Glibc

/// A self-signed P-256 certificate for 127.0.0.1 / localhost, plus a second key that does not
/// match it, made with the `openssl` command line tool in a fresh temporary directory. The
/// directory goes with the object (or at `remove()`).
public final class ThrowawayCertificate: Sendable {
    public let directory: String
    public var certificatePath: String { directory + "/cert.pem" }
    public var keyPath: String { directory + "/key.pem" }
    /// A second key, not matching the certificate.
    public var otherKeyPath: String { directory + "/other.pem" }

    public init() throws {
        var template = Array("/tmp/isolationd-tls-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let made else { throw ExternalCommandError(description: "mkdtemp: \(String(cString: strerror(errno)))") }
        directory = made
        let certificate = try ExternalCommand.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        let other = try ExternalCommand.run([
            "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", directory + "/other.pem",
        ])
        guard certificate.status == 0, other.status == 0 else {
            remove()
            throw ExternalCommandError(description: "openssl failed: \(certificate.stderr)\(other.stderr)")
        }
    }

    /// Deletes the files and the directory (also done when the object goes).
    public func remove() {
        for path in [certificatePath, keyPath, otherKeyPath] { unlink(path) }
        rmdir(directory)
    }

    deinit { remove() }
}
