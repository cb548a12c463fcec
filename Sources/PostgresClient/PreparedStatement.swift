/// A statement the pool prepares once per connection (lazily, on its first use there) and then
/// executes by name. `name` also labels the statement's figures in `PostgresPoolStatistics`.
/// Two statements with one name must have one SQL text: the first one prepared wins.
public struct PreparedStatement: Sendable, Hashable {
    public let name: String
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
