import Foundation

/// Number and string spelling shared by the table, JUnit, HTML and gate-file writers.
package enum ReportFormat {
    /// A measured value for people: six significant digits, `nan`/`inf` spelled out.
    package static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == 0 { return "0" }
        return String(format: "%.6g", value)
    }

    /// A short value for table cells: four significant digits, but enough to tell a value
    /// just below 1 from 1 (`0.99998` is shown, not rounded up).
    package static func cell(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value.isNaN || value.isInfinite || value == 0 { return number(value) }
        if value < 1 && value > 0.999 { return String(format: "%.6f", value) }
        return String(format: "%.4g", value)
    }

    /// `text` as a JSON string literal.
    package static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `text` with the five XML special characters escaped (also right for HTML).
    package static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
