/// The rules every id of a context obeys (SPEC.md §1): non-empty, at most N bytes, printable
/// ASCII without whitespace or `/`, and not a placeholder. Works on UTF-8 bytes directly (no regex,
/// no Foundation, no allocation) because contexts are created on the request path.
struct IdentifierRules: Sendable {
    let maxBytes: Int
    let placeholders: PlaceholderMatcher

    /// Throws naming `field` when `value` breaks a rule.
    func check(_ value: String, field: String) throws(ContextValidationError) {
        var value = value
        let reason: ContextValidationError.Reason? = value.withUTF8 { bytes in
            Self.reason(for: bytes, maxBytes: maxBytes, placeholders: placeholders)
        }
        guard let reason else { return }
        throw ContextValidationError(field: field, reason: reason, message: Self.message(reason, field: field, maxBytes: maxBytes))
    }

    static func reason(for bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int,
                       placeholders: PlaceholderMatcher) -> ContextValidationError.Reason? {
        var onlyWhitespace = true
        var printable = true
        for byte in bytes {
            let isSpace = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
            if !isSpace { onlyWhitespace = false }
            if byte < 0x21 || byte > 0x7E || byte == UInt8(ascii: "/") { printable = false }
        }
        if onlyWhitespace { return .empty }
        if bytes.count > maxBytes { return .tooLong }
        if !printable { return .invalidCharacters }
        if placeholders.matches(bytes) { return .placeholder }
        return nil
    }

    static func message(_ reason: ContextValidationError.Reason, field: String, maxBytes: Int) -> String {
        switch reason {
        case .empty: "\(field) must not be empty"
        case .tooLong: "\(field) must be at most \(maxBytes) bytes"
        case .invalidCharacters: "\(field) must be printable ASCII without whitespace or '/'"
        case .placeholder: "\(field) is a placeholder value, not a real identifier"
        default: "\(field) is invalid"
        }
    }
}

/// Recognises placeholder values case-insensitively on the whole value: a listed word (`test`),
/// or a listed word followed by `_` or `-` and digits only (`test_1`, `temp-42`). The word list is
/// data from configuration; words are kept lowercased and bucketed by length so a check compares a
/// handful of bytes at most.
struct PlaceholderMatcher: Sendable {
    /// `buckets[n]` holds the lowercased words of `n` bytes.
    private let buckets: [[[UInt8]]]

    init(words: [String]) {
        var buckets: [[[UInt8]]] = []
        for word in words {
            let lowered = word.utf8.map(Self.lowercase)
            guard !lowered.isEmpty else { continue }
            while buckets.count <= lowered.count { buckets.append([]) }
            buckets[lowered.count].append(lowered)
        }
        self.buckets = buckets
    }

    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if matchesWord(bytes) { return true }
        // word + separator + digits: find the trailing run of digits.
        var stemEnd = bytes.count
        while stemEnd > 0, bytes[stemEnd - 1] >= UInt8(ascii: "0"), bytes[stemEnd - 1] <= UInt8(ascii: "9") {
            stemEnd -= 1
        }
        guard stemEnd < bytes.count, stemEnd >= 2 else { return false }
        let separator = bytes[stemEnd - 1]
        guard separator == UInt8(ascii: "_") || separator == UInt8(ascii: "-") else { return false }
        return matchesWord(UnsafeBufferPointer(rebasing: bytes[0..<(stemEnd - 1)]))
    }

    private func matchesWord(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count < buckets.count else { return false }
        for word in buckets[bytes.count] where Self.equalIgnoringASCIICase(word, bytes) { return true }
        return false
    }

    private static func equalIgnoringASCIICase(_ lowered: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<bytes.count where lowered[index] != lowercase(bytes[index]) { return false }
        return true
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
