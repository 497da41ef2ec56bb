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

    /// `transform` applied to each item on up to `workers` tasks, each result handed to `consume` in
    /// the items' order as soon as it and those before it are done. At most two results per worker are
    /// held at once, so a large output made in parts (a file's text) never exists whole.
    public static func forEachInOrder<Item: Sendable, Result: Sendable>(
        _ items: [Item], workers: Int, _ transform: @escaping @Sendable (Item) -> Result, consume: (Result) throws -> Void
    ) async rethrows {
        let inFlightLimit = 2 * max(workers, 1)
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var done: [Int: Result] = [:]
            var next = 0, nextToConsume = 0
            while next < items.count || nextToConsume < items.count {
                while next < items.count, next - nextToConsume < inFlightLimit {
                    let index = next
                    group.addTask { (index, transform(items[index])) }
                    next += 1
                }
                guard let (index, result) = try await group.next() else { break }
                done[index] = result
                while let ready = done.removeValue(forKey: nextToConsume) {
                    try consume(ready)
                    nextToConsume += 1
                }
            }
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
