import Platform

/// The loop as the application sees it (`ResponseStreamWriter.loop`, `WebSocketSession.loop`).
/// `execute` is on `EventLoop` itself (the reactor's task queue).
extension EventLoop: ConnectionLoop {
    /// On the loop thread the task goes straight to the reactor's timers, as given; from
    /// another thread it is handed over as a task, under a number the loop maps to the
    /// reactor's timer once scheduled (the delay counts from this call either way).
    @discardableResult
    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer {
        let deadline = MonotonicClock.now() &+ delay.saturatingNanoseconds
        if inLoopThread {
            return ConnectionLoopTimer(loop: self, handle: .local(reactor.schedule(at: deadline, task)))
        }
        let number = remoteTimerNumbers.wrappingAdd(1, ordering: .relaxed).newValue
        reactor.execute { [self] in
            remoteTimers.value[number] = reactor.schedule(at: deadline) { [self] in
                remoteTimers.value[number] = nil
                task()
            }
        }
        return ConnectionLoopTimer(loop: self, handle: .remote(number))
    }

    /// Cancels a timer made by `schedule(after:)`: at once on the loop thread, else as a task.
    func cancelTimer(_ handle: ConnectionLoopTimer.Handle) {
        guard inLoopThread else {
            reactor.execute { [self] in cancelTimer(handle) }
            return
        }
        switch handle {
        case .local(let id):
            reactor.cancel(id)
        case .remote(let number):
            if let id = remoteTimers.value.removeValue(forKey: number) { reactor.cancel(id) }
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (negative durations count as zero).
    var saturatingNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (s, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max / 2 }
        return s &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
