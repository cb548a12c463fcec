import Glibc
import Platform

/// Accepting: new connections from the loop's SO_REUSEPORT socket, the limit, balancing across
/// loops, registration with epoll, and pausing when descriptors run out or the accept rate is
/// used up.
extension LoopRuntime {
    /// Connections accepted per readiness of the listening socket (one loop turn) at most. The
    /// socket is level-triggered: what is left is accepted next turn, after the turn's ready
    /// connections were served, so a flood of connects delays established connections by one
    /// batch per turn at most (a batch costs about 64 × 5 µs).
    static let acceptBatch = 64

    func acceptConnections() {
        guard listener.fd >= 0 else { return }
        var address: (high: UInt64, low: UInt64) = (0, 0)
        for _ in 0..<Self.acceptBatch {
            guard acceptRate.mayAccept(now: now) else {
                deferAccepting(until: acceptRate.nextTokenAt(now: now))
                return
            }
            let fd = PlatformCalls.acceptNonBlocking(listener.fd, peer: &address)
            if fd < 0 {
                let error = errno
                switch error {
                case EAGAIN, EWOULDBLOCK:
                    return
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting(errno: error)
                    return
                default:
                    logger.error("accept4 failed (errno \(error))")
                    return
                }
            }
            loop.counters.accepted.wrappingAdd(1, ordering: .relaxed)
            acceptRate.accepted()
            let open = shared.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
            let peer = PeerKey(high: address.high, low: address.low)
            if open > shared.maxConnections || !shared.guards.admission.admit(peer) {
                let serverFull = open > shared.maxConnections
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                shared.guards.admission.rejected.wrappingAdd(1, ordering: .relaxed)
                OverCapacityRejection.reject(fd: fd, date: date.bytes, responder: shared.responder,
                                             peerFull: !serverFull)
                continue
            }
            balance(fd: fd, peer: peer)
        }
    }

    /// The kernel spreads accepts over the loops' SO_REUSEPORT sockets by a hash, which leaves
    /// some loops with many more connections than others (and their clients with longer
    /// waits). A connection accepted here goes to the loop with the fewest when this one has
    /// more than that plus one: a task and a wake-up, once per connection.
    func balance(fd: Int32, peer: PeerKey) {
        var target = loop
        var fewest = loop.counters.open.load(ordering: .relaxed)
        for peer in peers where peer !== loop {
            let count = peer.counters.open.load(ordering: .relaxed)
            if count + 1 < fewest {
                fewest = count
                target = peer
            }
        }
        target.counters.open.wrappingAdd(1, ordering: .relaxed)
        if target === loop {
            register(fd: fd, peer: peer)
        } else {
            // A plain task, not a runtime one: if the target loop has ended, the task still runs
            // (or is dropped with the reactor) and the descriptor is closed, not leaked.
            target.execute { [target, shared] in
                if let runtime = target.runtimeOnLoopThread {
                    runtime.adopt(fd: fd, peer: peer)
                } else {
                    target.counters.open.wrappingSubtract(1, ordering: .relaxed)
                    shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                    shared.guards.admission.release(peer)
                    close(fd)
                }
            }
        }
    }

    /// A connection accepted by another loop, now ours.
    func adopt(fd: Int32, peer: PeerKey) {
        guard running, !drainStarted else {
            loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
            shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
            shared.guards.admission.release(peer)
            close(fd)
            if drainStarted { shared.checkDrainComplete() }
            return
        }
        register(fd: fd, peer: peer)
    }

    func register(fd: Int32, peer: PeerKey) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tls: TLSSession?
        if let context = shared.configuration.tls {
            do {
                tls = try TLSSession(context: context)
            } catch {
                logger.error("cannot create a TLS session: \(error)")
                close(fd)
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                shared.guards.admission.release(peer)
                loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
                return
            }
        }
        let connection = HTTPConnection(fd: fd, peer: peer, runtime: self, tls: tls)
        do {
            connection.registration = try reactor.register(fd: fd, events: connection.io.interest, handler: connection)
        } catch {
            logger.error("cannot watch a new connection: \(error)")
            connections.insert(connection)
            connection.closeNow(reason: .clientClosed)
            return
        }
        connections.insert(connection)
        connection.start()
    }

    func pauseAccepting(errno error: Int32) {
        guard !listener.paused, listener.fd >= 0 else { return }
        listener.paused = true
        if listener.lastPauseLog == 0 || now &- listener.lastPauseLog >= 10_000_000_000 {
            listener.lastPauseLog = now
            logger.warning("accept4: out of descriptors or memory (errno \(error)); pausing accepts for 100 ms at a time")
        }
        unwatchListener()
        schedule(at: now &+ 100_000_000) { runtime in runtime.resumeAccepting() }
    }

    /// The accept rate is used up: stop watching the listening socket until `deadline` (the
    /// next token). Connections wait in the kernel's backlog meanwhile; none is refused.
    func deferAccepting(until deadline: UInt64) {
        guard !listener.paused, listener.fd >= 0 else { return }
        listener.paused = true
        loop.counters.acceptsDeferred.wrappingAdd(1, ordering: .relaxed)
        unwatchListener()
        schedule(at: deadline) { runtime in runtime.resumeAccepting() }
    }

    func resumeAccepting() {
        guard listener.paused, listener.fd >= 0 else { return }
        listener.paused = false
        watchListener()
    }

    /// Registers the listening socket with the reactor (this runtime is its handler).
    func watchListener() {
        do {
            listener.registration = try reactor.register(fd: listener.fd, events: Epoll.input, handler: self)
        } catch {
            logger.error("event loop \(loop.index): cannot watch the listening socket: \(error)")
        }
    }

    /// Stops watching the listening socket (paused, draining or stopping).
    func unwatchListener() {
        guard let registration = listener.registration else { return }
        listener.registration = nil
        reactor.deregister(registration)
    }
}

/// A loop's SO_REUSEPORT listening socket and its pause (out of descriptors).
struct LoopListener {
    /// -1 once closed (drain, stop).
    var fd: Int32
    /// Out of descriptors: not watched by the reactor until `resumeAccepting`.
    var paused = false
    /// The reactor's registration while watched.
    var registration: ReactorToken?
    /// When running out of descriptors was last logged (at most every 10 s, not every pause).
    var lastPauseLog: UInt64 = 0
}
