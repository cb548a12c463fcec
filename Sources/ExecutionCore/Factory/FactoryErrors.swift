/// The factory could not be constructed.
public enum FactoryConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No event publisher was given: engines could not report anything, so the factory refuses to exist.
    case missingEventPublisher

    public var description: String {
        switch self {
        case .missingEventPublisher: "ExecutionEngineFactory requires an event publisher (the event hub)"
        }
    }
}

/// Why `create(for:)` made no engine. Each case maps to one HTTP answer in the API layer.
public enum EngineCreationError: Error, Sendable, Equatable {
    /// The context breaks a rule (422). Counted in `creation_errors`.
    case invalidContext(ContextValidationError)
    /// The user holds `limit` engines already (429 with `Retry-After`). Counted in
    /// `user_limit_rejections` only.
    case userLimitExceeded(limit: Int, retryAfter: Duration)
    /// The service holds its global maximum of engines (503).
    case globalLimitExceeded(limit: Int)
    /// Engine builds keep failing; the breaker refuses until `retryAfter` (503, fast).
    case breakerOpen(retryAfter: Duration)
    /// Building the engine failed (500). Counted in `creation_errors`; the slot was released.
    case buildFailed(message: String)
    /// The factory is shutting down (503).
    case shuttingDown
    /// The shared store of engine slots (the database) cannot be reached: no slot was taken
    /// (503 with `Retry-After`). Counted in `creation_errors`.
    case storeUnavailable(reason: String)
}

/// What the one cleanup path did.
public enum CleanupOutcome: Sendable, Equatable {
    /// The engine was cleaned now (its live runs ended with a cancel reason).
    case cleaned
    /// It had been cleaned before (or is being cleaned right now).
    case alreadyCleaned
    /// No such engine for this user.
    case unknown
}

/// Why an engine is being cleaned (decides the reason its runs end with).
public enum EngineCleanupCause: String, Sendable, Equatable, CaseIterable {
    /// Its owner deleted it (or its context).
    case requested
    /// Idle for the idle timeout (sweep).
    case idleTimeout = "idle_timeout"
    /// Past its maximum lifetime (sweep).
    case maxLifetime = "max_lifetime"
    /// Service shutdown.
    case shutdown

    var runReason: CancelReason {
        switch self {
        case .requested: .engineCleaned
        case .idleTimeout: .engineCleaned
        case .maxLifetime: .maxLifetime
        case .shutdown: .shutdown
        }
    }

    var isTimeout: Bool { self == .idleTimeout || self == .maxLifetime }
}
