/// Standard base64 (RFC 4648 §4, with padding), enough for the WebSocket handshake.
/// Written here to keep Foundation out of the server.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes with `=` padding.
    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            out.append(b1.map { alphabet[Int(($0 & 0x0F) << 2 | (b2 ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(b2.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decoding: length a multiple of 4, padding only at the end, no whitespace, and
    /// unused bits of the last symbol zero (so every byte string has exactly one encoding).
    /// nil when the text is not canonical base64.
    static func decode(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard symbols.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count / 4 * 3)
        var index = 0
        while index < symbols.count {
            let isLastGroup = index + 4 == symbols.count
            var values: [UInt8] = [0, 0, 0, 0]
            var padding = 0
            for offset in 0..<4 {
                let symbol = symbols[index + offset]
                if symbol == UInt8(ascii: "=") {
                    // Padding is allowed only in the last two positions of the last group.
                    guard isLastGroup, offset >= 2 else { return nil }
                    padding += 1
                } else {
                    guard padding == 0, let value = value(of: symbol) else { return nil }
                    values[offset] = value
                }
            }
            out.append(values[0] << 2 | values[1] >> 4)
            switch padding {
            case 0:
                out.append(values[1] << 4 | values[2] >> 2)
                out.append(values[2] << 6 | values[3])
            case 1:
                guard values[2] & 0x03 == 0 else { return nil }
                out.append(values[1] << 4 | values[2] >> 2)
            default:
                guard values[1] & 0x0F == 0 else { return nil }
            }
            index += 4
        }
        return out
    }

    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
