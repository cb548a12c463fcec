import Synchronization
import VisibleLocks

/// The answer to a slot reservation.
public enum SlotReservation: Sendable, Equatable {
    case reserved
    /// The user already holds `held` slots, at or above their limit.
    case userLimitReached(held: Int)
    case globalLimitReached
    /// The shared store that keeps the slots cannot be reached (the database is down): nothing
    /// was reserved; the caller may retry later.
    case unavailable(reason: String)
}

/// Per-user engine slots, checked and taken in one atomic step, so racing requests can never
/// exceed a limit. The in-memory implementation is the embedded default; a shared one (a
/// database shared by several replicas) can replace it when replicas must agree.
///
/// `reserve` answers through `completion` because a shared store answers after a round trip,
/// and no caller may block a loop waiting for it; the in-memory one calls it before returning.
public protocol EngineSlotAccounting: Sendable {
    /// Takes one slot for `userID` if both the user's and the global count stay within limits,
    /// then calls `completion` once with the answer (before returning, or later on another thread).
    func reserve(userID: String, userLimit: Int, globalLimit: Int,
                 completion: @escaping @Sendable (SlotReservation) -> Void)
    /// Gives one of the user's slots back; false if the user held none (accounting drift). A
    /// shared store gives it back in the background and answers true.
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

    public func reserve(userID: String, userLimit: Int, globalLimit: Int,
                        completion: @escaping @Sendable (SlotReservation) -> Void) {
        completion(reserve(userID: userID, userLimit: userLimit, globalLimit: globalLimit))
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
