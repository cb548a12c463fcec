import VisibleLocks
extension ExecutionEngineFactory {
    /// Stops the factory for good: no new engines, the sweep stopped, running runs given until
    /// `deadline` to finish (new runs refused meanwhile), then every engine cleaned, leftover runs
    /// ending with reason `shutdown`. Afterwards `totalEnginesCleaned == totalEnginesCreated`.
    public func shutdown(deadline: Duration? = nil) async {
        registry.withLock { $0.closed = true }
        await sweeper.withLock { $0 }?.stop()

        let engines = registry.withLock { Array($0.engines.values) }
        for engine in engines { engine.retire() }
        let end = clock.now() + (deadline ?? configuration.shutdownDeadline).clampedForDeadlines
        // Poll on the injected clock: cheap (a handful of engines' flags) and testable with a
        // manual clock, which wakes this sleeper when it is moved past `end`.
        while clock.now() < end, engines.contains(where: \.hasLiveRuns) {
            let next = min(clock.now() + .milliseconds(50), end)
            do { try await clock.sleep(until: next) } catch { break }
        }

        for engine in registry.withLock({ Array($0.engines.values) }) {
            _ = cleanUp(engine, cause: .shutdown)
        }
    }

    /// True once `shutdown` has begun.
    public var isShutDown: Bool { registry.withLock { $0.closed } }
}
