import ExecutionAPI
import IsolationdConfiguration
import Testing

/// The published demo keys are accepted only on loopback, or with an explicit opt-in
/// (issue 14, item 6).
@Suite("Demo keys: loopback only unless opted in")
struct DemoKeyExposureTests {
    @Test("demo keys off loopback are refused with a message naming the fix and the opt-in")
    func refusedOffLoopback() throws {
        var configuration = ServiceConfiguration()
        #expect(configuration.auth.demoKeysActive, "the defaults carry the demo keys")
        configuration.server.host = "0.0.0.0"
        do {
            try DemoKeyExposure.check(configuration, environment: [:])
            Issue.record("0.0.0.0 with demo keys was accepted")
        } catch {
            #expect(error.message.contains("ISOLATIOND_ALLOW_DEMO_KEYS=1"))
            #expect(error.message.contains("auth.api_keys"))
            #expect(error.message.contains("0.0.0.0"))
        }
        for refused in ["no", "0", ""] {
            #expect(throws: ConfigurationError.self) {
                try DemoKeyExposure.check(configuration, environment: ["ISOLATIOND_ALLOW_DEMO_KEYS": refused])
            }
        }
        for optIn in ["1", "true", "TRUE"] {
            try DemoKeyExposure.check(configuration, environment: ["ISOLATIOND_ALLOW_DEMO_KEYS": optIn])
        }
    }

    @Test("loopback listeners and configurations without demo keys need no opt-in")
    func allowed() throws {
        var configuration = ServiceConfiguration()
        for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            configuration.server.host = host
            try DemoKeyExposure.check(configuration, environment: [:])
        }
        configuration.server.host = "0.0.0.0"
        configuration.auth.demoKeys = false
        configuration.auth.apiKeys = [.init(userID: "ops", roles: ["user"], sha256: String(repeating: "ab", count: 32))]
        try DemoKeyExposure.check(configuration, environment: [:])
    }
}
