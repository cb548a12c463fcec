/// Cross-origin resource sharing (the Fetch standard's CORS protocol) for pages on other origins.
///
/// Generic HTTP, so it lives beside the router: which origins may read answers, which request
/// headers a preflight admits, which answer headers a page may read. An application builds one
/// from its configuration and its own header lists (`APIResponder` does) and applies it to every
/// routed answer; the router's `options` hook answers preflights with it.
///
/// Credentials: the policy never sends `Access-Control-Allow-Credentials`. A service that
/// authenticates with an explicit `Authorization` header (or a token in the URL) needs no
/// credentialed mode (cookies, HTTP authentication, client certificates), and a browser then
/// accepts `*` as well as an exact origin. A page that asks for credentials (`credentials:
/// "include"`, `withCredentials: true`) is refused by its browser: nothing ambient is honoured.
public struct CORSPolicy: Sendable, Equatable {
    /// Which origins may read answers.
    public enum Origins: Sendable, Equatable {
        /// Every origin: `Access-Control-Allow-Origin: *` on every answer (no `Vary` needed).
        case any
        /// Exactly these serialized origins (`https://app.example.com`, `http://127.0.0.1:5173`):
        /// a listed one is echoed, others get no CORS fields, and every answer says
        /// `Vary: Origin` so caches keep them apart.
        case exactly([String])
    }

    public let origins: Origins
    /// What a preflight admits (`Access-Control-Allow-Headers`), as one field value.
    public let allowedHeadersValue: String
    /// What a page may read beyond the CORS-safelisted fields (`Access-Control-Expose-Headers`).
    public let exposedHeadersValue: String
    /// How long a browser may cache a preflight (`Access-Control-Max-Age`), as text.
    public let maxAgeValue: String

    public init(origins: Origins, allowedHeaders: [String], exposedHeaders: [String], maxAgeSeconds: Int) {
        self.origins = origins
        allowedHeadersValue = allowedHeaders.joined(separator: ", ")
        exposedHeadersValue = exposedHeaders.joined(separator: ", ")
        maxAgeValue = String(max(0, maxAgeSeconds))
    }

    static let originField = "Origin"
    static let requestMethodField = "Access-Control-Request-Method"
    static let allowOriginField = "Access-Control-Allow-Origin"

    /// The `Access-Control-Allow-Origin` value for a request from `origin` (its `Origin` field),
    /// nil when that origin may not read the answer (or the request names none).
    public func allowOriginValue(for origin: String?) -> String? {
        switch origins {
        case .any:
            return "*"
        case .exactly(let listed):
            // Origins are compared as serialized, byte for byte (RFC 6454 §6.1: lower-case
            // scheme and host, so a configured origin is validated in that form).
            guard let origin, listed.contains(origin) else { return nil }
            return origin
        }
    }

    /// True for a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`.
    public static func isPreflight(_ request: HTTPRequest) -> Bool {
        request.method == .options && request.headers.contains(originField)
            && request.headers.contains(requestMethodField)
    }

    /// The answer to OPTIONS on a path that supports `allowed`: the plain 204 with `Allow`
    /// (`MethodSemantics.options`), and for a preflight from a permitted origin the
    /// `Access-Control-Allow-*` fields: the path's methods, the admitted headers and the max age.
    /// A preflight from another origin gets the plain 204: its browser then blocks the request.
    public func answerOptions(_ request: HTTPRequest, allowed: AllowedMethods) -> HTTPResponse {
        var response = MethodSemantics.options(allowed)
        guard CORSPolicy.isPreflight(request),
              let allowOrigin = allowOriginValue(for: request.headers[CORSPolicy.originField]) else {
            addVary(to: &response.headers)
            return response
        }
        response.headers.add(CORSPolicy.allowOriginField, allowOrigin)
        response.headers.add("Access-Control-Allow-Methods", allowed.fieldValue)
        response.headers.add("Access-Control-Allow-Headers", allowedHeadersValue)
        response.headers.add("Access-Control-Max-Age", maxAgeValue)
        addVary(to: &response.headers)
        return response
    }

    /// Adds the fields of an actual (not preflight) answer to a request from `origin`:
    /// `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers` when it is permitted,
    /// and `Vary: Origin` whenever the answer depends on the origin.
    public func addResponseFields(to headers: inout HTTPHeaders, origin: String?) {
        if let allowOrigin = allowOriginValue(for: origin) {
            headers.set(CORSPolicy.allowOriginField, allowOrigin)
            if !exposedHeadersValue.isEmpty { headers.set("Access-Control-Expose-Headers", exposedHeadersValue) }
        }
        addVary(to: &headers)
    }

    /// `Vary: Origin` (merged into an existing `Vary`) unless the answer is the same for every
    /// origin (`.any`).
    private func addVary(to headers: inout HTTPHeaders) {
        guard case .exactly = origins else { return }
        if headers.listContains("Vary", token: CORSPolicy.originField) || headers.listContains("Vary", token: "*") { return }
        if let existing = headers["Vary"] {
            headers.set("Vary", existing + ", " + CORSPolicy.originField)
        } else {
            headers.add("Vary", CORSPolicy.originField)
        }
    }
}

extension CORSPolicy {
    /// Whether `text` is an origin as a browser serializes it in `Origin` (RFC 6454 §6.2) and so
    /// can ever match: `http` or `https`, `://`, a lower-case host name or IPv4 literal (or a
    /// bracketed IPv6 literal), an optional port of 1–65535, and nothing else (no path, no
    /// trailing slash, no user info). `null` (opaque origins: sandboxed frames, files) is not
    /// one: it cannot name who is asking, so it is never allowed.
    public static func isSerializedOrigin(_ text: String) -> Bool {
        let scheme: Substring
        if text.hasPrefix("https://") { scheme = "https" } else if text.hasPrefix("http://") { scheme = "http" } else { return false }
        let authority = text.dropFirst(scheme.count + 3)
        var host = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[...close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                port = rest.dropFirst()
            }
            let inner = host.dropFirst().dropLast()
            guard !inner.isEmpty, inner.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return false }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty, host.first != ".", host.last != ".",
                  host.utf8.allSatisfy({ isLowerHostByte($0) }) else { return false }
        }
        if let port {
            // A default port is left out of a serialized origin, and so is a leading zero.
            guard let number = Int(port), (1...65_535).contains(number), port.first != "0",
                  !(scheme == "http" && number == 80), !(scheme == "https" && number == 443) else { return false }
        }
        return true
    }

    private static func isLowerHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }
}
