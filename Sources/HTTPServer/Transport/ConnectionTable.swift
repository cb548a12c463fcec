/// A loop's connections, indexed by descriptor and named by token: their reactor
/// registration's (serial << 32 | fd), so a stale task for a reused descriptor never reaches the
/// wrong connection.
struct ConnectionTable {
    private var slots: [HTTPConnection?] = []

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
        guard fd < slots.count,
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
