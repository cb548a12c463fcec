#if canImport(Glibc)
import Glibc
#endif

/// Runs PostgreSQL's programs (initdb, pg_ctl) for the test cluster: `posix_spawn`, output to a
/// log file, `waitpid`. As root (here and on CI) through `setpriv` as an unprivileged user,
/// since initdb and postgres refuse to run as root.
enum ClusterCommand {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var runsAsRoot: Bool { geteuid() == 0 }

    /// Whom the cluster runs as when we are root: Debian's `postgres` account (the postgresql
    /// package makes it), else `daemon`; `nobody` only as a last resort: the process-containment tests run agents
    /// as nobody under RLIMIT_NPROC 4, and a cluster's processes would count against it.
    static let clusterUser: (uid: uid_t, gid: gid_t)? = {
        for name in ["postgres", "daemon", "nobody"] {
            if let entry = getpwnam(name) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        }
        return nil
    }()

    /// Runs `arguments` (a path or a name on PATH), appending its output to `logPath`, and waits
    /// for it. Throws when it cannot start or exits non-zero (the log's tail in the message).
    static func run(_ arguments: [String], logPath: String) throws {
        var command = arguments
        if runsAsRoot {
            guard let user = clusterUser else { throw Failure(description: "no unprivileged user to run PostgreSQL as") }
            command = ["setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"] + arguments
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the C macros do not import).
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) failed (status \(status)): \(tail(of: logPath))")
        }
    }

    /// The last lines of a log file, for error messages.
    static func tail(of path: String, bytes: Int = 1500) -> String {
        guard let file = fopen(path, "r") else { return "(no log)" }
        defer { fclose(file) }
        fseek(file, 0, SEEK_END)
        let size = ftell(file)
        fseek(file, max(0, size - bytes), SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: bytes)
        let read = fread(&buffer, 1, bytes, file)
        return String(decoding: buffer[0..<read], as: UTF8.self)
    }

    /// A loopback TCP port free right now (the kernel's pick for port 0).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The directory of PostgreSQL's server programs: the newest `/usr/lib/postgresql/N/bin`,
    /// else wherever `initdb` is on PATH; nil when there is none.
    static func binDirectory() -> String? {
        var candidates: [String] = []
        if let directory = opendir("/usr/lib/postgresql") {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let version = Int(name) { candidates.append("\(version)") }
            }
            closedir(directory)
        }
        for version in candidates.sorted(by: { Int($0)! > Int($1)! }) {
            let bin = "/usr/lib/postgresql/\(version)/bin"
            if access(bin + "/initdb", X_OK) == 0, access(bin + "/pg_ctl", X_OK) == 0 { return bin }
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for directory in path.split(separator: ":") where access("\(directory)/initdb", X_OK) == 0 {
            if access("\(directory)/pg_ctl", X_OK) == 0 { return String(directory) }
        }
        return nil
    }
}
