import COpenSSL

/// Why a WebSocket upgrade request was refused, and how to answer it.
public struct WebSocketHandshakeError: Error, Equatable {
    /// 400 for a malformed request, 426 for an unsupported `Sec-WebSocket-Version`.
    public var status: HTTPStatus
    /// A short human-readable explanation, suitable for a problem body or a log.
    public var reason: String
    /// Headers to add to the refusal (`Sec-WebSocket-Version: 13` on 426).
    public var headers: HTTPHeaders

    public init(status: HTTPStatus, reason: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason
            && Array(lhs.headers).elementsEqual(Array(rhs.headers)) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// The opening handshake of RFC 6455 §4.2, server side.
public enum WebSocketHandshake {
    /// The GUID appended to the client's key before hashing (RFC 6455 §1.3).
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Checks an upgrade request (GET, HTTP/1.1 or later, `Upgrade: websocket`,
    /// `Connection: upgrade`, `Sec-WebSocket-Version: 13`, one `Sec-WebSocket-Key` that
    /// base64-decodes to 16 bytes).
    /// Success: the `Sec-WebSocket-Accept` value. Failure: the status to answer (400, or 426 with
    /// `Sec-WebSocket-Version: 13` when the version is not 13).
    public static func validate(method: HTTPMethod, version: HTTPVersion,
                                headers: HTTPHeaders) -> Result<String, WebSocketHandshakeError> {
        func refuse(_ reason: String) -> Result<String, WebSocketHandshakeError> {
            .failure(WebSocketHandshakeError(status: .badRequest, reason: reason))
        }
        guard method == .get else { return refuse("WebSocket upgrade requires GET") }
        guard version.major > 1 || (version.major == 1 && version.minor >= 1) else {
            return refuse("WebSocket upgrade requires HTTP/1.1")
        }
        guard headers.listContains("Upgrade", token: "websocket") else {
            return refuse("missing Upgrade: websocket")
        }
        guard headers.listContains("Connection", token: "upgrade") else {
            return refuse("missing Connection: upgrade")
        }
        let versions = headers.values("Sec-WebSocket-Version")
        guard !versions.isEmpty else { return refuse("missing Sec-WebSocket-Version") }
        guard versions.count == 1, trimmed(versions[0]) == "13" else {
            return .failure(WebSocketHandshakeError(status: .upgradeRequired,
                                                    reason: "unsupported Sec-WebSocket-Version",
                                                    headers: ["Sec-WebSocket-Version": "13"]))
        }
        let keys = headers.values("Sec-WebSocket-Key")
        guard keys.count == 1 else { return refuse("expected exactly one Sec-WebSocket-Key") }
        let key = trimmed(keys[0])
        guard let nonce = Base64.decode(key), nonce.count == 16 else {
            return refuse("Sec-WebSocket-Key is not a base64-encoded 16-byte value")
        }
        return .success(acceptValue(forKey: key))
    }

    /// base64(SHA-1(key + GUID)), the `Sec-WebSocket-Accept` value for a client key.
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(sha1(Array((key + guid).utf8)))
    }

    /// The subprotocols the client offered in `Sec-WebSocket-Protocol`, in order, across
    /// repeated header fields, without empty entries.
    public static func offeredProtocols(_ headers: HTTPHeaders) -> [String] {
        headers.values("Sec-WebSocket-Protocol").flatMap { value in
            value.split(separator: ",").map { trimmed(String($0)) }.filter { !$0.isEmpty }
        }
    }

    /// SHA-1 through OpenSSL's EVP interface. The digest cannot fail for in-memory input with
    /// a built-in algorithm; should OpenSSL still report failure, an all-zero digest results,
    /// which yields an accept value no client will take (the handshake fails, nothing traps).
    static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha1(), nil)
            }
        }
        guard ok == 1, length == 20 else { return [UInt8](repeating: 0, count: 20) }
        return Array(digest.prefix(20))
    }

    private static func trimmed(_ text: String) -> String {
        String(Substring(text).trimmingASCIIWhitespace())
    }
}
