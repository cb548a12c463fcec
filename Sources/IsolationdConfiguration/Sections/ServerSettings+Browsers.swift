import HTTPServer

extension ServerSettings {
    /// `server.cors`. Off by default: no origin listed, no CORS field ever sent.
    public struct CORS: Sendable, Equatable {
        /// Serialized origins (`https://app.example.com`, `http://127.0.0.1:5173`), or `["*"]`
        /// for every origin. The service authenticates with bearer tokens, not cookies, so
        /// `Access-Control-Allow-Credentials` is never sent and `*` is as safe as a list: it
        /// lets any page use a token it already holds, nothing more.
        public var allowedOrigins: [String] = []
        /// How long a browser may cache a preflight answer (Chromium caps it at 7200).
        public var maxAgeSeconds = 600
        public init() {}
    }

    /// The service's CORS policy for these settings (nil: off).
    public var corsPolicy: CORSPolicy? {
        CORSPolicy.service(allowedOrigins: cors.allowedOrigins, maxAgeSeconds: cors.maxAgeSeconds)
    }

    /// `server.websocket_echo_path`: absent or null (off), else an absolute path of plain
    /// segments (letters, digits, `-._~`), so it is one literal route and never a pattern.
    static func echoPath(reading o: inout ConfigObject) throws(ConfigurationError) -> String? {
        guard let path = try o.optionalString("websocket_echo_path") else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), path.utf8.count <= 256, !segments.isEmpty,
              segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isPathByte) }) else {
            throw o.error("websocket_echo_path",
                          "must be an absolute path of non-empty segments of letters, digits and -._~ (e.g. /ws/echo)")
        }
        return path
    }

    private static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"): true
        default: false
        }
    }
}

extension ServerSettings.CORS {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        allowedOrigins = try o.stringArray("allowed_origins", default: [], unique: true)
        if allowedOrigins.contains("*") {
            guard allowedOrigins.count == 1 else {
                throw o.error("allowed_origins", "may be [\"*\"] (every origin) or a list of origins, not both")
            }
        } else {
            for (index, origin) in allowedOrigins.enumerated() where !CORSPolicy.isSerializedOrigin(origin) {
                throw o.error("allowed_origins[\(index)]",
                              "must be an origin as browsers send it: http(s)://host[:port], lower case, no path or trailing slash (got \"\(origin)\")")
            }
        }
        maxAgeSeconds = try o.int("max_age_seconds", default: maxAgeSeconds, min: 0, max: 86_400)
    }
}
