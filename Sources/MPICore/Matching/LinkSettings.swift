/// The settings a model is used with: blocking rules, the block size limit and the thresholds. Stored
/// with each model version, so that the lookup service links a registration exactly as the link run
/// that trained the model would have.
public struct LinkSettings: Sendable, Hashable, Codable {
    public var rules: [BlockingRule]
    public var maximumBlockSize: Int
    public var thresholds: LinkThresholds

    public init(rules: [BlockingRule], maximumBlockSize: Int, thresholds: LinkThresholds) {
        self.rules = rules
        self.maximumBlockSize = maximumBlockSize
        self.thresholds = thresholds
    }
}
