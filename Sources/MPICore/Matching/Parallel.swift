/// Work shared out over tasks, results kept in input order.
public enum Parallel {
    /// `transform` applied to each item, at most `workers` at a time, results in the items' order.
    public static func map<Item: Sendable, Result: Sendable>(_ items: [Item], workers: Int,
                                                           _ transform: @escaping @Sendable (Item) -> Result) async -> [Result] {
        guard workers > 1, items.count > 1 else { return items.map(transform) }
        return await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: items.count)
            var next = 0
            for _ in 0..<min(workers, items.count) {
                let index = next
                group.addTask { (index, transform(items[index])) }
                next += 1
            }
            for await (index, result) in group {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, transform(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}
