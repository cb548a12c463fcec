import Synchronization
import VisibleLocks

/// A connection's peer address as 128 bits (IPv4 mapped into IPv6): the key of the per-peer
/// connection cap.
struct PeerKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
}

/// Who may connect: open connections per peer address, shared by every loop of a server, and
/// the cap on them (`HTTPServerConfiguration.maxConnectionsPerPeer`, issue 12, item 3), so one
/// address cannot take every connection slot from everybody else; and how many connections
/// were refused over a limit. Sharded by address, so loops accepting at once rarely meet on a
/// lock; touched once per accept and once per close, never per request.
final class ConnectionAdmission: Sendable {
    private static let shardCount = 16
    /// 0: no cap (nothing is counted).
    let limit: Int
    private let shards: [Shard]
    /// Connections answered 503 (server full) or 429 (peer full) and closed.
    let rejected = Atomic<Int>(0)

    init(limitPerPeer: Int) {
        limit = max(0, limitPerPeer)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// One lock's share of the addresses (a class: a mutex cannot be copied into an array).
    private final class Shard: Sendable {
        let counts = VisibleMutex<[PeerKey: Int]>([:])
    }

    private func shard(_ peer: PeerKey) -> Shard {
        shards[Int(truncatingIfNeeded: (peer.low ^ peer.high ^ (peer.low >> 32)) % UInt64(Self.shardCount))]
    }

    /// Counts one more connection of `peer`, unless it has `limit` already; false: refuse it.
    func admit(_ peer: PeerKey) -> Bool {
        guard limit > 0 else { return true }
        return shard(peer).counts.withLock { counts in
            let open = counts[peer, default: 0]
            guard open < limit else { return false }
            counts[peer] = open + 1
            return true
        }
    }

    /// One connection `admit` counted has closed.
    func release(_ peer: PeerKey) {
        guard limit > 0 else { return }
        shard(peer).counts.withLock { counts in
            let open = counts[peer, default: 1] - 1
            counts[peer] = open > 0 ? open : nil
        }
    }

    /// Connections of `peer` now (tests and diagnostics).
    func openConnections(of peer: PeerKey) -> Int { shard(peer).counts.withLock { $0[peer, default: 0] } }
}
