/// Where each listed kind of item sits in its owner's newest-first list: its creation time, then
/// its id (the id its API path uses).
extension UserExecutionContext {
    public var listingKey: ListingKey { ListingKey(createdAt: createdAt, id: requestID) }
}

extension UserExecutionEngine {
    public var listingKey: ListingKey { ListingKey(createdAt: createdAt, id: id) }
}

extension EngineSummary {
    public var listingKey: ListingKey { ListingKey(createdAt: createdAt, id: id) }
}

extension RunSnapshot {
    public var listingKey: ListingKey { ListingKey(createdAt: createdAt, id: id) }
}
