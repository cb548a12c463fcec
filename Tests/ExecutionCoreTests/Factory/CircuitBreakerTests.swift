import Testing
@testable import ExecutionCore

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    func permit(_ breaker: CircuitBreaker) -> CircuitBreaker.Permit? {
        if case .allowed(let permit) = breaker.acquire() { return permit }
        return nil
    }

    @Test("closed → open after N consecutive failures; open answers fast with the remaining cool-down")
    func opens() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(failureThreshold: 3, cooldown: .seconds(30), clock: clock)
        for _ in 0..<2 { breaker.recordFailure(try #require(permit(breaker))) }
        #expect(breaker.consecutiveFailures == 2)
        breaker.recordSuccess(try #require(permit(breaker)))
        #expect(breaker.consecutiveFailures == 0)
        for _ in 0..<3 { breaker.recordFailure(try #require(permit(breaker))) }
        #expect(breaker.state == .open)
        clock.advance(by: .seconds(10))
        #expect(breaker.acquire() == .rejected(retryAfter: .seconds(20)))
    }

    @Test("half-open lets exactly one probe through; its success closes the breaker")
    func halfOpenSuccess() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(failureThreshold: 1, cooldown: .seconds(30), clock: clock)
        breaker.recordFailure(try #require(permit(breaker)))
        clock.advance(by: .seconds(30))
        #expect(breaker.state == .halfOpen)
        let probe = try #require(permit(breaker))
        #expect(probe.isProbe)
        #expect(breaker.acquire() == .rejected(retryAfter: .seconds(1)))
        breaker.recordSuccess(probe)
        #expect(breaker.state == .closed)
        #expect(permit(breaker)?.isProbe == false)
    }

    @Test("half-open → open again when the probe fails; an abandoned probe frees the probe slot")
    func halfOpenFailure() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(failureThreshold: 1, cooldown: .seconds(30), clock: clock)
        breaker.recordFailure(try #require(permit(breaker)))
        clock.advance(by: .seconds(30))
        let abandoned = try #require(permit(breaker))
        breaker.abandon(abandoned)
        let probe = try #require(permit(breaker))
        #expect(probe.isProbe)
        breaker.recordFailure(probe)
        #expect(breaker.state == .open)
        #expect(breaker.acquire() == .rejected(retryAfter: .seconds(30)))
    }

    @Test("the factory's breaker: builds failing open it, creation answers fast, a probe closes it")
    func factoryBreaker() throws {
        let fixture = try EngineFixture(configuration: FactoryConfiguration(breakerFailureThreshold: 5, breakerCooldown: .seconds(30)))
        fixture.builder.setFailing(true)
        for index in 0..<5 {
            #expect(throws: EngineCreationError.self) { try fixture.engine(user: "user-\(index)") }
        }
        #expect(fixture.factory.breaker.state == .open)
        #expect(throws: EngineCreationError.breakerOpen(retryAfter: .seconds(30))) { try fixture.engine(user: "someone") }
        #expect(fixture.builder.buildCount == 5)
        #expect(fixture.factory.metrics.breakerRejections == 1)
        #expect(fixture.factory.metrics.breakerState == .open)
        #expect(fixture.factory.slots.totalHeld == 0)
        fixture.clock.advance(by: .seconds(30))
        // Half-open: the probe fails → open again.
        #expect(throws: EngineCreationError.self) { try fixture.engine(user: "prober") }
        #expect(fixture.factory.breaker.state == .open)
        fixture.clock.advance(by: .seconds(30))
        fixture.builder.setFailing(false)
        _ = try fixture.engine(user: "prober")
        #expect(fixture.factory.breaker.state == .closed)
        // The breaker is not the per-user quota: quota refusals never open it.
        for _ in 0..<10 { _ = try? fixture.engine(user: "prober") }
        #expect(fixture.factory.breaker.state == .closed)
        #expect(fixture.factory.metrics.userLimitRejections == 9)
    }
}
