/// gzip on the way in (request bodies) and out (responses, optionally streams).
extension HTTPConnection {
    /// Inflates a `Content-Encoding: gzip` request body, bounded by the body limit, the
    /// configured cap and ratio (a small bomb cannot grow large). nil: an error answer (413 or
    /// 400) was queued instead. Other codings pass through untouched.
    func decodeRequestBody(_ head: inout HTTPRequestHead, _ body: [UInt8], limit: Int) -> [UInt8]? {
        guard !body.isEmpty, let coding = head.headers["Content-Encoding"] else { return body }
        let name = coding.utf8.count <= 8 ? coding.lowercased() : ""
        guard name == "gzip" || name == "x-gzip" else { return body }
        let settings = shared.configuration.compression
        do throws(GzipError) {
            let inflated = try Gzip.decompress(body, maxOutputBytes: min(limit, settings.maxRequestDecompressedBytes),
                                               maxRatio: settings.maxRequestRatio)
            head.headers.remove("Content-Encoding")
            head.headers.set("Content-Length", String(inflated.count))
            return inflated
        } catch {
            switch error {
            case .tooLarge: answerError(.contentTooLarge, reason: "the decompressed body is too large")
            case .corrupt: answerError(.badRequest, reason: "the gzip body is damaged or truncated")
            }
        }
        return nil
    }

    /// Compresses a complete body when the client accepts gzip, the type is textual and the
    /// body big enough. Adds `Vary: Accept-Encoding` whenever the answer depends on it.
    func compressIfWorthwhile(_ response: inout HTTPResponse, for head: HTTPRequestHead) {
        let settings = shared.configuration.compression
        guard settings.enabled, case .bytes(let bytes) = response.body, bytes.count >= settings.minimumBytes,
              response.headers["Content-Encoding"] == nil,
              ContentCoding.isCompressible(contentType: response.headers["Content-Type"]) else { return }
        let code = response.status.code
        guard code >= 200, code != 204, code != 206, code != 304 else { return }
        HTTPConnection.addVaryAcceptEncoding(&response.headers)
        guard ContentCoding.acceptsGzip(head.headers["Accept-Encoding"]) else { return }
        if bytes.count > SlicedGzipBody.threshold {
            // Large: compressed a slice per loop turn while it is sent (see SlicedGzipBody).
            response.headers.set("Content-Encoding", "gzip")
            response.body = .stream(SlicedGzipBody.streamingBody(bytes, level: settings.level))
            return
        }
        let compressed = Gzip.compress(bytes, level: settings.level)
        guard compressed.count < bytes.count else { return }
        response.headers.set("Content-Encoding", "gzip")
        response.body = .bytes(compressed)
    }

    /// A gzip encoder for a streamed body, when configured and accepted (headers adjusted).
    func streamEncoderIfWanted(_ headers: inout HTTPHeaders, for head: HTTPRequestHead) -> GzipStreamEncoder? {
        let settings = shared.configuration.compression
        guard settings.enabled, settings.streams, headers["Content-Encoding"] == nil,
              ContentCoding.isCompressible(contentType: headers["Content-Type"], includeEventStream: true) else { return nil }
        HTTPConnection.addVaryAcceptEncoding(&headers)
        guard ContentCoding.acceptsGzip(head.headers["Accept-Encoding"]) else { return nil }
        headers.set("Content-Encoding", "gzip")
        return GzipStreamEncoder(level: settings.level)
    }

    static func addVaryAcceptEncoding(_ headers: inout HTTPHeaders) {
        if headers.listContains("Vary", token: "accept-encoding") || headers.listContains("Vary", token: "*") { return }
        if let existing = headers["Vary"] {
            headers.set("Vary", existing + ", Accept-Encoding")
        } else {
            headers.add("Vary", "Accept-Encoding")
        }
    }
}
