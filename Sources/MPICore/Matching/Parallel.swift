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

    /// The chunks one after another, each chunk let go as soon as it is copied: joining tasks' results
    /// this way needs memory for the whole once, not twice (`flatMap` holds every chunk until the end;
    /// at a million records the scored pairs alone are 300 MB).
    public static func joined<Element>(_ chunks: inout [[Element]]) -> [Element] {
        var whole: [Element] = []
        whole.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        for index in chunks.indices {
            whole.append(contentsOf: chunks[index])
            chunks[index] = []
        }
        return whole
    }
}
