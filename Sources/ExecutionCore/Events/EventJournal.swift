/// A durable event log shared by every replica (issue 13: PostgreSQL), behind which the hub
/// becomes a local cache and fan-out. The journal is the truth: it numbers each user's events
/// (strictly increasing, never reused across restarts and replicas), keeps them for a retention
/// period, and tells every replica when a user's log grew.
///
/// The core knows no SQL: `JournaledEventPublisher` writes through `append`, streams resume
/// through `read`, and `follow` is the cross-replica wake-up. Completions may run on any thread
/// (the database's own); they must not block.
public protocol EventJournal: Sendable {
    /// Stores `batch` in one round trip and answers each entry's id, in batch order. Entries of
    /// one user are numbered in batch order; a user's ids commit in id order (an append that
    /// answered id N means every id below N of that user is committed and readable).
    func append(_ batch: [JournalEntry], completion: @escaping @Sendable (Result<[UInt64], JournalError>) -> Void)

    /// The newest `limit` retained events of `userID` with an id above `after`, oldest first
    /// (only those of run `executionID` when it is given: a run stream's replay), and the
    /// user's last id at the time of the read (0 for a user with no event yet).
    func read(userID: String, after: UInt64, limit: Int, executionID: String?,
              completion: @escaping @Sendable (Result<JournalPage, JournalError>) -> Void)

    /// Starts the wake-up from every replica (this one included): `appended` gets a user and its
    /// newest committed id, with when that append committed (for the delivery-lag metric);
    /// `resynchronize` is called whenever notifications may have been missed (the wake-up
    /// connection was re-established), so the caller rereads what it follows.
    func follow(appended: @escaping @Sendable (_ userID: String, _ lastID: UInt64, _ committedAt: Timestamp?) -> Void,
                resynchronize: @escaping @Sendable () -> Void)

    /// The user's run record with this id (from any replica, kept for the run retention), nil
    /// when there is none (another user's run is nil too).
    func findRun(id executionID: String, userID: String,
                 completion: @escaping @Sendable (Result<RunSnapshot?, JournalError>) -> Void)
}

/// One event for the journal: its envelope without an id (`json` is the body `encodeBody` made,
/// without `,"id":N}`), and the change it makes to its run's record, if any.
public struct JournalEntry: Sendable {
    public var envelope: EventEnvelope
    public var run: RunRecordChange?

    public init(envelope: EventEnvelope, run: RunRecordChange?) {
        self.envelope = envelope
        self.run = run
    }
}

/// What a run's queued, started or terminal event says about its record. The journal folds these
/// into one record per run (a terminal state is never replaced; a start time is never cleared).
public struct RunRecordChange: Sendable, Equatable {
    public var state: RunState
    public var createdAt: Timestamp?
    public var startedAt: Timestamp?
    public var endedAt: Timestamp?
    /// The failure kind, cancel reason or "timeout" (`RunSnapshot.reason`).
    public var reason: String?
    public var errorMessage: String?
    /// A completed run's result, as sanitised JSON text.
    public var resultJSON: String?

    public init(state: RunState, createdAt: Timestamp? = nil, startedAt: Timestamp? = nil, endedAt: Timestamp? = nil,
                reason: String? = nil, errorMessage: String? = nil, resultJSON: String? = nil) {
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.reason = reason
        self.errorMessage = errorMessage
        self.resultJSON = resultJSON
    }
}

/// A `read`'s answer.
public struct JournalPage: Sendable {
    /// Oldest first, each with its id and finished JSON (`PublishedEvent.restored`).
    public var events: [PublishedEvent]
    /// The user's newest id when the read ran.
    public var lastID: UInt64

    public init(events: [PublishedEvent], lastID: UInt64) {
        self.events = events
        self.lastID = lastID
    }
}

/// Why the journal could not answer (the database is down, a statement failed or timed out).
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension PublishedEvent {
    /// An event read back from a journal: `body` is what `JournalEntry.envelope.json` held (the
    /// envelope without its id); the id is appended here, as the hub does when it numbers one.
    /// The parsed data is not kept (`EventEnvelope.data` decodes the JSON when asked).
    public static func restored(id: UInt64, type: EventType, identity: EventIdentity, executionID: String,
                                agent: String, timestamp: Timestamp, body: [UInt8]) -> PublishedEvent {
        var json = body
        json.reserveCapacity(json.count + EventEnvelopeEncoder.idReserve)
        EventEnvelopeEncoder.finish(&json, id: id)
        let draft = EventDraft(type: type, identity: identity, executionID: executionID, agent: agent,
                               timestamp: timestamp, data: .null)
        var envelope = EventEnvelope(id: id, draft: draft, json: json)
        envelope.keepEncodedDataOnly()
        return PublishedEvent(envelope)
    }
}
