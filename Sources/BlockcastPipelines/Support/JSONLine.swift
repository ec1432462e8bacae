/// One JSON object on one line, keys in the order given; for progress events, where a
/// stable key order makes the stream easy to read and to test.
package struct JSONLine {
    /// A value of a field.
    package enum Value {
        /// A string, escaped as JSON requires.
        case string(String)

        /// A whole number.
        case int(Int64)

        /// Seconds, printed with millisecond precision.
        case seconds(Double)
    }

    /// The object's text followed by a newline.
    package let text: String

    /// The object with these fields in this order.
    package init(_ fields: [(String, Value)]) {
        let members = fields.map { key, value in
            JSONLine.quoted(key) + ":" + JSONLine.encode(value)
        }
        text = "{" + members.joined(separator: ",") + "}\n"
    }

    private static func encode(_ value: Value) -> String {
        switch value {
        case .string(let string):
            return quoted(string)
        case .int(let number):
            return String(number)
        case .seconds(let seconds):
            let millis = Int64((max(0, seconds) * 1000).rounded())
            let fraction = String(millis % 1000)
            return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count)
                + fraction
        }
    }

    /// `text` as a JSON string literal.
    package static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
