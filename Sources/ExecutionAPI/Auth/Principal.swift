/// Who is calling: the authenticated user and their roles. Made only by the `Authenticator`
/// from a verified credential; a request body can never name a user.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    public let userID: String
    public let roles: [String]

    public init(userID: String, roles: [String]) {
        self.userID = userID
        self.roles = roles
    }

    public func hasRole(_ role: String) -> Bool { roles.contains(role) }
    public var isAdmin: Bool { hasRole("admin") }

    public var description: String { "\(userID) [\(roles.joined(separator: ","))]" }
}
