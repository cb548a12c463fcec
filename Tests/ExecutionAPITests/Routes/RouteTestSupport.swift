@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

/// An in-process service and router for route tests: requests go straight to `respond(to:)`
/// (the socket path is covered by the integration tests against the real binary).
struct RouteHarness {
    static let aliceKey = "isod-demo-alice-2c2fc452d01d7aa25a42090a"
    static let bobKey = "isod-demo-bob-5bf60a38c010deed19ba9ad9"

    let service: ExecutionService
    let router: Router

    /// The default settings (demo keys, the builtin `echo` and `tools` agents) after `adjust`.
    init(clock: any ExecutionClock = SystemClock(), _ adjust: (inout ServiceSettings) -> Void = { _ in }) throws {
        var settings = ServiceSettings()
        settings.agents = [AgentDefinition(name: "echo", kind: .builtin(.echo)), AgentDefinition(name: "tools", kind: .builtin(.tools))]
        adjust(&settings)
        service = try ExecutionService(settings: settings, authenticator: try Authenticator(settings: AuthSettings()), clock: clock)
        var router = Router()
        APIRoutes.install(on: &router, service: service)
        self.router = router
    }

    func request(_ method: HTTPMethod, _ path: String, key: String? = RouteHarness.aliceKey, json: String? = nil,
                 headers: [(String, String)] = []) -> (response: HTTPResponse, json: JSONValue?) {
        var all = HTTPHeaders(headers)
        if let key { all.add("Authorization", "Bearer \(key)") }
        if json != nil, all["Content-Type"] == nil { all.add("Content-Type", "application/json") }
        let request = HTTPRequest(method: method, target: path, headers: all, body: json.map { Array($0.utf8) } ?? [])
        let response = router.respond(to: request)
        guard case .bytes(let bytes) = response.body else { return (response, nil) }
        return (response, try? JSONValue.parse(bytes))
    }

    func shutdown() async { await service.shutdown(deadline: .zero) }
}
