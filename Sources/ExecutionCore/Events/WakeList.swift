/// Wake closures collected under a lock and called after it is released. The first is stored
/// inline: the common single-subscriber publish allocates nothing for it.
struct WakeList {
    private var first: (@Sendable () -> Void)?
    private var rest: [@Sendable () -> Void] = []

    mutating func append(_ wake: @escaping @Sendable () -> Void) {
        if first == nil { first = wake } else { rest.append(wake) }
    }

    func callAll() {
        first?()
        for wake in rest { wake() }
    }
}
