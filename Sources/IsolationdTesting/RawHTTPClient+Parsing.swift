import HTTPServer

extension RawHTTPClient {
    func readHeadBlocking() throws -> RawHTTPResponse {
        let statusLine = try takeLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw RawHTTPClientError.malformed("status line '\(statusLine)'")
        }
        var headers = HTTPHeaders()
        var raw = statusLine + "\r\n"
        while true {
            let line = try takeLine()
            raw += line + "\r\n"
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw RawHTTPClientError.malformed("header line '\(line)'") }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.add(String(line[..<colon]), String(value))
        }
        return RawHTTPResponse(version: String(parts[0]), status: status,
                               reason: parts.count > 2 ? String(parts[2]) : "", headers: headers,
                               body: [], chunks: [], rawHead: raw)
    }

    func readResponseBlocking(headRequest: Bool) throws -> RawHTTPResponse {
        var response = try readHeadBlocking()
        let status = response.status
        if headRequest || (100...199).contains(status) || status == 204 || status == 304 { return response }
        if response.isChunked {
            while let chunk = try readChunkBlocking() {
                response.chunks.append(chunk)
                response.body += chunk
            }
        } else if let lengthText = response.headers["Content-Length"] {
            guard let length = Int(lengthText), length >= 0 else { throw RawHTTPClientError.malformed("Content-Length '\(lengthText)'") }
            response.body = try take(length)
        } else {
            while try fill() {}
            response.body = pending.withLock { buffer in
                defer { buffer.removeAll() }
                return buffer
            }
        }
        return response
    }

    func readChunkBlocking() throws -> [UInt8]? {
        let sizeLine = try takeLine()
        let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        guard let size = Int(sizeText.trimmingCharacters(), radix: 16), size >= 0 else {
            throw RawHTTPClientError.malformed("chunk size '\(sizeLine)'")
        }
        if size == 0 {
            while try !takeLine().isEmpty {}  // trailers, then the final CRLF
            return nil
        }
        let data = try take(size)
        guard try take(2) == [13, 10] else { throw RawHTTPClientError.malformed("chunk without CRLF") }
        return data
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
