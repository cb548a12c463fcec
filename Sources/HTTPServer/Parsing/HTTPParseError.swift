/// Every parse failure carries the status to answer (400, 413, 414, 417, 431, 501, 505) and a
/// short human reason; the transport answers it and closes the connection.
public struct HTTPParseError: Error, Equatable, Sendable {
    public var status: HTTPStatus
    public var reason: String

    public init(status: HTTPStatus, reason: String) {
        self.status = status
        self.reason = reason
    }

    static func badRequest(_ reason: String) -> HTTPParseError { .init(status: .badRequest, reason: reason) }
    static func contentTooLarge(_ reason: String) -> HTTPParseError { .init(status: .contentTooLarge, reason: reason) }
    static func uriTooLong(_ reason: String) -> HTTPParseError { .init(status: .uriTooLong, reason: reason) }
    static func expectationFailed(_ reason: String) -> HTTPParseError { .init(status: .expectationFailed, reason: reason) }
    static func fieldsTooLarge(_ reason: String) -> HTTPParseError {
        .init(status: .requestHeaderFieldsTooLarge, reason: reason)
    }
    static func notImplemented(_ reason: String) -> HTTPParseError { .init(status: .notImplemented, reason: reason) }
    static func versionNotSupported(_ reason: String) -> HTTPParseError {
        .init(status: .httpVersionNotSupported, reason: reason)
    }
}
