#if canImport(Glibc)
import Glibc
#endif

/// Finding and reading the configuration file, with plain POSIX calls (no Foundation).
public enum ConfigurationFile {
    /// Relative to the working directory; tried first.
    public static let localPath = "config/isolationd.json"
    /// Where the container image puts it.
    public static let systemPath = "/etc/isolationd/isolationd.json"
    /// A larger file is refused rather than read.
    public static let maxBytes = 16 << 20

    /// The file to use: the command-line option, else `ISOLATIOND_CONFIG`, else `localPath` when
    /// it exists, else `systemPath`.
    public static func resolve(option: String?, environment: [String: String],
                               exists: (String) -> Bool = ConfigurationFile.exists) -> String {
        if let option, !option.isEmpty { return option }
        if let fromEnvironment = environment["ISOLATIOND_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return exists(localPath) ? localPath : systemPath
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The whole file, or an error that says which file and why.
    public static func read(_ path: String) throws(ConfigurationError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigurationError(keyPath: "", message: "cannot open configuration file \(path): \(errnoText())")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError(keyPath: "", message: "cannot read configuration file \(path): \(errnoText())")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maxBytes {
                throw ConfigurationError(keyPath: "", message: "configuration file \(path) is larger than \(maxBytes) bytes")
            }
        }
        return bytes
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// The process environment as a dictionary, read with `environ` (no Foundation).
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
