import HTTPServer

/// A complete answer as kept by the idempotency store (opaque bytes to the core): status,
/// the headers a replay must repeat, and the body.
///
/// Layout: status (2 bytes, big-endian), header count (1 byte), per header name length
/// (1 byte) + name + value length (2 bytes) + value, then the body to the end.
struct StoredResponse: Equatable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// Headers worth replaying; `Date`, `Connection` and framing are the server's own.
    static let replayedHeaders = ["Content-Type", "Location", "Retry-After"]

    init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The answer to keep; nil for a streamed or upgraded body (never stored).
    init?(_ response: HTTPResponse) {
        guard case .bytes(let bytes) = response.body else {
            if case .empty = response.body {
                self.init(status: response.status.code, headers: Self.kept(response.headers), body: [])
                return
            }
            return nil
        }
        self.init(status: response.status.code, headers: Self.kept(response.headers), body: bytes)
    }

    private static func kept(_ headers: HTTPHeaders) -> [(name: String, value: String)] {
        replayedHeaders.compactMap { name in headers[name].map { (name: name, value: $0) } }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + body.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 3 })
        out.append(UInt8(truncatingIfNeeded: status >> 8))
        out.append(UInt8(truncatingIfNeeded: status))
        let fitting = headers.filter { $0.name.utf8.count <= 255 && $0.value.utf8.count <= 65_535 }.prefix(255)
        out.append(UInt8(fitting.count))
        for header in fitting {
            out.append(UInt8(header.name.utf8.count))
            out.append(contentsOf: header.name.utf8)
            let length = header.value.utf8.count
            out.append(UInt8(truncatingIfNeeded: length >> 8))
            out.append(UInt8(truncatingIfNeeded: length))
            out.append(contentsOf: header.value.utf8)
        }
        out.append(contentsOf: body)
        return out
    }

    /// Decodes `encoded()`; nil for bytes it did not make.
    static func decode(_ bytes: [UInt8]) -> StoredResponse? {
        var index = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count - index >= count else { return nil }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
        guard let statusBytes = take(2), let countByte = take(1)?.first else { return nil }
        let status = Int(statusBytes[statusBytes.startIndex]) << 8 | Int(statusBytes[statusBytes.startIndex + 1])
        var headers: [(name: String, value: String)] = []
        for _ in 0..<Int(countByte) {
            guard let nameLength = take(1)?.first, let name = take(Int(nameLength)),
                  let lengthBytes = take(2) else { return nil }
            let valueLength = Int(lengthBytes[lengthBytes.startIndex]) << 8 | Int(lengthBytes[lengthBytes.startIndex + 1])
            guard let value = take(valueLength) else { return nil }
            headers.append((name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return StoredResponse(status: status, headers: headers, body: Array(bytes[index...]))
    }

    /// The answer again, marked as a replay.
    func response() -> HTTPResponse {
        var httpHeaders = HTTPHeaders()
        for header in headers { httpHeaders.add(header.name, header.value) }
        httpHeaders.add("Idempotent-Replayed", "true")
        return HTTPResponse(status: HTTPStatus(code: status), headers: httpHeaders, body: body.isEmpty ? .empty : .bytes(body))
    }

    static func == (a: StoredResponse, b: StoredResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name)
            && a.headers.map(\.value) == b.headers.map(\.value)
    }
}
