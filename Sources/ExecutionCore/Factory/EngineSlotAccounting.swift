import Synchronization
import VisibleLocks

/// The answer to a slot reservation.
public enum SlotReservation: Sendable, Equatable {
    case reserved
    /// The user already holds `held` slots, at or above their limit.
    case userLimitReached(held: Int)
    case globalLimitReached
}

/// Per-user engine slots, checked and taken in one atomic step, so racing requests can never
/// exceed a limit. The in-memory implementation is the embedded default; a shared one (advisory
/// locks or row counts) can replace it when several replicas must agree.
public protocol EngineSlotAccounting: Sendable {
    /// Takes one slot for `userID` if both the user's and the global count stay within limits.
    func reserve(userID: String, userLimit: Int, globalLimit: Int) -> SlotReservation
    /// Gives one of the user's slots back; false if the user held none (accounting drift).
    func release(userID: String) -> Bool
    /// Slots the user holds (engines plus creations in flight).
    func held(userID: String) -> Int
    /// Slots held in total.
    var totalHeld: Int { get }
}

/// The embedded slot accounting: one short lock around a dictionary of counts.
public final class InMemoryEngineSlots: EngineSlotAccounting {
    private struct Counts {
        var perUser: [String: Int] = [:]
        var total = 0
    }

    private let counts = VisibleMutex(Counts())

    public init() {}

    public func reserve(userID: String, userLimit: Int, globalLimit: Int) -> SlotReservation {
        counts.withLock { counts in
            let held = counts.perUser[userID] ?? 0
            if held >= userLimit { return .userLimitReached(held: held) }
            if counts.total >= globalLimit { return .globalLimitReached }
            counts.perUser[userID] = held + 1
            counts.total += 1
            return .reserved
        }
    }

    public func release(userID: String) -> Bool {
        counts.withLock { counts in
            guard let held = counts.perUser[userID], held > 0 else { return false }
            counts.perUser[userID] = held > 1 ? held - 1 : nil
            counts.total -= 1
            return true
        }
    }

    public func held(userID: String) -> Int { counts.withLock { $0.perUser[userID] ?? 0 } }

    public var totalHeld: Int { counts.withLock { $0.total } }
}
