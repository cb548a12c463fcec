#if canImport(Glibc)
import Glibc
#endif
@testable import ExecutionAPI
import Testing

@Suite("process_* families from /proc")
struct ProcessStatisticsTests {
    /// A /proc/<pid>/stat line whose command name holds spaces and parentheses (proc(5) fields
    /// 14 utime=250, 15 stime=50, 22 starttime=12345, 23 vsize=409600, 24 rss=100).
    static let stat = "4242 (odd) name (x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 3 0 12345 409600 100 "
        + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

    @Test("stat fields are counted from the last parenthesis")
    func parsesStat() throws {
        let fields = try #require(ProcessStatistics.parseStat(Self.stat))
        #expect(fields == ProcessStatistics.StatFields(userTicks: 250, systemTicks: 50, startTicks: 12345,
                                                       virtualBytes: 409_600, residentPages: 100))
        #expect(ProcessStatistics.parseStat("4242 (short) S 1 2 3") == nil)
        #expect(ProcessStatistics.parseStat("no parenthesis at all") == nil)
    }

    @Test("btime is read from /proc/stat, wherever its line is")
    func parsesBootTime() {
        let text = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 99 0 1 2\nctxt 5\nbtime 1700000000\nprocesses 9\n"
        #expect(ProcessStatistics.parseBootTime(text) == 1_700_000_000)
        #expect(ProcessStatistics.parseBootTime("cpu 1 2\nctxt 5\n") == nil)
    }

    @Test("the live figures agree with what the process can see for itself")
    func liveFigures() throws {
        let before = try #require(ProcessStatistics.current())
        #expect(before.residentMemoryBytes > 0)
        #expect(before.virtualMemoryBytes >= before.residentMemoryBytes)
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(before.maxFileDescriptors == Int(clamping: UInt64(limit.rlim_cur)))
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        #expect(before.startTimeSeconds <= Double(now.tv_sec) + 1)
        #expect(before.startTimeSeconds > Double(now.tv_sec) - 86_400, "the test process started within a day")
        #expect(before.cpuSeconds >= 0)

        // The pipe's two ends are among the entries (other suites open and close descriptors
        // meanwhile, so only a lower bound holds for the process).
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        #expect(try #require(ProcessStatistics.countOpenFileDescriptors()) >= 2)

        // Work until the kernel has charged at least one clock tick more (bounded: 10 s).
        var spin: UInt64 = 1
        var spent = 0.0
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            for step in 0..<1_000_000 { spin = spin &* 6_364_136_223_846_793_005 &+ UInt64(step) }
            spent = (ProcessStatistics.current()?.cpuSeconds ?? 0) - before.cpuSeconds
        } while spent <= 0 && ContinuousClock.now < deadline
        #expect(spin != 0)
        #expect(spent > 0, "CPU seconds grow while the process works")
    }

    @Test("open descriptors: every entry but ., .. and the one reading the directory")
    func countsEntries() throws {
        var template = Array("/tmp/isolationd-fds-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { rmdir(directory) }
        let names = ["a", "b", "99998", "99999"]
        for name in names { #expect(mkdir(directory + "/" + name, 0o700) == 0) }
        defer { for name in names { rmdir(directory + "/" + name) } }
        // Descriptors are allocated lowest first, so the stream's own is never 99998 or 99999
        // here: all four entries count.
        #expect(ProcessStatistics.countOpenFileDescriptors(directory: directory) == names.count)
        #expect(ProcessStatistics.countOpenFileDescriptors(directory: directory + "/missing") == nil)
    }

    @Test("the six families, each with HELP and TYPE, counters ending in _total")
    func families() {
        let stats = ProcessStatistics(cpuSeconds: 1.5, residentMemoryBytes: 4096, virtualMemoryBytes: 8192,
                                      openFileDescriptors: 7, maxFileDescriptors: 1024, startTimeSeconds: 1_700_000_000.25)
        var out = PrometheusExposition()
        stats.write(to: &out)
        let text = String(decoding: out.bytes, as: UTF8.self)
        for line in ["process_cpu_seconds_total 1.5", "process_resident_memory_bytes 4096",
                     "process_virtual_memory_bytes 8192", "process_open_fds 7", "process_max_fds 1024",
                     "process_start_time_seconds 1700000000.25", "# TYPE process_cpu_seconds_total counter",
                     "# TYPE process_open_fds gauge"] {
            #expect(text.contains(line + "\n"), "\(line)")
        }
        #expect(ExpositionLint.problems(text).isEmpty, "\(ExpositionLint.problems(text))")
    }
}
