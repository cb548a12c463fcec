import Testing
import ExecutionCore

@Suite("Idempotency store")
struct IdempotencyStoreTests {
    let t0 = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test("first use proceeds, a retry in progress is refused, a completed one replays")
    func lifecycle() {
        let store = InMemoryIdempotencyStore(ttl: .seconds(60))
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0) == .proceed)
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0) == .inProgress)
        store.complete(userID: "u1", key: "k", payload: [9, 9], now: t0)
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0) == .replay(payload: [9, 9]))
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [2], now: t0) == .fingerprintMismatch)
    }

    @Test("keys are scoped per user")
    func perUser() {
        let store = InMemoryIdempotencyStore()
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0) == .proceed)
        #expect(store.begin(userID: "u2", key: "k", fingerprint: [2], now: t0) == .proceed)
        #expect(store.count == 2)
    }

    @Test("entries expire after the TTL and the sweep drops them")
    func expiry() {
        let store = InMemoryIdempotencyStore(ttl: .seconds(10))
        _ = store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0)
        store.complete(userID: "u1", key: "k", payload: [1], now: t0)
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [2], now: t0 + .seconds(11)) == .proceed)
        store.complete(userID: "u1", key: "k", payload: [2], now: t0 + .seconds(11))
        #expect(store.sweep(now: t0 + .seconds(30)) == 1)
        #expect(store.count == 0)
    }

    @Test("released reservations can be retried")
    func release() {
        let store = InMemoryIdempotencyStore()
        _ = store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0)
        store.release(userID: "u1", key: "k")
        #expect(store.begin(userID: "u1", key: "k", fingerprint: [1], now: t0) == .proceed)
    }

    @Test("each user holds a bounded number of keys, oldest evicted first")
    func bounded() {
        let store = InMemoryIdempotencyStore(maxKeysPerUser: 3)
        for i in 0..<10 {
            #expect(store.begin(userID: "u1", key: "k\(i)", fingerprint: [1], now: t0 + .seconds(Int64(i))) == .proceed)
            store.complete(userID: "u1", key: "k\(i)", payload: [UInt8(i)], now: t0 + .seconds(Int64(i)))
        }
        #expect(store.count == 3)
        #expect(store.begin(userID: "u1", key: "k9", fingerprint: [1], now: t0 + .seconds(10)) == .replay(payload: [9]))
        #expect(store.begin(userID: "u1", key: "k0", fingerprint: [1], now: t0 + .seconds(10)) == .proceed)
    }

    @Test("concurrent retries of one key: exactly one proceeds")
    func concurrent() async {
        let store = InMemoryIdempotencyStore()
        let t0 = self.t0
        let proceeded = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask { store.begin(userID: "u1", key: "same", fingerprint: [7], now: t0) == .proceed }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(proceeded == 1)
    }
}
