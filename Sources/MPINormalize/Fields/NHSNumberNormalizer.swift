public import MPICore

/// NHS numbers: ten digits, the last a modulus-11 check digit (NHS data dictionary).
public enum NHSNumberNormalizer {
    /// - Parameters:
    ///   - raw: the number as the source wrote it; spaces and hyphens are allowed ("943 476 5919").
    ///   - status: the source's NHS number status indicator, if it sends one ("01".."08").
    public static func normalize(_ raw: String, status rawStatus: String? = nil) throws(Rejection) -> NHSNumber {
        let trimmed = raw.filter { $0 != " " && $0 != "-" && $0 != "\t" }
        guard !trimmed.isEmpty else { throw Rejection("empty", "no NHS number given") }
        // Spreadsheets turn long numbers into 9.43477E+09 and drop leading zeros; neither can be undone
        // safely, so they are rejected rather than guessed.
        if trimmed.contains(where: { $0 == "E" || $0 == "e" }), trimmed.contains("+") || trimmed.contains(".") {
            throw Rejection("scientific_notation", "the number was converted to scientific notation by a spreadsheet")
        }
        if trimmed.hasSuffix(".0") {
            throw Rejection("spreadsheet_decimal", "the number was stored as a decimal by a spreadsheet")
        }
        guard trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw Rejection("non_digit", "an NHS number has digits only")
        }
        guard trimmed.count == 10 else {
            throw Rejection("length", "an NHS number has 10 digits, this has \(trimmed.count)")
        }
        let digits = trimmed.utf8.map { Int($0 - UInt8(ascii: "0")) }
        if digits.allSatisfy({ $0 == digits[0] }) {
            throw Rejection("placeholder", "one digit repeated is a placeholder, not an NHS number")
        }
        guard let expected = checkDigit(ofFirstNine: digits) else {
            throw Rejection("check_digit", "no valid check digit exists for these first nine digits")
        }
        guard expected == digits[9] else {
            throw Rejection("check_digit", "the check digit does not match")
        }
        var status: NHSNumberStatus?
        if let rawStatus, !rawStatus.isEmpty {
            let code = rawStatus.count == 1 ? "0" + rawStatus : rawStatus
            guard let known = NHSNumberStatus(rawValue: code) else {
                throw Rejection("status_code", "NHS number status indicator must be 01 to 08")
            }
            status = known
        }
        return NHSNumber(validatedDigits: trimmed, status: status)
    }

    /// Modulus 11 with weights 10...2; a result of 11 is 0, a result of 10 means no valid number.
    public static func checkDigit(ofFirstNine digits: [Int]) -> Int? {
        var sum = 0
        for index in 0..<9 { sum += digits[index] * (10 - index) }
        let check = 11 - sum % 11
        switch check {
        case 11: return 0
        case 10: return nil
        default: return check
        }
    }
}
