/// The handlers of a reactor's registered descriptors, indexed by descriptor number (the kernel
/// hands out the lowest free numbers, so the table stays dense). Each entry keeps the serial of
/// its registration: an event whose token carries another serial is for a registration that is
/// gone, and is dropped. Holds each handler strongly until it is removed. Loop thread only.
struct ReactorHandlerTable {
    private struct Entry {
        var handler: (any ReactorHandler)?
        /// 0: free (serials start at 1).
        var serial: UInt32 = 0
    }

    private var entries: [Entry] = []
    private var lastSerial: UInt32 = 0
    private(set) var registeredCount = 0

    /// The next registration's serial: 1 ... 2^31-1, then 1 again (the top bit stays clear for
    /// `ReactorTimers.taskBit`; a wrap needs two billion registrations while an event is queued).
    mutating func nextToken(for fd: Int32) -> ReactorToken {
        lastSerial = lastSerial >= 0x7FFF_FFFF ? 1 : lastSerial + 1
        return ReactorToken(fd: fd, serial: lastSerial)
    }

    mutating func insert(_ handler: any ReactorHandler, for token: ReactorToken) {
        let index = Int(token.fd)
        if index >= entries.count {
            entries.append(contentsOf: repeatElement(Entry(), count: Swift.max(index + 1, entries.count * 2) - entries.count))
        }
        if entries[index].handler == nil { registeredCount += 1 }
        entries[index] = Entry(handler: handler, serial: token.serial)
    }

    /// The handler `token` names, if that registration is still current. Per ready event: one
    /// bounds check, one serial compare.
    @inline(__always)
    func handler(for raw: UInt64) -> (any ReactorHandler)? {
        let index = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: raw))
        guard index < entries.count else { return nil }
        let entry = entries[index]
        guard entry.serial == UInt32(truncatingIfNeeded: raw >> 32) else { return nil }
        return entry.handler
    }

    func isCurrent(_ token: ReactorToken) -> Bool {
        let index = Int(token.fd)
        return index >= 0 && index < entries.count && entries[index].serial == token.serial && entries[index].handler != nil
    }

    /// Forgets `token`'s registration (releasing its handler); false when it was not current.
    mutating func remove(_ token: ReactorToken) -> Bool {
        guard isCurrent(token) else { return false }
        entries[Int(token.fd)] = Entry()
        registeredCount -= 1
        return true
    }

    /// Releases every handler (the reactor is going away).
    mutating func removeAll() {
        entries = []
        registeredCount = 0
    }
}
