import Foundation

/// Numbers written straight into an output buffer, as C's printf would print them, without
/// `String(format:)`: that goes through Foundation's formatter and a `String` per number, which cost
/// more than a second for the two numbers of each of 660,000 pairs at a million records.
public enum NumberText {
    /// Appends `value` exactly as C's `"%.6g"` prints it (six significant digits, trailing zeros
    /// dropped, an exponent below 1e-4 and from 1e6). Rounding is decided on the scaled value in
    /// floating point, which is exact unless the value sits within 1e-7 of a rounding boundary; that
    /// rare case, and what is not a finite normal number, is handed to the C library.
    public static func appendSixSignificant(_ value: Double, to out: inout [UInt8]) {
        let magnitude = value.magnitude
        guard value.isFinite, magnitude >= 1e-300, magnitude <= 1e300 else {
            if value == 0 {
                if value.sign == .minus { out.append(UInt8(ascii: "-")) }
                out.append(UInt8(ascii: "0"))
            } else {
                appendPrinted(value, format: "%.6g", to: &out)
            }
            return
        }
        var exponent = Int(log10(magnitude).rounded(.down))
        var scaled = scaledToSixDigits(magnitude, exponent: exponent)
        // log10 can land one off next to a power of ten.
        if scaled >= 1_000_000 {
            exponent += 1
            scaled = scaledToSixDigits(magnitude, exponent: exponent)
        } else if scaled < 100_000 {
            exponent -= 1
            scaled = scaledToSixDigits(magnitude, exponent: exponent)
        }
        let fraction = scaled - scaled.rounded(.down)
        guard abs(fraction - 0.5) > 1e-7 else {
            appendPrinted(value, format: "%.6g", to: &out)
            return
        }
        var digits = Int(scaled.rounded(.toNearestOrAwayFromZero))
        if digits == 1_000_000 {   // 999999.5 and up round to the next power of ten
            digits = 100_000
            exponent += 1
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var text: [UInt8] = [0, 0, 0, 0, 0, 0]
        for position in stride(from: 5, through: 0, by: -1) {
            text[position] = UInt8(ascii: "0") + UInt8(digits % 10)
            digits /= 10
        }
        var significant = 6
        while significant > 1, text[significant - 1] == UInt8(ascii: "0") { significant -= 1 }

        if exponent < -4 || exponent >= 6 {
            out.append(text[0])
            if significant > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: text[1..<significant])
            }
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            if abs(exponent) < 10 { out.append(UInt8(ascii: "0")) }
            appendDecimal(abs(exponent), to: &out)
        } else if exponent >= 0 {
            let whole = exponent + 1
            out.append(contentsOf: text[0..<whole])
            if significant > whole {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: text[whole..<significant])
            }
        } else {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-exponent - 1) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: text[0..<significant])
        }
    }

    /// Appends a non-negative integer in decimal, left-padded with zeros to `width` digits (C's `"%0Nd"`).
    public static func appendDecimal(_ value: Int, width: Int = 1, to out: inout [UInt8]) {
        precondition(value >= 0, "appendDecimal writes non-negative numbers")
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        for _ in digits.count..<max(width, digits.count) { out.append(UInt8(ascii: "0")) }
        out.append(contentsOf: digits.reversed())
    }

    /// `magnitude × 10^(5 − exponent)`, between 100,000 and 1,000,000 when `exponent` is right. Powers of
    /// ten up to 10^22 are exact doubles, so one multiplication or division rounds once; beyond, twice.
    private static func scaledToSixDigits(_ magnitude: Double, exponent: Int) -> Double {
        var shift = 5 - exponent
        var scaled = magnitude
        while shift > 22 { scaled *= 1e22; shift -= 22 }
        while shift < -22 { scaled /= 1e22; shift += 22 }
        return shift >= 0 ? scaled * powersOfTen[shift] : scaled / powersOfTen[-shift]
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }

    /// The C library's own formatting: for the cases the fast path leaves.
    private static func appendPrinted(_ value: Double, format: String, to out: inout [UInt8]) {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([value]) { arguments in vsnprintf(&buffer, buffer.count, format, arguments) }
        out.append(contentsOf: buffer[0..<Int(min(max(count, 0), 63))].map { UInt8(bitPattern: $0) })
    }
}
