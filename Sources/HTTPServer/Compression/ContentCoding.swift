/// Content negotiation for gzip (RFC 9110 §12.5.3) and the media types worth compressing.
public enum ContentCoding {
    /// True when `Accept-Encoding` allows gzip: an explicit `gzip` (or `x-gzip`) with q > 0, or
    /// no mention of gzip and `*` with q > 0. `gzip;q=0` refuses even when `*` allows;
    /// `identity;q=0` does not forbid gzip. Names are case-insensitive, whitespace is allowed
    /// around elements, `;` and `=`. An element with a malformed q-value is ignored. A missing
    /// or empty header yields false: compressing is never required, so identity is the safe
    /// answer when the client did not ask.
    public static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzipWeight: Int?
        var anyWeight: Int?
        for element in acceptEncoding.split(separator: ",") {
            guard let (coding, weight) = parseElement(element) else { continue }
            switch coding {
            case "gzip", "x-gzip": gzipWeight = max(gzipWeight ?? 0, weight)
            case "*": anyWeight = max(anyWeight ?? 0, weight)
            default: break
            }
        }
        if let gzipWeight { return gzipWeight > 0 }
        return (anyWeight ?? 0) > 0
    }

    /// True for textual types that compress well: text/* (but text/event-stream only when
    /// `includeEventStream`, since streams must be flushed per event), JSON and every
    /// `+json` type (problem+json included), XML and `+xml` (image/svg+xml included),
    /// JavaScript, NDJSON, YAML, TOML and form data. Images (other than SVG), audio, video,
    /// archives and other binary types are left out: they are already dense.
    public static func isCompressible(contentType: String?, includeEventStream: Bool = false) -> Bool {
        guard let contentType else { return false }
        let essence = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            .first.map { $0.trimmingASCIIWhitespace().lowercased() } ?? ""
        if essence == "text/event-stream" { return includeEventStream }
        if essence.hasPrefix("text/") { return essence.count > 5 }
        if essence.hasSuffix("+json") || essence.hasSuffix("+xml") { return essence.hasPrefix("application/") || essence.hasPrefix("image/") }
        switch essence {
        case "application/json", "application/xml", "application/javascript", "application/ecmascript",
             "application/x-javascript", "application/x-ndjson", "application/ndjson",
             "application/x-www-form-urlencoded", "application/yaml", "application/toml":
            return true
        default:
            return false
        }
    }

    /// One `coding [; q=value]` element: lowercased coding and weight in thousandths.
    /// nil when the element is empty or its q-value is malformed.
    static func parseElement(_ element: Substring) -> (String, Int)? {
        let parts = element.split(separator: ";", omittingEmptySubsequences: false)
        let coding = parts[0].trimmingASCIIWhitespace().lowercased()
        guard !coding.isEmpty else { return nil }
        var weight = 1000
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            let name = pair[0].trimmingASCIIWhitespace().lowercased()
            guard name == "q" else { continue }  // other parameters do not affect the weight
            guard let parsed = parseQValue(pair[1].trimmingASCIIWhitespace()) else { return nil }
            weight = parsed
        }
        return (coding, weight)
    }

    /// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
    static func parseQValue(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        guard bytes.count > 1 else { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes[2...] {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}
