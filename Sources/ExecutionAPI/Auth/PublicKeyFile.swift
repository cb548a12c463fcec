#if canImport(Glibc)
import Glibc
#endif

/// Reads the RS256 public key file (`auth.jwt.rs256_public_key_file`) once, when the
/// authenticator is built. A PEM key is a few kilobytes; anything over `maxBytes` is refused.
enum PublicKeyFile {
    static let maxBytes = 16 << 20

    static func read(_ path: String) throws(AuthSettingsError) -> String {
        guard let file = fopen(path, "re") else {
            throw .keyFileUnusable(reason: "cannot open configuration file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var text: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        repeat {
            let got = fread(&block, 1, block.count, file)
            text += block.prefix(got)
            guard text.count <= maxBytes else {
                throw .keyFileUnusable(reason: "configuration file \(path) is larger than \(maxBytes) bytes")
            }
        } while feof(file) == 0 && ferror(file) == 0
        if ferror(file) != 0 {
            throw .keyFileUnusable(reason: "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        return String(decoding: text, as: UTF8.self)
    }
}
