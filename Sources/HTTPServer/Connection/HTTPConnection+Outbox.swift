/// The application's side of a streamed body or WebSocket: its `ConnectionOutbox`, written
/// directly on the loop thread or taken in batches from other threads.
extension HTTPConnection {
    /// The head is queued; hand the producer its writer (on this loop thread, so what it writes
    /// at once goes straight into the output buffer).
    func startStream(_ producer: StreamingBody, chunked: Bool, keepAlive: Bool, encoder: GzipStreamEncoder?) {
        let outbox = ConnectionOutbox(loop: runtime.loop, token: token, bound: shared.outboundBufferBytes)
        let writer = ConnectionStreamWriter(outbox: outbox)
        machine.startStreaming(StreamState(writer: writer, chunked: chunked, keepAlive: keepAlive, encoder: encoder))
        // A stream that starts during a drain learns of it as soon as it registers.
        if shared.isDraining { writer.signalShutdown() }
        producer.start(writer)
    }

    /// A write made on the loop thread (`ConnectionOutbox.enqueue`): straight into the output
    /// buffer, after anything other threads queued before it, within the same bound; flushed at
    /// the end of the turn.
    func outboxWrite(_ bytes: [UInt8], from outbox: ConnectionOutbox) -> StreamWriteResult {
        switch machine.state {
        case .streaming(let stream) where stream.writer.outbox === outbox:
            if outbox.hasPending {
                guard let queued = outbox.takeChunksBeforeWrite() else { return .closed }
                for chunk in queued { appendStreamBytes(chunk, stream) }
            }
            let result = admit(bytes, bound: outbox.bound)
            if result == .queued { appendStreamBytes(bytes, stream) }
            return result
        case .webSocket(let channel) where channel.session.outbox === outbox:
            guard !channel.machine.isClosing else { return .closed }
            if outbox.hasPending {
                guard let queued = outbox.takeChunksBeforeWrite() else { return .closed }
                for frame in queued { io.outbound.append(contentsOf: frame) }
            }
            let result = admit(bytes, bound: outbox.bound)
            if result == .queued { io.outbound.append(contentsOf: bytes) }
            return result
        default:
            return .closed
        }
    }

    /// The outbound bound for a loop-thread write: everything not yet taken by the socket
    /// counts (a chunk larger than the bound still goes when nothing else waits).
    private func admit(_ bytes: [UInt8], bound: Int) -> StreamWriteResult {
        runtime.flushAtEndOfTurn(self)
        guard !bytes.isEmpty else { return .queued }
        let backlog = io.pendingOutputBytes
        guard backlog == 0 || backlog &+ bytes.count <= bound else { return .overflow }
        // The high-water mark of stream queues (a statistic: only this loop writes its counter).
        let counters = runtime.loop.counters
        if backlog &+ bytes.count > counters.streamBacklogPeak.load(ordering: .relaxed) {
            counters.streamBacklogPeak.store(backlog &+ bytes.count, ordering: .relaxed)
        }
        return .queued
    }

    /// Takes what the application queued from other threads, and applies an end it asked for;
    /// sends a deferred answer that came.
    func applyOutbox() {
        switch machine.state {
        case .streaming(let stream) where stream.writer.outbox.hasPending:
            applyStreamBatch(stream)
        case .webSocket(let channel) where channel.session.outbox.hasPending:
            applyWebSocketBatch(channel)
        case .awaitingResponse(let deferred):
            applyDeferredCompletion(deferred)
        default:
            break
        }
    }

    /// Tells the outbox how many bytes the socket has not taken yet (the bound for other threads);
    /// once everything went out, an owed pong is paid.
    func publishBacklog() {
        let drained: (@Sendable () -> Void)?
        switch machine.state {
        case .streaming(let stream):
            drained = stream.writer.outbox.publishBacklog(io.pendingOutputBytes)
        case .webSocket(let channel):
            drained = channel.session.outbox.publishBacklog(io.pendingOutputBytes)
            if !io.hasPendingOutput { channel.pongOwed = false }
        default:
            drained = nil
        }
        if let drained { runtime.reactor.execute(drained) }
    }

    private func applyStreamBatch(_ stream: StreamState) {
        let batch = stream.writer.outbox.takeBatch()
        for chunk in batch.chunks { appendStreamBytes(chunk, stream) }
        guard case .finish(let final)? = batch.end else { return }
        if let final { appendStreamBytes(final, stream) }
        if let encoder = stream.encoder { appendFramed(encoder.finish(), stream) }
        if stream.chunked { ResponseHeadWriter.appendStatic(ResponseHeadWriter.lastChunk, to: &io.outbound) }
        // Requests pipelined behind the stream are answered next (see `resumeWaitingInput`).
        _ = machine.finishStream(draining: shared.isDraining, inputWaiting: io.hasBufferedInput, now: runtime.now)
        stream.writer.streamEnded(.finished)
    }

    private func appendStreamBytes(_ bytes: [UInt8], _ stream: StreamState) {
        guard !bytes.isEmpty else { return }
        // Each write is flushed through gzip so an event reaches the client at once.
        appendFramed(stream.encoder.map { $0.compress(bytes, flush: true) } ?? bytes, stream)
    }

    private func appendFramed(_ bytes: [UInt8], _ stream: StreamState) {
        guard !bytes.isEmpty else { return }
        if stream.chunked {
            bytes.withUnsafeBytes { ResponseHeadWriter.appendChunk($0, to: &io.outbound) }
        } else {
            io.outbound.append(contentsOf: bytes)
        }
    }
}
