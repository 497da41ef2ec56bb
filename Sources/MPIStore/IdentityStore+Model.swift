internal import Foundation
public import MPICore

extension IdentityStore {
    /// The model of the latest link run; nil before the first. A stored model that cannot be decoded
    /// is an error, never "no model": an incremental run must not silently become a full re-train.
    public func linkageModel() throws -> LinkageModel? {
        try Self.decodeModel(try latestModel(), settings: nil).model
    }

    /// The blocking rules, block size cap and thresholds the latest model was linked with; nil before
    /// the first link run, or when the run stored none.
    public func linkSettings() throws -> LinkSettings? {
        try Self.decodeModel(nil, settings: try latestSettings()).settings
    }

    /// A stored model and its settings, decoded; a text that does not decode is `unreadableModel`.
    package static func decodeModel(_ model: String?, settings: String?) throws -> (model: LinkageModel?, settings: LinkSettings?) {
        func decode<Value: Decodable>(_ type: Value.Type, _ text: String?, _ what: String) throws -> Value? {
            guard let text else { return nil }
            do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch { throw StoreError.unreadableModel("\(what): \(error)") }
        }
        return (try decode(LinkageModel.self, model, "model"), try decode(LinkSettings.self, settings, "settings"))
    }

    /// An enterprise id as the store keeps it (a 40-bit integer column).
    package static func id(_ value: Int64) -> EnterpriseID { EnterpriseID(value: UInt64(value)) }

    /// `applyPersons` with the model and settings as values.
    public func applyPersons(_ groups: [[RecordKey]], model: LinkageModel, settings: LinkSettings, reason: String, actor: String,
                             scope: Set<RecordKey>? = nil, scopePersonsWhenRead: Set<EnterpriseID> = [],
                             linkKeys: [(RecordKey, [UInt8])] = [], review: ReviewUpdate? = nil) throws -> LinkApplySummary {
        // SQLite looks the scope's records up one by one in its own index, in microseconds each: it
        // needs no starting point.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try applyPersons(groups, modelJSON: String(decoding: try encoder.encode(model), as: UTF8.self),
                                settingsJSON: String(decoding: try encoder.encode(settings), as: UTF8.self), reason: reason, actor: actor,
                                scope: scope, linkKeys: linkKeys, review: review)
    }
}
