#if canImport(Glibc)
import Glibc
#endif
import VisibleLocks

/// A cluster this process made: its directory (owned by the cluster's user when we are root), its port,
/// and the postmaster's pid for the exit hook.
final class ManagedCluster: Sendable {
    let bin: String
    let directory: String
    let port: Int
    private let logPath: String

    init(bin: String, port: Int? = nil) throws {
        var template = Array("/tmp/isod-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ClusterCommand.Failure(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        logPath = directory + "/server.log"
        self.bin = bin
        self.port = try port ?? ClusterCommand.freeLoopbackPort()
        if ClusterCommand.runsAsRoot {
            guard let user = ClusterCommand.clusterUser else { throw ClusterCommand.Failure(description: "no unprivileged user") }
            chown(directory, user.uid, user.gid)
        }
        ClusterRegistry.add(directory: directory)
        try ClusterCommand.run([bin + "/initdb", "-D", directory + "/data", "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                               logPath: directory + "/initdb.log")
        try start()
    }

    func url(database: String) -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database) connect_timeout=5"
    }

    func start() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off "
            + "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        try ClusterCommand.run([bin + "/pg_ctl", "-D", directory + "/data", "-l", logPath, "-w", "-t", "60",
                                "-o", options, "start"], logPath: directory + "/pg_ctl.log")
        ClusterRegistry.setPostmaster(pid: postmasterPID(), for: directory)
    }

    func stop() throws {
        try ClusterCommand.run([bin + "/pg_ctl", "-D", directory + "/data", "-m", "fast", "-w", "-t", "60", "stop"],
                               logPath: directory + "/pg_ctl.log")
        ClusterRegistry.setPostmaster(pid: nil, for: directory)
    }

    /// The first line of postmaster.pid.
    private func postmasterPID() -> pid_t? {
        guard let file = fopen(directory + "/data/postmaster.pid", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 32)
        guard fgets(&line, 32, file) != nil else { return nil }
        let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return pid_t(String(decoding: bytes, as: UTF8.self).trimmingSuffixWhitespace())
    }
}

extension String {
    fileprivate func trimmingSuffixWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

/// The clusters to end when the test process exits: their postmasters are sent SIGQUIT
/// (immediate shutdown) by pid and their directories removed. An `atexit` hook, installed
/// with the first cluster.
enum ClusterRegistry {
    private static let clusters = VisibleMutex<[String: pid_t?]>([:])
    private static let hook: Void = { atexit { ClusterRegistry.endAll() } }()

    static func add(directory: String) {
        _ = hook
        clusters.withLock { $0[directory] = .some(nil) }
    }

    static func setPostmaster(pid: pid_t?, for directory: String) {
        clusters.withLock { $0[directory] = .some(pid) }
    }

    static func endAll() {
        let all = clusters.withLock { clusters in
            defer { clusters.removeAll() }
            return clusters
        }
        for (directory, pid) in all {
            if let pid = pid ?? nil, pid > 0 {
                kill(pid, SIGQUIT)
                // Up to two seconds for it to go before its files are removed.
                for _ in 0..<200 where kill(pid, 0) == 0 { usleep(10_000) }
            }
            try? ClusterCommand.run(["rm", "-rf", directory], logPath: "/dev/null")
        }
    }
}
