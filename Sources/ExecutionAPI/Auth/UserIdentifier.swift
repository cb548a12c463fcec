/// The shape every user id must have, wherever it comes from (config, JWT `sub`): 1 to 128
/// bytes of printable ASCII without whitespace or `/` (the same rule as context ids).
public enum UserIdentifier {
    public static let maxBytes = 128

    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }
    }
}
