internal import Foundation
public import MPICore

extension IdentityStore {
    /// The model of the latest link run; nil before the first. A stored model that cannot be decoded
    /// is an error, never "no model": an incremental run must not silently become a full re-train.
    public func linkageModel() throws -> LinkageModel? {
        guard let text = try latestModel() else { return nil }
        do {
            return try JSONDecoder().decode(LinkageModel.self, from: Data(text.utf8))
        } catch {
            throw StoreError.unreadableModel("model: \(error)")
        }
    }

    /// The blocking rules, block size cap and thresholds the latest model was linked with; nil before
    /// the first link run, or when the run stored none.
    public func linkSettings() throws -> LinkSettings? {
        guard let text = try latestSettings() else { return nil }
        do {
            return try JSONDecoder().decode(LinkSettings.self, from: Data(text.utf8))
        } catch {
            throw StoreError.unreadableModel("settings: \(error)")
        }
    }

    /// `applyPersons` with the model and settings as values.
    public func applyPersons(_ groups: [[RecordKey]], model: LinkageModel, settings: LinkSettings, reason: String, actor: String,
                             scope: Set<RecordKey>? = nil, linkKeys: [(RecordKey, [UInt8])] = [],
                             review: ReviewUpdate? = nil) throws -> LinkApplySummary {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try applyPersons(groups, modelJSON: String(decoding: try encoder.encode(model), as: UTF8.self),
                                settingsJSON: String(decoding: try encoder.encode(settings), as: UTF8.self), reason: reason, actor: actor,
                                scope: scope, linkKeys: linkKeys, review: review)
    }
}
