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
        let example: JSONValue = .object([
            "user_id": .string("demo-alice"), "used_bytes": .integer(1_536), "budget_bytes": .integer(33_554_432),
            "available_bytes": .integer(33_552_896),
            "categories": .object(Dictionary(uniqueKeysWithValues: BudgetCategory.allCases.enumerated().map { index, category in
                (category.name, JSONValue.object(["count": .integer(index == 0 ? 1 : 0), "bytes": .integer(index == 0 ? 1_536 : 0)]))
            })),
            "global_budget_bytes": .integer(1_073_741_824),
        ])
        return [
            "/v1/usage": .object([
                "get": OA.operation("getUsage", "What the service keeps for you against your budget of retained bytes, by category",
                                    tags: ["service"],
                                    responses: ["200": OA.response("Your usage.", content: OA.json(usage, example: example))]),
            ]),
        ]
    }
}
