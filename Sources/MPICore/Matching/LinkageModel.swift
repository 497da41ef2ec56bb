internal import RealModule

/// The m and u probabilities of one comparison level. m: how often true matches show this level;
/// u: how often two different people do. Its weight is log2(m / u).
public struct LevelParameters: Sendable, Hashable, Codable {
    public var label: String
    public var m: Double
    public var u: Double

    public init(label: String, m: Double, u: Double) {
        self.label = label
        self.m = m
        self.u = u
    }

    public var weight: Double { Double.log2(m / u) }
}

/// One comparison of the model with its levels (the null level excluded: it always weighs 0).
public struct ComparisonParameters: Sendable, Hashable, Codable {
    public var kind: ComparisonKind
    public var levels: [LevelParameters]
    /// Adjust the exact level's weight by how common the value is.
    public var termFrequencies: Bool

    public init(kind: ComparisonKind, levels: [LevelParameters], termFrequencies: Bool) {
        self.kind = kind
        self.levels = levels
        self.termFrequencies = termFrequencies
    }

    /// Starting values before training: agreement levels likely among matches and rare among
    /// non-matches, "else" the reverse. Training replaces them.
    public init(defaultsFor kind: ComparisonKind, termFrequencies: Bool? = nil) {
        let labels = kind.levelLabels
        let count = labels.count
        var levels: [LevelParameters] = []
        for (index, label) in labels.enumerated() {
            let isElse = index == count - 1
            // m falls and u rises from the most to the least specific level.
            let m = isElse ? 0.05 : 0.95 * pow2(-Double(index)) / 1.0
            let u = isElse ? 0.9 : 0.001 * pow2(Double(index))
            levels.append(LevelParameters(label: label, m: m, u: u))
        }
        self.init(kind: kind, levels: levels, termFrequencies: termFrequencies ?? kind.usesTermFrequencies)
        normalise()
    }

    /// Makes m and u each sum to 1 over the levels.
    public mutating func normalise() {
        let mSum = levels.reduce(0) { $0 + $1.m }, uSum = levels.reduce(0) { $0 + $1.u }
        for index in levels.indices {
            levels[index].m /= mSum
            levels[index].u /= uSum
        }
    }
}

/// A trained Fellegi-Sunter model: the comparisons with their m and u, and the prior probability
/// that two records drawn at random are the same person.
public struct LinkageModel: Sendable, Hashable, Codable {
    public var comparisons: [ComparisonParameters]
    /// λ: the probability that two records drawn at random are the same person.
    public var lambda: Double
    /// What training did, pass by pass, so that the parameters can be explained later.
    public var training: [TrainingPass]

    public init(comparisons: [ComparisonParameters], lambda: Double, training: [TrainingPass] = []) {
        self.comparisons = comparisons
        self.lambda = lambda
        self.training = training
    }

    /// The NHS-demographics default comparisons with starting parameters.
    public static func untrained(kinds: [ComparisonKind] = ComparisonKind.nhsDefaults, lambda: Double = 1e-4) -> LinkageModel {
        LinkageModel(comparisons: kinds.map { ComparisonParameters(defaultsFor: $0) }, lambda: lambda)
    }

    /// log2 of the prior odds.
    public var priorWeight: Double { Double.log2(lambda / (1 - lambda)) }
}

/// One EM pass of training, kept in the model file.
public struct TrainingPass: Sendable, Hashable, Codable {
    /// The blocking rule the pass trained on, as text.
    public var blockingRule: String
    /// Pairs the rule blocked, and how many of them (a random sample) EM used.
    public var pairs: Int
    public var pairsUsed: Int
    public var iterations: Int
    public var converged: Bool
    /// Comparisons whose m was estimated in this pass (the others were fixed: they block on them).
    public var estimated: [String]
    /// λ among the pass's blocked pairs.
    public var lambdaAmongPairs: Double
    /// Why the pass's estimates were not used (`Plausibility`), or nil when they were.
    public var rejected: String?

    public init(blockingRule: String, pairs: Int, pairsUsed: Int, iterations: Int, converged: Bool, estimated: [String],
                lambdaAmongPairs: Double, rejected: String? = nil) {
        self.blockingRule = blockingRule
        self.pairs = pairs
        self.pairsUsed = pairsUsed
        self.iterations = iterations
        self.converged = converged
        self.estimated = estimated
        self.lambdaAmongPairs = lambdaAmongPairs
        self.rejected = rejected
    }
}

extension ComparisonKind {
    /// The comparisons a job gets when it names none.
    public static let nhsDefaults: [ComparisonKind] = [.nhsNumber, .forename, .surname, .dateOfBirth, .sex, .postcode, .address, .phone]
}

@inline(__always)
func pow2(_ exponent: Double) -> Double { Double.exp2(exponent) }
