#if canImport(Glibc)
import Glibc
#endif
@testable import ExecutionCore

/// A temporary directory of executable test agents, removed by `remove()`. Scripts are written
/// by the tests themselves, so each test shows exactly what its child process does.
final class ScriptDirectory {
    let path: String
    private var files: [String] = []

    init() {
        var template = Array("/tmp/isolationd-agents-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? "/tmp"
    }

    /// Writes an executable script and returns its absolute path.
    @discardableResult
    func script(_ name: String, _ body: String, interpreter: String = "/bin/sh") -> String {
        let file = path + "/" + name
        let text = "#!\(interpreter)\n" + body + "\n"
        // Close-on-exec ("e"): a child that another test spawns while this file is open must not
        // inherit the writable descriptor, or exec'ing the script fails with ETXTBSY.
        if let handle = fopen(file, "we") {
            _ = text.withCString { fputs($0, handle) }
            fclose(handle)
        }
        chmod(file, 0o755)
        files.append(file)
        return file
    }

    func spec(_ scriptPath: String, arguments: [String] = [], limits: ProcessResourceLimits = .init(),
              environment: ProcessEnvironment = .init(), stdoutLimit: Int = 1_048_576,
              workingDirectory: String? = nil) -> ProcessAgentSpec {
        ProcessAgentSpec(command: [scriptPath] + arguments, workingDirectory: workingDirectory ?? path,
                         environment: environment, limits: limits, stdoutLimitBytes: stdoutLimit, stderrKeepBytes: 4096)
    }

    func remove() {
        for file in files { unlink(file) }
        rmdir(path)
    }
}

/// Process-state helpers read from /proc.
enum ProcInfo {
    /// The state letter of `pid` ("R", "S", "Z", ...), nil when it no longer exists.
    static func state(of pid: Int32) -> String? {
        guard let fields = statFields(pid) else { return nil }
        return fields.state
    }

    /// (state, ppid, pgid) from /proc/<pid>/stat.
    static func statFields(_ pid: Int32) -> (state: String, ppid: Int32, pgid: Int32)? {
        guard let text = readFile("/proc/\(pid)/stat") else { return nil }
        // The command name may contain spaces; fields resume after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 3, let ppid = Int32(rest[1]), let pgid = Int32(rest[2]) else { return nil }
        return (String(rest[0]), ppid, pgid)
    }

    /// Zombie children of this process.
    static func zombieChildren() -> [Int32] {
        let me = getpid()
        var out: [Int32] = []
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let fields = statFields(pid) else { continue }
            if fields.ppid == me && fields.state == "Z" { out.append(pid) }
        }
        return out
    }

    static func readFile(_ path: String) -> String? {
        guard let handle = fopen(path, "r") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Not running any more: gone, or a zombie waiting for a parent that is not us.
    static func isGone(_ pid: Int32) -> Bool {
        guard let state = state(of: pid) else { return true }
        return state == "Z" || state == "X"
    }
}

import Logging

/// A reactor whose logs stay out of test output (failures are asserted, not printed).
func quietReactor(exitGrace: Duration = .seconds(2), reapOrphans: Bool = false,
                  maxProcessesPerUser: Int? = nil) throws -> ProcessReactor {
    var logger = Logger(label: "test.agents")
    logger.logLevel = .critical
    return try ProcessReactor(configuration: .init(exitGraceAfterTerminal: exitGrace, reapOrphans: reapOrphans,
                                                   maxProcessesPerUser: maxProcessesPerUser, logger: logger))
}
