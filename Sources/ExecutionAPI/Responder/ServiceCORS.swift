import HTTPServer

extension CORSPolicy {
    /// The request headers a page may send to the service (the preflight's
    /// `Access-Control-Allow-Headers`): the bearer token, JSON bodies, idempotent retries,
    /// resuming a stream, and its own request id.
    public static let serviceRequestHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID",
                                               "X-Request-ID"]
    /// The answer headers a page may read beyond the safelisted ones: where a created resource
    /// is, how long to wait before retrying (429, 503), and the request id to quote.
    public static let serviceExposedHeaders = ["Location", "Retry-After", "X-Request-ID"]

    /// The service's policy for `server.cors` (`allowed_origins`, `max_age_seconds`); nil when no
    /// origin is allowed (CORS off: no field is ever added). `["*"]` allows every origin.
    public static func service(allowedOrigins: [String], maxAgeSeconds: Int) -> CORSPolicy? {
        guard !allowedOrigins.isEmpty else { return nil }
        let origins: Origins = allowedOrigins == ["*"] ? .any : .exactly(allowedOrigins)
        return CORSPolicy(origins: origins, allowedHeaders: serviceRequestHeaders, exposedHeaders: serviceExposedHeaders,
                          maxAgeSeconds: maxAgeSeconds)
    }
}
