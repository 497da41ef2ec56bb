import Crypto
import _CryptoExtras
import Foundation

/// The people who may use the review page, from the users file (`--users users.json`): a name and a
/// password hash per steward, never a password.
///
/// Hash format: `pbkdf2-sha256$ROUNDS$SALT$HASH` (salt and hash in base64), PBKDF2 with SHA-256 and
/// at least 210,000 rounds (OWASP's figure for PBKDF2-HMAC-SHA256). `mpi password-hash` makes one.
public struct Stewards: Sendable, Codable {
    public struct Steward: Sendable, Codable, Hashable {
        public var name: String
        public var passwordHash: String

        public init(name: String, passwordHash: String) {
            self.name = name
            self.passwordHash = passwordHash
        }
    }

    public var users: [Steward]

    public init(users: [Steward]) {
        self.users = users
    }

    public static func load(path: String) throws -> Stewards {
        guard let data = FileManager.default.contents(atPath: path) else { throw ServiceError(.invalidRequest, "cannot read the users file \(path)") }
        let stewards: Stewards
        do { stewards = try JSONDecoder().decode(Stewards.self, from: data) } catch {
            throw ServiceError(.invalidRequest, "the users file \(path) is not valid: \(error)")
        }
        for user in stewards.users where Self.parse(user.passwordHash) == nil {
            throw ServiceError(.invalidRequest, "the users file \(path): \(user.name)'s passwordHash is not pbkdf2-sha256$ROUNDS$SALT$HASH")
        }
        return stewards
    }

    public static let rounds = 210_000

    /// A new hash of a password, with a random salt.
    public static func hash(password: String, rounds: Int = rounds) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        let hash = key.withUnsafeBytes { Data($0) }
        return "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(hash.base64EncodedString())"
    }

    /// The steward these credentials belong to. Every known name costs one derivation, and unknown
    /// names cost one too, so timing does not tell which names exist.
    public func authenticate(name: String, password: String) -> String? {
        let user = users.first { $0.name == name }
        let stored = user.flatMap { Self.parse($0.passwordHash) } ?? Self.parse(Self.decoy)!
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: stored.salt, using: .sha256,
                                                         outputByteCount: stored.hash.count, rounds: stored.rounds) else { return nil }
        let derived = key.withUnsafeBytes { Array($0) }
        var difference: UInt8 = 0
        for (a, b) in zip(derived, stored.hash) { difference |= a ^ b }
        return user != nil && difference == 0 && derived.count == stored.hash.count ? user!.name : nil
    }

    private static let decoy = "pbkdf2-sha256$210000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    private static func parse(_ text: String) -> (rounds: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = text.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= 210_000,
              let salt = Data(base64Encoded: parts[2]), let hash = Data(base64Encoded: parts[3]), hash.count >= 16 else { return nil }
        return (rounds, Array(salt), Array(hash))
    }
}
