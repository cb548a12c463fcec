#if canImport(Glibc)
import Glibc
#endif
@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("OpenAPI document")
struct OpenAPICoverageTests {
    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    @Test("the served document is the document of the service's own settings (its limits and agents)")
    func servedDocumentIsTheSettingsDocument() throws {
        let harness = try RouteHarness { $0.contexts.maxJSONBytes = 4096; $0.contexts.placeholderValues = ["nothing"] }
        defer { Task { await harness.shutdown() } }
        let served = harness.request(.get, "/openapi.json", key: nil).response
        guard case .bytes(let bytes) = served.body else { Issue.record("no body"); return }
        #expect(bytes == OpenAPIDocument.bytes(for: harness.service.settings))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("At most 4096 bytes serialized"))
        #expect(text.contains("[Nn][Oo][Tt][Hh][Ii][Nn][Gg]"))
        // The agents a run may name are the configured ones.
        let agent = try JSONValue.parse(bytes)["components"]?["schemas"]?["RunCreate"]?["properties"]?["agent"]?["enum"]
        #expect(agent == .array([.string("echo"), .string("tools")]))
    }

    @Test("every registered route and method is described, the stream routes too")
    func everyRouteDescribed() async throws {
        let harness = try RouteHarness()
        let document = try JSONValue.parse(OpenAPIDocument.bytes(for: harness.service.settings))
        let paths = try #require(document["paths"]?.objectValue)
        #expect(document["openapi"] == .string("3.1.0"))
        for pattern in harness.router.patterns {
            let path = OpenAPIDocument.openAPIPath(pattern)
            let item = try #require(paths[path], "\(pattern) is not in the document")
            let sample = pattern.replacingParameters()
            for method in ["get", "post", "delete", "put", "patch"] {
                let routed = harness.router.pattern(method: HTTPMethod(rawValue: method.uppercased()), path: sample) == pattern
                #expect(routed == (item[method] != nil), "\(method) \(pattern): routed \(routed), documented \(item[method] != nil)")
            }
        }
        for streamPath in ["/v1/events", "/v1/runs/{id}/events", "/v1/events/ws"] {
            #expect(paths[streamPath]?["get"] != nil, "\(streamPath)")
        }
        for probe in ["/livez", "/readyz", "/healthz", "/metrics"] { #expect(paths[probe] != nil) }
        await harness.shutdown()
    }

    @Test("every $ref resolves and every /v1 operation is secured")
    func referencesResolve() throws {
        let document = try JSONValue.parse(OpenAPIDocument.bytes(for: ServiceSettings()))
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if case .string(let ref)? = object["$ref"] { references.append(ref) }
                object.values.forEach(collect)
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in references {
            let parts = reference.split(separator: "/").dropFirst().map(String.init)
            var node: JSONValue? = document
            for part in parts { node = node?[part] }
            #expect(node != nil, "\(reference) does not resolve")
        }
        for (path, item) in document["paths"]?.objectValue ?? [:] where path.hasPrefix("/v1/") {
            for (method, operation) in item.objectValue ?? [:] where method != "parameters" {
                #expect(operation["security"]?.arrayValue?.isEmpty == false, "\(method) \(path) is not secured")
            }
        }
    }
}

extension String {
    /// A concrete path for a route template (`:id` → `sample-id`).
    func replacingParameters() -> String {
        split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "sample-id" : String($0) }.joined(separator: "/")
    }
}
