import Glibc
import IsolationdTesting
import Testing

/// The document the binary serves is a valid OpenAPI 3.1 document for an independent
/// validator (issue 14, item 2): `openapi-spec-validator` from PyPI, which CI installs.
@Suite("OpenAPI document under openapi-spec-validator (real binary)")
struct OpenAPIValidatorTests {
    /// Without the validator the test is reported as skipped, never as passed.
    static var validatorAvailable: Bool {
        (try? ExternalCommand.run(["python3", "-c", "import openapi_spec_validator"], timeout: .seconds(30)))?.status == 0
    }

    @Test("GET /openapi.json validates",
          .enabled(if: OpenAPIValidatorTests.validatorAvailable, "openapi-spec-validator is not installed (pip install openapi-spec-validator)"))
    func servedDocumentValidates() async throws {
        let server = try await APITestConfiguration.start(users: APITestConfiguration.users(1))
        let document = try await server.client(nil).call("GET", "/openapi.json", authenticated: false)
        #expect(document.status == 200)
        let path = server.directory + "/openapi.json"
        let file = try #require(fopen(path, "we"))
        _ = document.text.withCString { fputs($0, file) }
        fclose(file)
        let result = try await ExternalCommand.runDetached(["python3", "-m", "openapi_spec_validator", path], timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("OK"))
    }

    /// The validator checks the document's shape, not its examples; each example (request
    /// bodies, parameters, answers, the problem answers) is checked against its own schema.
    @Test("every example of GET /openapi.json validates against its schema",
          .enabled(if: OpenAPIValidatorTests.validatorAvailable, "openapi-spec-validator is not installed (pip install openapi-spec-validator)"))
    func examplesValidate() async throws {
        let server = try await APITestConfiguration.start(users: APITestConfiguration.users(1))
        let document = try await server.client(nil).call("GET", "/openapi.json", authenticated: false)
        let path = server.directory + "/examples.json"
        let file = try #require(fopen(path, "we"))
        _ = document.text.withCString { fputs($0, file) }
        fclose(file)
        let script = APITestConfiguration.packageRoot + "/scripts/openapi-examples-check.py"
        let result = try await ExternalCommand.runDetached(["python3", script, path], timeout: .seconds(60))
        unlink(path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" 0 mismatches"))
    }
}
