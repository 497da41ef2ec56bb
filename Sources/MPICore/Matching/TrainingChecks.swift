internal import RealModule

/// The checks an EM pass must pass before its m values are used. EM maximises a likelihood; on a
/// rule whose blocks hold whole households (a block of flats, a care home) the likeliest split of the
/// pairs is "same household" against "different household", not "same person" against "different
/// person", and EM converges there without complaint. These checks catch the symptoms.
public enum Plausibility {
    /// At most this many true matches per record among a rule's pairs. A person with five records
    /// (one per trust and a duplicate) gives two pairs per record; more than that means the pass has
    /// taken another class for the matches.
    public static let maximumMatchesPerRecord = 2.0

    /// Why the pass is implausible, or nil when it is not.
    public static func rejection(of outcome: ExpectationMaximisation.Outcome, comparisons: [ComparisonParameters],
                                 estimate: [Bool], pairs: Int, records: Int) -> String? {
        guard pairs > 0 else { return nil }
        if !outcome.converged { return "did not converge in \(outcome.iterations) iterations" }
        let matches = outcome.lambda * Double(pairs)
        if matches > maximumMatchesPerRecord * Double(records) {
            return "λ among pairs \(rounded(outcome.lambda)) makes \(Int(matches)) matches among \(records) records,"
                + " more than \(Int(maximumMatchesPerRecord)) a record"
        }
        for (index, comparison) in comparisons.enumerated() where estimate[index] && comparison.kind.isIdentifying {
            let m = outcome.m[index]
            let u = comparison.levels.map(\.u)
            // The NHS number has two exact levels, verified and not.
            let exactLevels = comparison.kind == .nhsNumber ? 2 : 1
            guard m.count > exactLevels, let elseM = m.last else { continue }
            let exactM = m.prefix(exactLevels).reduce(0, +), exactU = u.prefix(exactLevels).reduce(0, +)
            if exactM <= exactU {
                return "m(exact) \(rounded(exactM)) is not above u(exact) \(rounded(exactU)) for \(comparison.kind.name)"
            }
            if exactM < elseM {
                return "m(exact) \(rounded(exactM)) is below m(else) \(rounded(elseM)) for \(comparison.kind.name)"
            }
        }
        return nil
    }

    private static func rounded(_ value: Double) -> String {
        guard value != 0, value.isFinite else { return "\(value)" }
        let scale = Double.pow(10, 2 - Double.log10(Swift.abs(value)).rounded(.down))
        return "\((value * scale).rounded() / scale)"
    }
}

/// m measured on pairs the data labels as matches, in two directions.
/// - A valid NHS number and the full date of birth both agree exactly: such pairs are matches but for a
///   number borrowed by a relative with the same birthday, which is rare enough not to move an
///   estimate. Their other comparisons' levels are counted directly.
/// - Forename, surname, full date of birth and full postcode all agree exactly, the names not
///   placeholders (a placeholder's name level is null): such pairs are matches but for a same-named twin,
///   so they measure how often one person's two records carry two different valid NHS numbers. EM
///   over-counts that (it was 0.039 on the realistic profile, where the truth says 0.003), which turns
///   a different NHS number from strong evidence against a match into weak evidence.
/// No EM is involved, so the shape of the blocks cannot mislead either count.
public enum LabelledMatches {
    /// Below this many labelled pairs with a value on a comparison, that comparison keeps EM's m.
    public static let minimumPairs = 500

    public struct Estimate: Sendable {
        /// m per comparison per level, or nil where there were too few labelled pairs (and for the
        /// comparisons that label the pairs).
        public let m: [[Double]?]
        public let passes: [TrainingPass]
    }

    /// The pair agrees on a valid NHS number (verified or not) and exactly on the full date of birth.
    @inline(__always)
    static func isLabelledMatch(_ levels: ArraySlice<UInt8>, nhs: Int, dob: Int) -> Bool {
        let nhsLevel = levels[levels.startIndex + nhs], dobLevel = levels[levels.startIndex + dob]
        return (nhsLevel == 1 || nhsLevel == 2) && dobLevel == 1
    }

    public static func estimate(comparisons: [ComparisonParameters], candidateLevels: PairLevels) -> Estimate? {
        let kinds = comparisons.map(\.kind)
        guard let nhs = kinds.firstIndex(of: .nhsNumber), let dob = kinds.firstIndex(of: .dateOfBirth) else { return nil }
        var counts = comparisons.map { [Double](repeating: 0, count: $0.levels.count) }
        var labelled = 0
        // Level 1 is "exact" (the postcode's "full") on each of these comparisons; all four must be compared.
        let demographic = [kinds.firstIndex(of: .forename), kinds.firstIndex(of: .surname), dob, kinds.firstIndex(of: .postcode)]
            .compactMap { $0 }
        let labelsNHS = demographic.count == 4
        var nhsCounts = [Double](repeating: 0, count: comparisons[nhs].levels.count)
        for pair in 0..<candidateLevels.pairCount {
            let levels = candidateLevels.levels(ofPair: pair)
            if labelsNHS, levels[levels.startIndex + nhs] > 0, demographic.allSatisfy({ levels[levels.startIndex + $0] == 1 }) {
                nhsCounts[Int(levels[levels.startIndex + nhs]) - 1] += 1
            }
            guard isLabelledMatch(levels, nhs: nhs, dob: dob) else { continue }
            labelled += 1
            for index in kinds.indices {
                let level = levels[levels.startIndex + index]
                if level > 0 { counts[index][Int(level) - 1] += 1 }
            }
        }
        var m: [[Double]?] = counts.enumerated().map { index, levelCounts in
            guard index != nhs, index != dob else { return nil }
            return smoothedShares(levelCounts)
        }
        var passes: [TrainingPass] = []
        let estimated = kinds.indices.filter { m[$0] != nil }.map { kinds[$0].name }
        if !estimated.isEmpty {
            passes.append(TrainingPass(blockingRule: "labelled: nhs_number & date_of_birth agree exactly", pairs: labelled,
                                       pairsUsed: labelled, iterations: 0, converged: true, estimated: estimated, lambdaAmongPairs: 1))
        }
        if let nhsM = smoothedShares(nhsCounts) {
            m[nhs] = nhsM
            let pairs = Int(nhsCounts.reduce(0, +))
            passes.append(TrainingPass(blockingRule: "labelled: forename & surname & date_of_birth & postcode agree exactly",
                                       pairs: pairs, pairsUsed: pairs, iterations: 0, converged: true,
                                       estimated: [kinds[nhs].name], lambdaAmongPairs: 1))
        }
        return passes.isEmpty ? nil : Estimate(m: m, passes: passes)
    }

    /// Each level's share of the labelled pairs, or nil below `minimumPairs`. Add-half smoothing: a level
    /// no labelled pair showed keeps a small, finite m.
    private static func smoothedShares(_ levelCounts: [Double]) -> [Double]? {
        guard levelCounts.reduce(0, +) >= Double(minimumPairs) else { return nil }
        let smoothed = levelCounts.map { $0 + 0.5 }
        let sum = smoothed.reduce(0, +)
        return smoothed.map { $0 / sum }
    }
}

extension ComparisonKind {
    /// Comparisons on which a true match almost always agrees and two strangers almost never do: a pass
    /// whose m says otherwise has learnt another class.
    public var isIdentifying: Bool {
        switch self {
        case .nhsNumber, .forename, .surname, .dateOfBirth, .identifier: true
        default: false
        }
    }
}
