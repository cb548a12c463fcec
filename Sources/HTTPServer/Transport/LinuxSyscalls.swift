import Glibc

/// The few Linux calls Swift's Glibc module does not import: epoll and eventfd live in headers its
/// module map leaves out, and accept4 needs _GNU_SOURCE. Each is resolved once through `dlsym` as a
/// C function pointer (`@convention(c)` keeps the C calling convention exact), which spares the
/// package an extra C target.
enum LinuxCalls {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    struct Table: Sendable {
        let epollCreate1: EpollCreate1
        let epollCtl: EpollCtl
        let epollWait: EpollWait
        let eventFD: EventFD
        let accept4: Accept4
    }

    /// nil only on a libc without these symbols (not Linux): the server then refuses to start.
    static let table: Table? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let create = dlsym(handle, "epoll_create1"),
              let ctl = dlsym(handle, "epoll_ctl"),
              let wait = dlsym(handle, "epoll_wait"),
              let efd = dlsym(handle, "eventfd"),
              let acc = dlsym(handle, "accept4") else { return nil }
        return Table(epollCreate1: unsafeBitCast(create, to: EpollCreate1.self),
                     epollCtl: unsafeBitCast(ctl, to: EpollCtl.self),
                     epollWait: unsafeBitCast(wait, to: EpollWait.self),
                     eventFD: unsafeBitCast(efd, to: EventFD.self),
                     accept4: unsafeBitCast(acc, to: Accept4.self))
    }()

    // Constants from <sys/epoll.h> and <sys/eventfd.h> (stable kernel ABI values).
    static let epollIn: UInt32 = 0x001
    static let epollOut: UInt32 = 0x004
    static let epollErr: UInt32 = 0x008
    static let epollHup: UInt32 = 0x010
    static let epollRdHup: UInt32 = 0x2000
    static let epollCtlAdd: Int32 = 1
    static let epollCtlDel: Int32 = 2
    static let epollCtlMod: Int32 = 3
    static let epollCloexec: Int32 = 0o2000000
    static let eventFDNonblock: Int32 = 0o4000
    static let eventFDCloexec: Int32 = 0o2000000
    static let sockNonblock: Int32 = 0o4000
    static let sockCloexec: Int32 = 0o2000000

    /// Size of `struct epoll_event` and the offset of its `data` field: the struct is packed on
    /// x86_64 (12 bytes), naturally aligned elsewhere (16 bytes).
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollDataOffset = 8
    #endif
}

/// A fixed array of `struct epoll_event` in raw memory (the packed layout cannot be a Swift struct).
struct EpollEventBuffer: ~Copyable {
    let capacity: Int
    let storage: UnsafeMutableRawPointer

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * LinuxCalls.epollEventSize, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * LinuxCalls.epollEventSize)
    }
    deinit { storage.deallocate() }

    @inline(__always) func events(at index: Int) -> UInt32 {
        storage.loadUnaligned(fromByteOffset: index * LinuxCalls.epollEventSize, as: UInt32.self)
    }
    @inline(__always) func data(at index: Int) -> UInt64 {
        storage.loadUnaligned(fromByteOffset: index * LinuxCalls.epollEventSize + LinuxCalls.epollDataOffset, as: UInt64.self)
    }
}

/// epoll_ctl with one event built on the stack.
@inline(__always)
func epollControl(_ table: LinuxCalls.Table, epollFD: Int32, operation: Int32, fd: Int32, events: UInt32, data: UInt64) -> Int32 {
    withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { raw -> Int32 in
        guard let base = raw.baseAddress else { return -1 }
        base.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: data, toByteOffset: LinuxCalls.epollDataOffset, as: UInt64.self)
        return table.epollCtl(epollFD, operation, fd, base)
    }
}

/// Monotonic time in nanoseconds (for deadlines).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// Whole nanoseconds, saturating (negative durations count as zero).
    var saturatingNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (s, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max / 2 }
        return s &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
