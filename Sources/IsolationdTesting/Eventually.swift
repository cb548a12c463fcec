/// Polls `condition` until it holds or `within` has passed; returns whether it held. For
/// effects that land on another thread or task (a sweep, a drain, a stream ending): every wait
/// is bounded, and a passing test returns as soon as the condition holds.
@discardableResult
public func eventually(within: Duration = .seconds(30), every interval: Duration = .milliseconds(5),
                       _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + within
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

/// `eventually` for a condition that must itself wait (a request to a server).
@discardableResult
public func eventuallyAsync(within: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
                            _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + within
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}
