/// A loop's connections, indexed by descriptor, and the tokens that name them: (serial << 32 |
/// fd), so a stale event, timer or task for a reused descriptor never reaches the wrong
/// connection.
struct ConnectionTable {
    private var slots: [HTTPConnection?] = []
    private var serial: UInt32 = 0

    /// A token for a new connection on `fd` (never 0, and never with a bit of the loop's own
    /// tokens: see `LoopRuntime.wakeToken`, `LoopTimers.taskTokenBit`).
    mutating func newToken(fd: Int32) -> UInt64 {
        serial = (serial &+ 1) & 0x3FFF_FFFF
        return UInt64(serial) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    mutating func insert(_ connection: HTTPConnection) {
        let index = Int(connection.fd)
        if index >= slots.count {
            slots.append(contentsOf: repeatElement(nil, count: max(index + 1 - slots.count, slots.count / 2 + 16)))
        }
        slots[index] = connection
    }

    /// The live connection a token names (nil when it closed meanwhile).
    func connection(for token: UInt64) -> HTTPConnection? {
        let fd = Int(token & 0xFFFF_FFFF)
        guard token & (LoopTimers.taskTokenBit | 1 << 63) == 0, fd < slots.count,
              let connection = slots[fd], connection.token == token else { return nil }
        return connection
    }

    mutating func remove(_ connection: HTTPConnection) {
        let index = Int(connection.fd)
        if index < slots.count, slots[index] === connection { slots[index] = nil }
    }

    /// Every connection open now (a copy: the caller may close them as it goes).
    var all: [HTTPConnection] { slots.compactMap { $0 } }
}
