/// The loop as the application sees it (`ResponseStreamWriter.loop`, `WebSocketSession.loop`).
/// `execute` is on `EventLoop` itself (it shares the task queue).
extension EventLoop: ConnectionLoop {
    /// From the loop thread the timer goes straight into the loop's heap; from another thread
    /// it is handed over as a task (the delay counts from this call either way).
    @discardableResult
    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer {
        let token = newTimerToken()
        let deadline = monotonicNanoseconds() &+ delay.saturatingNanoseconds
        if let runtime = runtimeOnLoopThread {
            runtime.schedule(token: token, at: deadline, .plain(task))
        } else {
            execute { (runtime: LoopRuntime) in runtime.schedule(token: token, at: deadline, .plain(task)) }
        }
        return ConnectionLoopTimer(loop: self, token: token)
    }

    /// Cancels a timer made by `schedule(after:)`: at once on the loop thread, else as a task.
    func cancelTimer(_ token: UInt64) {
        if let runtime = runtimeOnLoopThread {
            runtime.cancelTimer(token)
        } else {
            execute { (runtime: LoopRuntime) in runtime.cancelTimer(token) }
        }
    }
}
