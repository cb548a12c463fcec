import ExecutionAPI
import IsolationdConfiguration
import Testing

/// The committed `docs/openapi.json` is what the binary serves on its shipped configuration: the
/// document carries the configuration's limits, words and agents (`OpenAPIContract`), so it is
/// compared with the document of `config/isolationd.json` as loaded, not of built-in defaults.
@Suite("docs/openapi.json")
struct OpenAPIDocumentFileTests {
    @Test("docs/openapi.json is the document of config/isolationd.json (regenerate: scripts/openapi-document.sh)")
    func committedFileIsTheShippedConfigurationsDocument() throws {
        let configuration = try ServiceConfiguration.load(path: "\(packageRoot)/config/isolationd.json", environment: [:])
        let committed = try ConfigurationFile.read("\(packageRoot)/docs/openapi.json")
        #expect(committed == OpenAPIDocument.bytes(for: configuration.service),
                "docs/openapi.json is stale: run scripts/openapi-document.sh")
    }
}
