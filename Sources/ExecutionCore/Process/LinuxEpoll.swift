#if canImport(Glibc)
import Glibc
#endif

/// epoll and eventfd, which Swift's Glibc module does not export: looked up in libc at run time,
/// with `struct epoll_event` laid out by hand (packed, 12 bytes, on x86_64; 16 bytes elsewhere).
struct LinuxEpoll: Sendable {
    typealias Create1 = @convention(c) (Int32) -> Int32
    typealias Control = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32

    let create1: Create1
    let control: Control
    let wait: Wait
    let eventFD: EventFD

    /// nil when libc lacks any of them (not Linux).
    static let shared: LinuxEpoll? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let create1 = dlsym(handle, "epoll_create1"), let control = dlsym(handle, "epoll_ctl"),
              let wait = dlsym(handle, "epoll_wait"), let eventFD = dlsym(handle, "eventfd") else { return nil }
        return LinuxEpoll(create1: unsafeBitCast(create1, to: Create1.self), control: unsafeBitCast(control, to: Control.self),
                          wait: unsafeBitCast(wait, to: Wait.self), eventFD: unsafeBitCast(eventFD, to: EventFD.self))
    }()

    // Linux ABI values (identical on x86_64 and aarch64).
    static let closeOnExec: Int32 = 0o2000000
    static let nonBlocking: Int32 = 0o4000
    static let input: UInt32 = 0x001
    static let output: UInt32 = 0x004
    static let add: Int32 = 1
    static let delete: Int32 = 2

    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    /// Registers `fd` for `events`, tagging it with `data`.
    func add(_ epollFD: Int32, fd: Int32, events: UInt32, data: UInt64) -> Bool {
        var raw = [UInt8](repeating: 0, count: Self.eventSize)
        raw.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: data, toByteOffset: Self.dataOffset, as: UInt64.self)
        }
        return raw.withUnsafeMutableBytes { control(epollFD, Self.add, fd, $0.baseAddress) } == 0
    }

    func remove(_ epollFD: Int32, fd: Int32) {
        var raw = [UInt8](repeating: 0, count: Self.eventSize)
        _ = raw.withUnsafeMutableBytes { control(epollFD, Self.delete, fd, $0.baseAddress) }
    }
}

/// A reusable `epoll_wait` result buffer.
struct EpollEventBuffer {
    private var raw: [UInt8]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        raw = [UInt8](repeating: 0, count: capacity * LinuxEpoll.eventSize)
    }

    /// Waits; returns how many events are ready (0 on timeout or EINTR, -1 on error).
    mutating func wait(_ calls: LinuxEpoll, epollFD: Int32, timeoutMilliseconds: Int32) -> Int {
        let capacity = Int32(capacity)
        let count = raw.withUnsafeMutableBytes { calls.wait(epollFD, $0.baseAddress, capacity, timeoutMilliseconds) }
        if count < 0 { return errno == EINTR ? 0 : -1 }
        return Int(count)
    }

    func data(at index: Int) -> UInt64 {
        raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * LinuxEpoll.eventSize + LinuxEpoll.dataOffset, as: UInt64.self) }
    }
}
