import ExecutionCore
import HTTPServer

/// `GET /v1/usage`: what the service keeps for the caller against their budget of retained
/// bytes, by category, and the size of the global budget. Owner-only by construction: it answers
/// for the authenticated user and takes no user id. How much the other users hold is not shown
/// (only `/metrics` has totals, and never per user).
struct UsageRoutes {
    let service: ExecutionService

    static let path = "/v1/usage"

    func install(on router: inout Router) {
        router.get(Self.path, handler: APIRoutes.authenticated(service.authenticator, usage))
    }

    @Sendable func usage(_ request: APIRequest) throws(ProblemDetails) -> HTTPResponse {
        APIRoutes.json(.ok, Self.representation(service.ledger.usage(request.userID), userID: request.userID))
    }

    static func representation(_ usage: BudgetUsage, userID: String) -> JSONValue {
        var categories: JSONObject = [:]
        for category in BudgetCategory.allCases {
            let held = usage[category]
            categories[category.name] = .object(["count": .integer(Int64(held.items)), "bytes": .integer(Int64(held.bytes))])
        }
        return .object([
            "user_id": .string(userID),
            "used_bytes": .integer(Int64(usage.usedBytes)),
            "budget_bytes": .integer(Int64(usage.budgetBytes)),
            "available_bytes": .integer(Int64(max(0, usage.budgetBytes - usage.usedBytes))),
            "categories": .object(categories),
            "global_budget_bytes": .integer(Int64(usage.globalBudgetBytes)),
        ])
    }
}
