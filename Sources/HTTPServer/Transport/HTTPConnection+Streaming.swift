/// Streamed (chunked) response bodies.
extension HTTPConnection {
    /// The head is queued; hand the producer its writer.
    func startStream(_ producer: StreamingBody, chunked: Bool, keepAlive: Bool) {
        let writer = ConnectionStreamWriter(loop: runtime.loop, connectionToken: token,
                                            bound: shared.outboundBufferBytes)
        stream = writer
        streamIsChunked = chunked
        streamKeepAlive = keepAlive
        phase = .streaming
        // A stream that starts during a drain learns of it as soon as it registers.
        if shared.phase.rawValue >= ServerPhase.draining.rawValue { writer.signalShutdown() }
        producer.start(writer)
    }

    /// The responder's streamed or WebSocket body will not be sent after all: its producer
    /// learns it at once (exactly one of `start`/`notStarted`, `onOpen`/`onRefused` runs for
    /// every response a responder returns).
    func bodyNotSent(_ body: ResponseBody) {
        switch body {
        case .stream(let producer): producer.notStarted()
        case .webSocket(let upgrade): upgrade.onRefused()
        case .empty, .bytes: break
        }
    }

    /// Loop task: the producer queued chunks or finished.
    func streamHasOutput() {
        guard phase == .streaming, let writer = stream else { return }
        let batch = writer.takeBatch()
        for chunk in batch.chunks { appendStreamBytes(chunk) }
        if batch.finish {
            if let final = batch.finalBytes { appendStreamBytes(final) }
            if let encoder = streamEncoder {
                streamEncoder = nil
                appendFramed(encoder.finish())
            }
            stream = nil
            if streamIsChunked {
                ResponseHeadWriter.appendStatic(ResponseHeadWriter.lastChunk, to: &outbound)
                finishResponse(keepAlive: streamKeepAlive && !closeAfterResponse && !peerClosedInput)
            } else {
                phase = .closingAfterFlush
            }
            writer.streamEnded(.finished)
            // Requests pipelined behind the stream are answered now.
            if phase == .awaitingHead { processBufferedInput() }
        }
        finishTurn()
    }

    /// End of a loop turn in which the loop thread wrote to this connection's stream or
    /// WebSocket (or finished or closed it): take what is left and flush.
    func takeLoopOutput() {
        switch phase {
        case .streaming: streamHasOutput()
        case .webSocket: webSocketHasOutput()
        default: finishTurn()
        }
    }

    /// Framed (and compressed, when the stream is) into `outbound`.
    func appendStreamBytes(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        // Each write is flushed through gzip so an event reaches the client at once.
        appendFramed(streamEncoder.map { $0.compress(bytes, flush: true) } ?? bytes)
    }

    private func appendFramed(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if streamIsChunked {
            bytes.withUnsafeBytes { ResponseHeadWriter.appendChunk($0, to: &outbound) }
        } else {
            outbound.append(contentsOf: bytes)
        }
    }
}
