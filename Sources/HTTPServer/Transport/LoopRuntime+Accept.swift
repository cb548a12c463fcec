import Glibc

/// Accepting: new connections from the loop's SO_REUSEPORT socket, the limit, balancing across
/// loops, registration with epoll, and pausing when descriptors run out.
extension LoopRuntime {
    func acceptConnections() {
        guard listener.fd >= 0 else { return }
        for _ in 0..<128 {
            let fd = calls.accept4(listener.fd, nil, nil, LinuxCalls.sockNonblock | LinuxCalls.sockCloexec)
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
            let open = shared.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
            if open > shared.maxConnections {
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                shared.rejectedConnections.wrappingAdd(1, ordering: .relaxed)
                OverCapacityRejection.reject(fd: fd, date: date.bytes)
                continue
            }
            balance(fd: fd)
        }
    }

    /// The kernel spreads accepts over the loops' SO_REUSEPORT sockets by a hash, which leaves
    /// some loops with many more connections than others (and their clients with longer
    /// waits). A connection accepted here goes to the loop with the fewest when this one has
    /// more than that plus one: a task and a wake-up, once per connection.
    func balance(fd: Int32) {
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
            register(fd: fd)
        } else {
            target.execute { runtime in runtime.adopt(fd: fd) }
        }
    }

    /// A connection accepted by another loop, now ours.
    func adopt(fd: Int32) {
        guard running, !drainStarted else {
            loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
            shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
            close(fd)
            if drainStarted { shared.checkDrainComplete() }
            return
        }
        register(fd: fd)
    }

    func register(fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let token = connections.newToken(fd: fd)
        var tls: TLSSession?
        if let context = shared.configuration.tls {
            do {
                tls = try TLSSession(context: context)
            } catch {
                logger.error("cannot create a TLS session: \(error)")
                close(fd)
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                loop.counters.open.wrappingSubtract(1, ordering: .relaxed)
                return
            }
        }
        let connection = HTTPConnection(fd: fd, token: token, runtime: self, tls: tls)
        connections.insert(connection)
        guard epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd, fd: fd,
                           events: connection.io.interest, data: token) == 0 else {
            logger.error("epoll_ctl(ADD) failed for a new connection (errno \(errno))")
            connection.closeNow(reason: .clientClosed)
            return
        }
        connection.start()
    }

    func pauseAccepting(errno error: Int32) {
        guard !listener.paused, listener.fd >= 0 else { return }
        listener.paused = true
        if listener.lastPauseLog == 0 || now &- listener.lastPauseLog >= 10_000_000_000 {
            listener.lastPauseLog = now
            logger.warning("accept4: out of descriptors or memory (errno \(error)); pausing accepts for 100 ms at a time")
        }
        _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlDel, fd: listener.fd, events: 0, data: 0)
        schedule(at: now &+ 100_000_000) { runtime in runtime.resumeAccepting() }
    }

    func resumeAccepting() {
        guard listener.paused, listener.fd >= 0 else { return }
        listener.paused = false
        _ = epollControl(calls, epollFD: loop.epollFD, operation: LinuxCalls.epollCtlAdd, fd: listener.fd,
                         events: LinuxCalls.epollIn, data: LoopRuntime.listenerToken)
    }
}

/// A loop's SO_REUSEPORT listening socket and its pause (out of descriptors).
struct LoopListener {
    /// -1 once closed (drain, stop).
    var fd: Int32
    /// Out of descriptors: not watched by epoll until `resumeAccepting`.
    var paused = false
    /// When running out of descriptors was last logged (at most every 10 s, not every pause).
    var lastPauseLog: UInt64 = 0
}
