import ExecutionCore
import HTTPServer

/// An authenticated request: the HTTP request and the principal its credential proved. The user
/// of every operation is `principal.userID`; nothing in a body can change it.
public struct APIRequest: Sendable {
    public let http: HTTPRequest
    public let principal: Principal
    public var userID: String { principal.userID }

    public init(http: HTTPRequest, principal: Principal) {
        self.http = http
        self.principal = principal
    }

    /// A path parameter that can be an id (1-128 visible ASCII characters, no `/`); anything else
    /// is answered exactly like an unknown id of `resource`.
    public func pathID(_ name: String = "id", of resource: ProblemMapping.Resource) throws(ProblemDetails) -> String {
        guard let value = http.pathParameters[name], APIRequest.isPlausibleID(value) else {
            throw ProblemMapping.notFound(resource)
        }
        return value
    }

    /// The caller's own `resource` named by the path id, found by `find(id, userID)`; an
    /// implausible id, an unknown one and another user's are all the same 404.
    func owned<Found>(_ resource: ProblemMapping.Resource,
                      _ find: (_ id: String, _ userID: String) -> Found?) throws(ProblemDetails) -> Found {
        guard let found = find(try pathID(of: resource), userID) else { throw ProblemMapping.notFound(resource) }
        return found
    }

    /// The longest id a path, filter or cursor may name (server-made ids are 36-byte UUIDs).
    static let maxIDBytes = 128

    static func isPlausibleID(_ value: String) -> Bool {
        let utf8 = value.utf8
        return !utf8.isEmpty && utf8.count <= maxIDBytes && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }
    }
}

/// A `/v1` operation: runs after authentication; throws the problem to answer.
public typealias APIHandler = @Sendable (APIRequest) throws(ProblemDetails) -> HTTPResponse

extension APIRoutes {
    /// Wraps `handler` with authentication (401 + `WWW-Authenticate` without a valid
    /// credential) and turns thrown problems into answers. Streaming routes use it too.
    public static func authenticated(_ authenticator: Authenticator,
                                     _ handler: @escaping APIHandler) -> Router.Handler {
        return { request in
            let principal: Principal
            do throws(AuthError) {
                principal = try authenticator.authenticate(headers: request.headers)
            } catch {
                return ProblemMapping.problem(for: error).response()
            }
            do throws(ProblemDetails) {
                return try handler(APIRequest(http: request, principal: principal))
            } catch {
                return error.response()
            }
        }
    }

    /// A JSON answer.
    public static func json(_ status: HTTPStatus, _ value: JSONValue, location: String? = nil) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        if let location { headers.add("Location", location) }
        return HTTPResponse(status: status, headers: headers, body: .bytes(value.serialized()))
    }
}
