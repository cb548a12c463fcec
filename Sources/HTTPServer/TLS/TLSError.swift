import COpenSSL

/// A TLS failure: configuration (bad certificate or key file) or a connection's handshake or
/// record layer (wrong protocol version, plain HTTP on the TLS port, bad record MAC ...).
public struct TLSError: Error, Equatable, CustomStringConvertible {
    /// What we were doing, then OpenSSL's own error strings, e.g.
    /// "TLS handshake failed: error:0A00010B:SSL routines::wrong version number".
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// `context` followed by every error on this thread's OpenSSL error queue, which it empties.
    static func fromErrorQueue(_ context: String) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            // 256 bytes is ERR_error_string_n's documented comfortable size for one message.
            var text = [CChar](repeating: 0, count: 256)
            text.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))")
    }
}
