import ExecutionCore

/// `GET /v1/usage` in the OpenAPI document: kept in its own small file (with its schema inline)
/// so the budget's description stays beside nothing else.
enum OpenAPIUsage {
    private static func count(_ description: String) -> JSONValue {
        .object(["type": .string("integer"), "minimum": .integer(0), "description": .string(description)])
    }

    static var paths: [String: JSONValue] {
        let held = OA.object(["count": count("Items kept."), "bytes": count("Bytes they are charged.")],
                             required: ["count", "bytes"])
        let categories = OA.object(Dictionary(uniqueKeysWithValues: BudgetCategory.allCases.map { ($0.name, held) }),
                                   required: BudgetCategory.allCases.map(\.name))
        let usage = OA.object([
            "user_id": OA.str("The authenticated user."),
            "used_bytes": count("Bytes the service keeps for you now."),
            "budget_bytes": count("Your budget (budgets.per_user_bytes)."),
            "available_bytes": count("What is left of it."),
            "categories": categories,
            "global_budget_bytes": count("The service's budget for all users (budgets.global_bytes, or half the memory limit)."),
        ], required: ["user_id", "used_bytes", "budget_bytes", "available_bytes", "categories", "global_budget_bytes"])
        return [
            "/v1/usage": .object([
                "get": OA.operation("getUsage", "What the service keeps for you against your budget of retained bytes, by category",
                                    tags: ["service"],
                                    responses: OA.withCommonErrors(["200": OA.response("Your usage.", schema: usage)])),
            ]),
        ]
    }
}
