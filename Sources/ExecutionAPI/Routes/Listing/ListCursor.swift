import ExecutionCore

/// The opaque `cursor` of a list: the `ListingKey` of the last item of the previous page, with
/// the list it belongs to, base64url-encoded (`v1:<list>:<created_at ns>:<id>`). Opaque to
/// clients so the key can change without breaking them; a cursor of another list, or one that
/// does not decode, is refused as the rest of the API refuses a bad query value (422 naming it).
enum ListCursor {
    static func encode(_ key: ListingKey, list: String) -> String {
        Base64URL.encode(Array("v1:\(list):\(key.createdAt.nanoseconds):\(key.id)".utf8))
    }

    static func decode(_ text: String, list: String) throws(ProblemDetails) -> ListingKey {
        guard text.utf8.count <= 512, let bytes = Base64URL.decode(text),
              let plain = String(validating: bytes, as: UTF8.self) else { throw invalid }
        let parts = plain.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "v1", parts[1] == list, let nanoseconds = Int64(parts[2]),
              APIRequest.isPlausibleID(String(parts[3])) else { throw invalid }
        return ListingKey(createdAt: Timestamp(nanoseconds: nanoseconds), id: String(parts[3]))
    }

    static let invalid = ProblemDetails.validation(
        field: "cursor", "cursor must be a value from a previous page's next link of this list")
}
