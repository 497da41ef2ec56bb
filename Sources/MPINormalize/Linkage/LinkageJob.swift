public import MPICore

/// A linkage job file (docs/linkage-job.md): the sources, and how to block, compare, train and decide.
/// Everything but `sources` has a default tuned for NHS demographics.
public struct LinkageJob: Sendable, Codable {
    public var sources: [SourceMapping]
    public var blocking: BlockingSettings
    public var comparisons: [ComparisonKind]
    public var thresholds: LinkThresholds
    public var training: TrainingSettings
    public var output: OutputSettings

    public struct BlockingSettings: Sendable, Hashable, Codable {
        public var rules: [BlockingRule]
        /// A block with more records than this is skipped and reported (its pairs would swamp the run).
        public var maximumBlockSize: Int

        public init(rules: [BlockingRule] = BlockingRule.nhsDefaults, maximumBlockSize: Int = 500) {
            self.rules = rules
            self.maximumBlockSize = maximumBlockSize
        }

        private enum CodingKeys: String, CodingKey { case rules, maximumBlockSize }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            rules = try container.decodeIfPresent([BlockingRule].self, forKey: .rules) ?? BlockingRule.nhsDefaults
            maximumBlockSize = try container.decodeIfPresent(Int.self, forKey: .maximumBlockSize) ?? 500
        }
    }

    public struct OutputSettings: Sendable, Hashable, Codable {
        /// Scored pairs below this probability are not written to pairs.csv.
        public var pairsFloor: Double
        /// Write the pairs gzip-compressed, as pairs.csv.gz, instead of pairs.csv.
        public var compressPairs: Bool

        public init(pairsFloor: Double = 0.01, compressPairs: Bool = false) {
            self.pairsFloor = pairsFloor
            self.compressPairs = compressPairs
        }

        private enum CodingKeys: String, CodingKey { case pairsFloor, compressPairs }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            pairsFloor = try container.decodeIfPresent(Double.self, forKey: .pairsFloor) ?? 0.01
            compressPairs = try container.decodeIfPresent(Bool.self, forKey: .compressPairs) ?? false
        }

        /// The name of the pairs file in the output folder.
        public var pairsFileName: String { compressPairs ? "pairs.csv.gz" : "pairs.csv" }
    }

    public init(sources: [SourceMapping], blocking: BlockingSettings = .init(), comparisons: [ComparisonKind] = ComparisonKind.nhsDefaults,
                thresholds: LinkThresholds = .defaults, training: TrainingSettings = .init(), output: OutputSettings = .init()) {
        self.sources = sources
        self.blocking = blocking
        self.comparisons = comparisons
        self.thresholds = thresholds
        self.training = training
        self.output = output
    }

    public static let topLevelKeys = ["sources", "blocking", "comparisons", "thresholds", "training", "output"]

    private enum CodingKeys: String, CodingKey { case sources, blocking, comparisons, thresholds, training, output }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sources = try container.decode([SourceMapping].self, forKey: .sources)
        blocking = try container.decodeIfPresent(BlockingSettings.self, forKey: .blocking) ?? .init()
        comparisons = try container.decodeIfPresent([ComparisonKind].self, forKey: .comparisons) ?? ComparisonKind.nhsDefaults
        thresholds = try container.decodeIfPresent(LinkThresholds.self, forKey: .thresholds) ?? .defaults
        training = try container.decodeIfPresent(TrainingSettings.self, forKey: .training) ?? .init()
        output = try container.decodeIfPresent(OutputSettings.self, forKey: .output) ?? .init()
    }

    /// Problems with the job as a whole, each naming its key.
    public func validate() -> [String] {
        var problems: [String] = []
        if sources.isEmpty { problems.append("sources: a job needs at least one source") }
        // One identifier domain may arrive in several feeds, but each feed needs a name of its own, and
        // no feed may be named after another domain (its rejections would be read as that trust's).
        let domains = Set(sources.map(\.code))
        var feeds = Set<String>()
        for (index, source) in sources.enumerated() {
            problems += source.validate().map { "sources[\(index)].\($0)" }
            if !feeds.insert(source.feedName).inserted {
                problems.append(source.feed == nil
                    ? "sources[\(index)].code: \"\(source.code)\" is used twice; a second feed in one identifier domain needs a "
                        + "\"feed\" name of its own (e.g. \"feed\": \"\(source.code)-ED\")"
                    : "sources[\(index)].feed: \"\(source.feedName)\" is used twice")
            } else if let feed = source.feed, feed != source.code, domains.contains(feed) {
                problems.append("sources[\(index)].feed: \"\(feed)\" is another source's code; name the feed after its own domain")
            }
        }
        if blocking.rules.isEmpty { problems.append("blocking.rules: at least one rule is needed") }
        if blocking.maximumBlockSize < 2 { problems.append("blocking.maximumBlockSize: must be at least 2") }
        if comparisons.isEmpty { problems.append("comparisons: at least one comparison is needed") }
        if comparisons.count > PatternHistogram.maximumComparisons {
            problems.append("comparisons: at most \(PatternHistogram.maximumComparisons) comparisons")
        }
        if Set(comparisons).count != comparisons.count { problems.append("comparisons: a comparison is listed twice") }
        if !(0 < thresholds.review && thresholds.review <= thresholds.autoLink && thresholds.autoLink < 1) {
            problems.append("thresholds: need 0 < review <= autoLink < 1 (probabilities)")
        }
        if thresholds.maximumClusterSize < 2 { problems.append("thresholds.maximumClusterSize: must be at least 2") }
        if training.uSampleSize < 1 { problems.append("training.uSampleSize: must be positive") }
        let estimable = Set(comparisons).filter { kind in
            training.rules.contains { rule in !rule.keys.contains { $0.blocks(kind) } }
        }
        for kind in comparisons where !estimable.contains(kind) {
            problems.append("training.rules: every rule blocks on \(kind.name), so its m can never be estimated")
        }
        if !(0...1).contains(output.pairsFloor) { problems.append("output.pairsFloor: a probability between 0 and 1") }
        return problems
    }
}
