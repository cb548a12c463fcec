/// RFC 9457 problem details for the answers the transport itself gives.
enum ProblemBody {
    static func bytes(status: HTTPStatus, detail: String) -> [UInt8] {
        var out = Array(#"{"type":"about:blank","title":""#.utf8)
        appendEscaped(status.reason, to: &out)
        out += Array(#"","status":"#.utf8)
        ResponseHeadWriter.appendDecimal(status.code, to: &out)
        out += Array(#","detail":""#.utf8)
        appendEscaped(detail, to: &out)
        out += Array(#""}"#.utf8)
        return out
    }

    /// JSON string escaping (quotes, backslash, control characters).
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
    }
}
