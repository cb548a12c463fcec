@testable import HTTPServer
import IsolationdTesting
import Testing

@Suite("Response heads: serialisation and header-injection refusal")
struct ResponseValidationTests {
    @Test func injectedHeaderValueIsRefusedWith500() async throws {
        let responder = ClosureResponder { request in
            HTTPResponse(status: .ok, headers: ["X-Echo": request.queryItem("v") ?? ""], body: .bytes(Array("body".utf8)))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let injected = try await client.request("GET", "/?v=a%0d%0aSet-Cookie:%20evil=1")
            #expect(injected.status == 500)
            #expect(injected.header("Set-Cookie") == nil)
            #expect(injected.header("X-Echo") == nil)
            let clean = try await client.request("GET", "/?v=fine")
            #expect(clean.status == 200)
            #expect(clean.header("X-Echo") == "fine")
        }
    }

    @Test func validationCatchesEveryForbiddenByte() {
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["X": "a\rb"]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["X": "a\nb"]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["X": "a\u{0}b"]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["Bad Name": "v"]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["": "v"]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: HTTPStatus(code: 200, reason: "O\r\nK"), headers: [:]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: HTTPStatus(code: 42), headers: [:]) != nil)
        #expect(ResponseHeadWriter.validationFailure(status: .ok, headers: ["X-Fine": "tab\tand ünïcode"]) == nil)
    }

    @Test func serverManagedFieldsAreNotDuplicated() {
        var out: [UInt8] = []
        let headers: HTTPHeaders = ["content-length": "999", "Transfer-Encoding": "chunked", "date": "x",
                                    "Connection": "close", "X-Kept": "1"]
        ResponseHeadWriter.append(status: .ok, headers: headers, framing: .contentLength(5), connection: .keepAlive,
                                  date: Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8), serverName: "iso", into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nX-Kept: 1\r\nContent-Length: 5\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: iso\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test func chunksAndNumbersAreFramedCorrectly() {
        var out: [UInt8] = []
        let data = [UInt8](repeating: 97, count: 300)
        data.withUnsafeBytes { ResponseHeadWriter.appendChunk($0, to: &out) }
        #expect(Array(out.prefix(5)) == Array("12c\r\n".utf8))
        #expect(out.count == 5 + 300 + 2)
        var digits: [UInt8] = []
        for value in [0, 7, 10, 1234567890123] {
            ResponseHeadWriter.appendDecimal(value, to: &digits)
            digits.append(32)
        }
        #expect(String(decoding: digits, as: UTF8.self) == "0 7 10 1234567890123 ")
    }

    @Test func dateIsFormattedAsIMFFixdate() {
        #expect(String(decoding: HTTPDateCache.format(epochSeconds: 784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: HTTPDateCache.format(epochSeconds: 0), as: UTF8.self) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func bodylessStatusesCarryNoLength() async throws {
        let responder = ClosureResponder { request in
            HTTPResponse(status: request.path == "/204" ? .noContent : HTTPStatus(code: 304), body: .bytes([1, 2, 3]))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let noContent = try await client.request("GET", "/204")
            #expect(noContent.status == 204)
            #expect(noContent.header("Content-Length") == nil)
            let notModified = try await client.request("GET", "/304")
            #expect(notModified.status == 304)
            // Nothing leaked onto the connection: the next request parses cleanly.
            #expect(try await client.request("GET", "/204").status == 204)
        }
    }
}
