import Glibc

/// The memory limit of the cgroup this process runs in: cgroup v2 `memory.max`, else v1
/// `memory.limit_in_bytes`. Read once at start (the limit of a running pod does not change).
public enum CgroupMemoryLimit {
    public static let v2Path = "/sys/fs/cgroup/memory.max"
    public static let v1Path = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
    /// cgroup v1 reports "no limit" as a huge page-aligned number rather than "max".
    static let v1Unlimited = Int64.max / 2

    /// The limit in bytes, or nil when there is none (or no cgroup file can be read).
    public static func current() -> Int? {
        if let text = readFile(v2Path) { return parse(text) }
        if let text = readFile(v1Path) { return parse(text) }
        return nil
    }

    /// "max" (or an unreadable, zero or v1 "unlimited" value) means none.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.filter { !$0.isWhitespace }
        guard trimmed != "max", let value = Int64(trimmed), value > 0, value < v1Unlimited else { return nil }
        return Int(value)
    }

    /// A small file's text; nil when it cannot be opened.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
