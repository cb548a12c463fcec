#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` families, read from /proc at scrape time the way Prometheus's own
/// client libraries read them: CPU seconds (user + system), resident and virtual memory, open
/// and maximum file descriptors, start time. Reading /proc is a handful of syscalls on pseudo
/// files (no disk), cheap enough for a handler on a loop at scrape intervals.
public struct ProcessStatistics: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    public var residentMemoryBytes: Int
    public var virtualMemoryBytes: Int
    /// Entries of /proc/self/fd (the directory's own descriptor left out).
    public var openFileDescriptors: Int
    /// The soft RLIMIT_NOFILE (what `open` is held to).
    public var maxFileDescriptors: Int
    /// When the process started, in seconds since the Unix epoch.
    public var startTimeSeconds: Double

    /// The figures of `/proc/self/stat`, as a Prometheus client reads them.
    struct StatFields: Equatable {
        var userTicks: Int, systemTicks: Int
        /// Clock ticks after boot.
        var startTicks: Int
        var virtualBytes: Int
        var residentPages: Int
    }

    /// This process's figures now; nil when /proc cannot be read (not Linux, /proc not mounted):
    /// the families are then left out rather than given made-up values.
    public static func current() -> ProcessStatistics? {
        guard let statText = readProcFile("/proc/self/stat"), let stat = parseStat(statText),
              let systemText = readProcFile("/proc/stat"), let bootTime = parseBootTime(systemText),
              let openFDs = countOpenFileDescriptors() else { return nil }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let ticksPerSecond = max(1, sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = max(1, sysconf(Int32(_SC_PAGESIZE)))
        return ProcessStatistics(
            cpuSeconds: Double(stat.userTicks + stat.systemTicks) / Double(ticksPerSecond),
            residentMemoryBytes: stat.residentPages * pageSize,
            virtualMemoryBytes: stat.virtualBytes,
            openFileDescriptors: openFDs,
            maxFileDescriptors: Int(clamping: UInt64(limit.rlim_cur)),
            startTimeSeconds: Double(bootTime) + Double(stat.startTicks) / Double(ticksPerSecond))
    }

    /// Writes the six families.
    public func write(to out: inout PrometheusExposition) {
        out.single("process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.",
                   cpuSeconds)
        out.single("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.", residentMemoryBytes)
        out.single("process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.", virtualMemoryBytes)
        out.single("process_open_fds", .gauge, help: "Number of open file descriptors.", openFileDescriptors)
        out.single("process_max_fds", .gauge, help: "Maximum number of open file descriptors.", maxFileDescriptors)
        out.single("process_start_time_seconds", .gauge,
                   help: "Start time of the process since unix epoch in seconds.", startTimeSeconds)
    }

    /// Fields 14, 15, 22, 23 and 24 of `/proc/<pid>/stat` (proc(5)). The command name (field 2)
    /// is in parentheses and may itself hold spaces and parentheses, so fields are counted from
    /// the last `)`.
    static func parseStat(_ text: String) -> StatFields? {
        guard let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After the name: field 3 (state) is at index 0, so field n is at index n - 3.
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Int? {
            let index = number - 3
            guard index < fields.count else { return nil }
            return Int(fields[index].filter { $0 != "\n" })
        }
        guard let user = field(14), let system = field(15), let start = field(22), let virtual = field(23),
              let resident = field(24) else { return nil }
        return StatFields(userTicks: user, systemTicks: system, startTicks: start, virtualBytes: virtual,
                          residentPages: resident)
    }

    /// `btime` of `/proc/stat`: the boot time in seconds since the epoch.
    static func parseBootTime(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst("btime ".count).filter { $0 != " " })
        }
        return nil
    }

    /// The entries of /proc/self/fd, less `.`, `..` and the descriptor reading the directory.
    static func countOpenFileDescriptors(directory: String = "/proc/self/fd") -> Int? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        let own = String(dirfd(stream))
        var count = 0
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != "..", name != own { count += 1 }
        }
        return count
    }

    /// A /proc pseudo file, whole (their size is not known before reading: `stat` says 0).
    /// Nil when it cannot be opened or is over 4 MiB (/proc/stat's `intr` line grows with the
    /// number of interrupts, never near that).
    static func readProcFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var text: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 8192)
        while text.count <= 4 << 20 {
            let got = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { return nil }
            if got == 0 { return String(decoding: text, as: UTF8.self) }
            text += block.prefix(got)
        }
        return nil
    }
}
