/// The loop as the application sees it (`ResponseStreamWriter.loop`, `WebSocketSession.loop`).
extension EventLoop: ConnectionLoop {
    func execute(_ task: @escaping @Sendable () -> Void) {
        execute { (_: LoopRuntime) in task() }
    }

    @discardableResult
    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer {
        let id = newTimerID()
        let nanoseconds = delay.saturatingNanoseconds
        if let runtime = runtimeOnLoopThread {
            runtime.schedule(id: id, at: runtime.now &+ nanoseconds) { _ in task() }
        } else {
            let start = monotonicNanoseconds()
            execute { (runtime: LoopRuntime) in runtime.schedule(id: id, at: start &+ nanoseconds) { _ in task() } }
        }
        return ConnectionLoopTimer(loop: self, id: id)
    }

    func cancelTimer(_ id: UInt64) {
        if let runtime = runtimeOnLoopThread {
            runtime.cancelTimer(id)
        } else {
            execute { (runtime: LoopRuntime) in runtime.cancelTimer(id) }
        }
    }
}
