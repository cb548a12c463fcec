import HTTPServer
import Logging
import Synchronization

/// The id of the request being handled, for log lines and the `X-Request-ID` answer header.
///
/// A client's `X-Request-ID` is kept when it is a sane token (1–128 characters of
/// `A-Z a-z 0-9 - _ . :`, so UUIDs, ULIDs and trace ids pass and nothing can forge log syntax);
/// otherwise one is made: a random per-process prefix and a counter (unique, cheap: no
/// randomness per request).
public enum RequestID {
    /// The header read from the request and set on every answer.
    public static let header = "X-Request-ID"

    /// The id bound while a request is routed (responders run synchronously on a loop thread,
    /// where a task-local falls back to thread-local storage).
    @TaskLocal public static var current: String?

    /// Adds `request_id` to every line logged while `current` is bound; install it with the
    /// logging bootstrap.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = RequestID.current else { return [:] }
        return ["request_id": .string(id)]
    }

    /// The client's id if acceptable, else a new one.
    public static func of(_ request: HTTPRequest) -> String {
        if let given = request.headers[header], isAcceptable(given) { return given }
        return next()
    }

    /// Whether a client-supplied id is kept.
    public static func isAcceptable(_ value: String) -> Bool {
        let bytes = value.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: ":"): true
            default: false
            }
        }
    }

    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        return hex(value, width: 16)
    }()
    private static let counter = Atomic<UInt64>(0)

    /// A new id: `<16 hex digits of this process>-<12 hex digits of a counter>`.
    public static func next() -> String {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return prefix + "-" + hex(number, width: 12)
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
